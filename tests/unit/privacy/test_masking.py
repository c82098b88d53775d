import logging

import pytest

from backend.privacy.masking import install_log_scrubbing, mask_id_number, mask_name, mask_phone, scrub


@pytest.mark.parametrize("name, masked", [("张三丰", "张*丰"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("买买提·艾力", "买****力")])
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
