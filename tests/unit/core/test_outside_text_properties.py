"""Every parser of outside text, fed any text: it answers a value that keeps its rule, or raises
its domain's refusal, and nothing else. And the service's one digit rule: full-width digits read
as the ASCII ones, other scripts' digits refused.

Text strategies mix the characters that broke these parsers before (other scripts' digits,
superscripts and circled numbers, lone surrogates, control characters, huge exponents) with
anything hypothesis draws."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from backend.app import ymd_date
from backend.cards import rules as cards
from backend.catalog import rules as catalog
from backend.errors import BadRequest
from backend.http import DigitText, validate_model
from backend.inpatient import rules as inpatient
from backend.sms import rules as sms
from backend.text import NotAsciiDigits, first_surrogate_path, fold_digits
from tests.support import make_id_number

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = dt.date(2026, 12, 10)

FULL_WIDTH = str.maketrans({str(d): chr(0xFF10 + d) for d in range(10)})
ARABIC_INDIC = str.maketrans({str(d): chr(0x0660 + d) for d in range(10)})
TRICKY = "0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩²³¹①⑩〇零१२३+-.:eEX xNaNinf\ud800\udfff\x00\r\n\t\"',，ǅ\ufeff\u00a0"
tricky_text = st.one_of(
    st.text(alphabet=TRICKY, max_size=30),
    st.text(max_size=30),
    st.text(alphabet=st.characters(categories=("Nd", "No", "Nl")), max_size=20),
)
ASCII_DIGITS = re.compile(r"[0-9]*")


# --- the rule itself ------------------------------------------------------------------------------


@given(tricky_text)
@SETTINGS
def test_folded_text_holds_only_ascii_digits(raw):
    try:
        folded = fold_digits(raw)
    except NotAsciiDigits:
        return
    # no digit nor number sign of another script is left (a numeral letter such as 零 is a letter)
    assert all(ch.isascii() or unicodedata.category(ch)[0] != "N" for ch in folded)


@given(st.integers(min_value=0, max_value=10**30))
@SETTINGS
def test_full_width_digits_fold_to_ascii_and_other_scripts_are_refused(n):
    assert fold_digits(str(n).translate(FULL_WIDTH)) == str(n)
    with pytest.raises(NotAsciiDigits):
        fold_digits(str(n).translate(ARABIC_INDIC))


@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), tricky_text),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(tricky_text, inner, max_size=4)),
        max_leaves=20,
    )
)
@SETTINGS
def test_a_lone_surrogate_is_found_anywhere_in_a_body_keys_included(value):
    import json

    path = first_surrogate_path(value)
    text = json.dumps(value)  # escapes them; encoding it as UTF-8 is what fails
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        assert path is None
    except UnicodeEncodeError:
        assert path is not None and not re.search("[\ud800-\udfff]", path)
    assert text  # the walk never raised


class _Form(BaseModel):
    phone: DigitText = Field(max_length=20)
    code: str = Field(default="000000", pattern=r"^[0-9]{6}$")
    when: dt.date | None = None
    count: int | None = None
    note: str = ""


@given(st.dictionaries(st.sampled_from(["phone", "code", "when", "count", "note"]), tricky_text, min_size=1))
@SETTINGS
def test_the_shared_bounds_take_only_ascii_digits_in_numeric_fields_and_leave_free_text_alone(data):
    data.setdefault("phone", "13800000000")
    try:
        form = validate_model(_Form, data)
    except BadRequest:
        return
    assert ASCII_DIGITS.fullmatch(form.code)
    assert all(ch.isascii() for ch in form.phone if ch.isnumeric())
    assert form.note == data.get("note", "")  # free text is kept as written


def test_full_width_numbers_in_numeric_fields_read_as_ascii():
    form = validate_model(
        _Form,
        {"phone": "１３８", "code": "１２３４５６", "when": "２０２６-１２-１０", "count": "４２", "note": "３号楼"},
    )
    assert (form.phone, form.code, form.when, form.count, form.note) == ("138", "123456", TODAY, 42, "３号楼")
    for field, value in (("code", "١٢٣٤٥٦"), ("count", "٤٢"), ("when", "٢٠٢٦-12-10"), ("phone", "١٣٨")):
        with pytest.raises(BadRequest) as refused:
            validate_model(_Form, {"phone": "138", field: value})
        assert refused.value.details["fields"][0]["field"] == field


# --- ID numbers and phones ---------------------------------------------------------------------------


@given(tricky_text)
@example(make_id_number().translate(ARABIC_INDIC))
@SETTINGS
def test_an_id_number_parses_to_ascii_or_is_refused(raw):
    try:
        parsed = cards.parse_id_number(raw, today=TODAY)
    except cards.InvalidIdentity as exc:
        assert exc.field == "id_number"
        return
    assert re.fullmatch(r"[0-9]{17}[0-9X]", parsed.value)


@given(st.integers(min_value=1, max_value=998), st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
@SETTINGS
def test_an_id_number_in_full_width_digits_is_the_same_person(seq, born):
    ascii_id = make_id_number(born=born, seq=seq)
    wide = ascii_id.translate(FULL_WIDTH).replace("X", "Ｘ")
    assert cards.parse_id_number(wide, today=TODAY) == cards.parse_id_number(ascii_id, today=TODAY)
    if any(ch.isdigit() for ch in ascii_id):
        with pytest.raises(cards.InvalidIdentity):
            cards.parse_id_number(ascii_id.translate(ARABIC_INDIC), today=TODAY)


@given(tricky_text)
@example("１３８ ０００ ０００００")
@example("+８６13800000000")
@SETTINGS
def test_a_phone_normalises_to_eleven_ascii_digits_or_is_refused(raw):
    try:
        phone = sms.normalize_phone(raw)
    except sms.InvalidPhone:
        return
    assert re.fullmatch(r"1[3-9][0-9]{9}", phone)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
@SETTINGS
def test_a_phone_in_full_width_digits_is_the_same_number(phone):
    assert sms.normalize_phone(phone.translate(FULL_WIDTH)) == phone
    assert cards.normalize_phone(phone.translate(FULL_WIDTH)) == phone
    with pytest.raises(sms.InvalidPhone):
        sms.normalize_phone(phone.translate(ARABIC_INDIC))


# --- times, dates, schedule rows and CSV ---------------------------------------------------------


@given(tricky_text)
@example("０８:００")
@example("２３:００")
@example("٠٨:٠٠")
@SETTINGS
def test_a_release_time_is_ascii_within_the_day_or_refused(raw):
    try:
        stored = catalog.validate_release_time(raw)
    except catalog.InvalidSchedule:
        return
    assert re.fullmatch(r"[0-9]{2}:[0-9]{2}", stored) and catalog.EARLIEST_RELEASE <= stored <= catalog.LATEST_RELEASE


def test_night_release_in_full_width_digits_is_still_night():
    with pytest.raises(catalog.InvalidSchedule):
        catalog.validate_release_time("２３:００")
    assert catalog.validate_release_time("１３:００") == "13:00"


ROW = {
    "external_id": "E1",
    "department_code": "D1",
    "doctor_code": "DR1",
    "date": "2026-12-12",
    "start": "08:00",
    "end": "08:30",
    "capacity": "10",
    "referral_quota": "0",
    "fee_fen": "500",
}


@given(
    st.dictionaries(
        st.sampled_from(list(ROW) + ["\ud800", "x"]), st.one_of(tricky_text, st.integers(), st.none(), st.booleans())
    )
)
@SETTINGS
def test_a_schedule_row_parses_to_ascii_fields_or_is_refused(changes):
    try:
        row = catalog.parse_schedule_row({**ROW, **changes}, today=TODAY, horizon_days=30)
    except catalog.InvalidSchedule:
        return
    for value in (row.start, row.end, row.department_code, row.doctor_code, row.external_id or ""):
        assert value.isascii()
    assert TODAY <= row.date and 1 <= row.capacity <= catalog.MAX_CAPACITY


def test_a_schedule_row_in_full_width_digits_is_stored_in_ascii():
    wide = {k: v.translate(FULL_WIDTH) for k, v in ROW.items()}
    row = catalog.parse_schedule_row(wide, today=TODAY, horizon_days=30)
    assert (row.date, row.start, row.end, row.capacity) == (dt.date(2026, 12, 12), "08:00", "08:30", 10)
    with pytest.raises(catalog.InvalidSchedule) as refused:
        catalog.parse_schedule_row({**ROW, "start": "٠٨:٠٠"}, today=TODAY, horizon_days=30)
    assert refused.value.field == "start"


CSV_HEADER = ",".join(ROW) + "\n"


@given(st.text(alphabet=TRICKY.replace("\ud800", "").replace("\udfff", "") + 'abc,"\r\n', max_size=300))
@example(CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\r9\n")
@example(CSV_HEADER + "x" * 200_000 + "\n")
@example(CSV_HEADER + '"E1,D1\n')
@example(CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\x00\n")
@example("\ufeff" + CSV_HEADER)
@SETTINGS
def test_a_csv_parses_to_rows_or_is_refused_as_csv(text):
    try:
        rows, lines = catalog.parse_schedule_csv(text, max_rows=50)
    except catalog.InvalidSchedule as exc:
        assert exc.field == "csv" and exc.line is not None and exc.line >= 1
        return
    assert len(rows) == len(lines) and all(isinstance(r, dict) for r in rows)
    for row in rows:
        try:
            catalog.parse_schedule_row(row, today=TODAY, horizon_days=30)
        except catalog.InvalidSchedule:
            pass


@pytest.mark.parametrize(
    "text, reason",
    [
        (CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\r9\n", "carriage return"),
        (CSV_HEADER + "E1," + "x" * 200_000 + "\n", "longer than"),
        (CSV_HEADER + '"E1,D1\n', "quote"),
        (CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\x00\n", "NUL"),
    ],
)
def test_each_csv_quirk_is_refused_with_its_reason_and_line(text, reason):
    with pytest.raises(catalog.InvalidSchedule) as refused:
        catalog.parse_schedule_csv(text, max_rows=50)
    assert reason in str(refused.value) and refused.value.line == 2


# --- quantities, cursors, path dates ---------------------------------------------------------------


@given(
    st.one_of(
        tricky_text,
        st.integers(),
        st.floats(),
        st.decimals(allow_nan=True).map(str),
        st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,5})?[eE][+-]?[0-9]{1,12}", fullmatch=True),
    )
)
@example("1e999999999")
@example("-1E+999999999999")
@example("1e-999999999")
@example(10**5000)
@example("１２.５")
@SETTINGS
def test_a_quantity_is_a_bounded_three_decimal_number_or_is_refused(raw):
    try:
        quantity = inpatient.parse_quantity(raw)
    except ValueError:
        return
    assert isinstance(quantity, Decimal) and quantity != 0 and abs(quantity) <= inpatient.MAX_QUANTITY
    assert quantity == quantity.quantize(Decimal("0.001"))


def test_huge_exponents_are_refused_not_overflowed():
    for raw in ("1e999999999", "-1e999999999", "9.9e100000"):
        with pytest.raises(ValueError, match="within"):
            inpatient.parse_quantity(raw)
    assert inpatient.parse_quantity("１２.５") == Decimal("12.500")
    with pytest.raises(ValueError, match="0-9"):
        inpatient.parse_quantity("١٢")


@given(
    st.lists(
        st.one_of(
            st.dictionaries(tricky_text, st.one_of(tricky_text, st.integers(), st.floats())),
            st.dictionaries(st.sampled_from(inpatient.FIELDS), st.one_of(tricky_text, st.integers(), st.floats())),
        ),
        max_size=5,
    )
)
@SETTINGS
def test_items_are_checked_into_items_or_problems_never_an_error(raw_items):
    items, problems = inpatient.check_items(raw_items)
    assert len(items) + len(problems) == len(raw_items)


@given(st.one_of(st.none(), tricky_text))
@example("²")
@example("①")
@example("١٢")
@SETTINGS
def test_a_cursor_is_an_ascii_number_or_is_refused(raw):
    try:
        cursor = inpatient.parse_cursor(raw)
    except ValueError:
        return
    assert isinstance(cursor, int) and 0 <= cursor < 10**12


@given(
    st.one_of(
        tricky_text, st.dates().map(dt.date.isoformat), st.dates().map(lambda d: d.isoformat().translate(FULL_WIDTH))
    )
)
@example("%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-12-10")
@SETTINGS
def test_a_date_in_a_path_is_a_date_or_no_match(segment):
    try:
        day = ymd_date(segment)
    except ValueError:
        return
    assert isinstance(day, dt.date)
