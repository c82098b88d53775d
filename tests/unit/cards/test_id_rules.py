from datetime import date

import pytest

from backend.cards.rules import InvalidIdentity, normalize_name, normalize_phone, parse_id_number

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "number, born, sex",
    [
        ("11010519491231002X", date(1949, 12, 31), "F"),  # the example printed in GB 11643-1999
        ("110101199003074477", date(1990, 3, 7), "M"),
        ("11010519491231002x", date(1949, 12, 31), "F"),  # lower-case x is the same number
    ],
)
def test_valid_numbers_parse(number, born, sex):
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.birth_date == born
    assert parsed.sex == sex
    assert parsed.value == number.upper()


@pytest.mark.parametrize(
    "number, reason",
    [
        ("110105194912310021", "check digit"),  # the GB example with a wrong check digit
        ("420102199001011234", "check digit"),
        ("110101199002304471", "real date"),  # 30 February
        ("110101199013014477", "real date"),  # month 13
        ("110101202712010010", "future"),  # born after today
        ("440524188001010014", "implausibly early"),  # GB example 2, born 1880
        ("990101199003074477", "region"),  # no province 99
        ("11010119900307447", "18 characters"),
        ("1101011990030744777", "18 characters"),
        ("11010119900307447A", "18 characters"),
        ("", "18 characters"),
    ],
)
def test_invalid_numbers_are_refused_with_the_rule(number, reason):
    with pytest.raises(InvalidIdentity) as info:
        parse_id_number(number, today=TODAY)
    assert reason in str(info.value)
    assert info.value.field == "id_number"
    if number:
        assert number not in str(info.value)


def test_birth_date_today_is_accepted_and_tomorrow_is_not():
    from backend.cards.rules import check_digit

    today = f"110101{TODAY:%Y%m%d}001"
    tomorrow = f"110101{date(2026, 11, 24):%Y%m%d}001"
    assert parse_id_number(today + check_digit(today), today=TODAY).birth_date == TODAY
    with pytest.raises(InvalidIdentity, match="future"):
        parse_id_number(tomorrow + check_digit(tomorrow), today=TODAY)


def test_age():
    parsed = parse_id_number("110101199003074477", today=TODAY)
    assert parsed.age_on(date(2026, 3, 6)) == 35
    assert parsed.age_on(date(2026, 3, 7)) == 36


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "8613812345678", "138-1234-5678", "19912345678"])
def test_mainland_mobiles(raw):
    assert normalize_phone(raw) in ("13812345678", "19912345678")


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "02087654321", "+85291234567", "abc"])
def test_not_mainland_mobiles(raw):
    with pytest.raises(InvalidIdentity):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [("张三", "张三"), (" 欧阳娜娜 ", "欧阳娜娜"), ("买买提•艾力", "买买提·艾力"), ("John Smith", "John Smith")],
)
def test_names(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["张", "张3", "<script>", "a" * 41, "Zhang\nSan"])
def test_bad_names(raw):
    with pytest.raises(InvalidIdentity):
        normalize_name(raw)


def _id(body17: str) -> str:
    from backend.cards.rules import check_digit

    return body17 + check_digit(body17)


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ("123", "id_number", "must be 18 characters: 17 digits and a digit or X"),
        (_id("99010119900101123"), "id_number", "the region code is not a valid administrative division"),
        (_id("11000019900101123"), "id_number", "the region code is not a valid administrative division"),
        (_id("11010119900230123"), "id_number", "the birth date is not a real date"),
        (_id("11010120261124123"), "id_number", "the birth date is in the future"),
        (_id("11010118991231123"), "id_number", "the birth date is implausibly early"),
        (_id("11010119900101000"), "id_number", "the sequence code cannot be 000"),
        (
            "110101199001011230" if _id("11010119900101123") != "110101199001011230" else "110101199001011231",
            "id_number",
            "the check digit does not match",
        ),
        ("张\x07三", "name", "may not contain control characters"),
        ("张", "name", "must be 2 to 40 characters"),
        ("a\ufe00b", "name", "a single variation selector may only follow a Chinese character"),
        ("张三1", "name", "may contain only Chinese characters, Latin letters, spaces and ·"),
        ("·张三", "name", "may not begin or end with ·"),
        ("张三·", "name", "may not begin or end with ·"),
    ],
)
def test_each_refusal_names_its_field_and_rule(raw, field, message):
    with pytest.raises(InvalidIdentity) as refused:
        if field == "id_number":
            parse_id_number(raw, today=TODAY)
        else:
            normalize_name(raw)
    assert (refused.value.field, str(refused.value)) == (field, message)


def test_the_edges_of_an_id_number():
    earliest = parse_id_number(_id("11010119000101123"), today=TODAY)
    assert earliest.birth_date == date(1900, 1, 1) and earliest.region == "110101"
    assert parse_id_number(_id("11010119900101001"), today=TODAY).region == "110101"  # sequence 001 is fine


def test_names_are_tidied_the_way_an_id_card_prints_them():
    assert normalize_name("Li   Lei") == "Li Lei"
    assert normalize_name("Xu Lin") == "Xu Lin"  # X is a letter like any other, also first or last
    assert normalize_name("Li X") == "Li X"
    assert normalize_name("阿依・古丽") == "阿依·古丽" and normalize_name("阿依•古丽") == "阿依·古丽"


def test_card_ids_are_64_lower_case_hex_digits():
    from backend.cards.rules import is_card_id

    assert is_card_id("0a" * 32)
    for bad in (None, "", "0A" * 32, "0a" * 31, "0a" * 32 + "0", "g" * 64):
        assert not is_card_id(bad), bad
