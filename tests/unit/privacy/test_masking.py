import logging

import pytest

from backend.privacy.masking import install_log_scrubbing, mask_id_number, mask_name, mask_phone, scrub


@pytest.mark.parametrize(
    "name, masked", [("张三丰", "张*丰"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("买买提·艾力", "买****力")]
)
def test_names(name, masked):
    assert mask_name(name) == masked


def test_id_number_and_phone_follow_the_published_forms():
    assert mask_id_number("420101199001011234") == "4201**********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_scrub_masks_ids_and_phones_inside_text():
    text = "claim 11010519491231002X phone 13812345678 order 1234"
    assert scrub(text) == "claim 1101**********002X phone 138****5678 order 1234"


def test_log_records_are_scrubbed_whatever_the_handler(caplog):
    install_log_scrubbing()
    logger = logging.getLogger("ehealth.test")
    with caplog.at_level(logging.INFO):
        logger.info("looking up %s for %s", "110101199003074477", "13912345678")
        try:
            raise ValueError("bad id 110101199003074477")
        except ValueError:
            logger.exception("failed")
    assert "110101199003074477" not in caplog.text
    assert "13912345678" not in caplog.text
    assert "1101**********4477" in caplog.text


def test_a_value_too_short_to_hide_anything_is_all_stars():
    from backend.privacy.masking import mask_id_number, mask_name, mask_phone

    assert mask_id_number("12345678") == "********"  # 4 + 4 shown of 8 would be all of it
    assert mask_id_number("1234567") == "*******" and mask_id_number("") == ""
    assert mask_id_number("123456789") == "1234*6789"
    assert mask_phone("1234567") == "*******" and mask_phone("123456") == "******"
    assert mask_phone("12345678") == "123*5678"
    assert mask_name("") == ""


def test_every_variation_selector_stays_with_its_ideograph():
    from backend.privacy.masking import mask_name

    for selector in ("\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef"):
        assert mask_name("张" + "葛" + selector + "亮") == "张*亮", hex(ord(selector))
        assert mask_name("张亮" + selector) == "张*", hex(ord(selector))
    for not_selector in ("\ufdff", "\ufe10", "\U000e00ff", "\U000e01f0"):
        assert mask_name("张亮" + not_selector) == "张*" + not_selector, hex(ord(not_selector))


def test_installing_log_scrubbing_masks_messages_and_tracebacks_once():
    import logging

    from backend.privacy import masking

    saved_factory, saved_installed = logging.getLogRecordFactory(), masking._installed
    plain_factory = logging.LogRecord
    logging.setLogRecordFactory(plain_factory)
    masking._installed = False
    try:
        masking.install_log_scrubbing()
        installed = logging.getLogRecordFactory()
        assert installed is not plain_factory
        masking.install_log_scrubbing()  # a second call changes nothing
        assert logging.getLogRecordFactory() is installed
        record = installed(
            "t", logging.INFO, __file__, 1, "card %s phone %s", ("420101199001011234", "13812345678"), None
        )
        assert record.getMessage() == "card 4201**********1234 phone 138****5678"
        assert record.args is None
        named = installed("t", logging.INFO, __file__, 1, "m", (), None, func="where", sinfo="stack")
        assert (named.funcName, named.stack_info) == ("where", "stack")  # every argument passed on
        untouched = installed("t", logging.INFO, __file__, 1, "nothing %s", ("here",), None)
        assert (untouched.msg, untouched.args) == ("nothing %s", ("here",))  # left as it was
        try:
            raise ValueError("bad id 420101199001011234")
        except ValueError:
            import sys

            failed = installed("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
        assert failed.exc_info is None and "ValueError: bad id 4201**********1234" in failed.exc_text
        assert "420101199001011234" not in failed.exc_text
        no_traceback = (ValueError, ValueError("id 420101199001011234"), None)  # an exception never raised
        bare = installed("t", logging.ERROR, __file__, 1, "failed", (), no_traceback)
        assert bare.exc_info is None and bare.exc_text == "ValueError: id 4201**********1234"
        calm = installed("t", logging.ERROR, __file__, 1, "no error", (), (None, None, None))
        assert calm.exc_text is None
        formatted = logging.Formatter().format(failed)
        assert "420101199001011234" not in formatted and "4201**********1234" in formatted
    finally:
        logging.setLogRecordFactory(saved_factory)
        masking._installed = saved_installed
