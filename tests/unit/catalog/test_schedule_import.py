"""The bulk schedule import's pure part: one row checked (JSON or CSV text), and strict CSV."""

from datetime import date, timedelta

import pytest

from backend.catalog.rules import (
    InvalidSchedule,
    ScheduleRow,
    _csv_reason,
    _whole,
    parse_schedule_csv,
    parse_schedule_row,
)

TODAY = date(2026, 12, 1)
GOOD = {
    "external_id": "his:2026.12.05-A",
    "department_code": "D1",
    "doctor_code": "doc_7",
    "date": "2026-12-05",
    "start": "08:00",
    "end": "11:30",
    "capacity": 30,
    "referral_quota": 5,
    "fee_fen": 1500,
}
ROW = ScheduleRow(
    external_id="his:2026.12.05-A",
    department_code="D1",
    doctor_code="doc_7",
    date=date(2026, 12, 5),
    start="08:00",
    end="11:30",
    capacity=30,
    referral_quota=5,
    fee_fen=1500,
)


def parse(raw, *, today=TODAY, horizon_days=14):
    return parse_schedule_row(raw, today=today, horizon_days=horizon_days)


def refusal(raw, **kwargs) -> tuple[str, str]:
    with pytest.raises(InvalidSchedule) as exc:
        parse(raw, **kwargs)
    assert exc.value.line is None
    return exc.value.field, str(exc.value)


def test_a_good_row_is_read_whole():
    assert parse(GOOD) == ROW


def test_a_csv_row_all_text_is_read_the_same():
    text = {k: f" {v} " for k, v in GOOD.items()}
    assert parse(text) == ROW


def test_full_width_digits_are_read_as_ascii():
    raw = {**GOOD, "date": "２０２６-１２-０５", "start": "０８:００", "capacity": "３０", "fee_fen": "１５００"}
    assert parse(raw) == ROW


def test_optional_fields_default():
    raw = {k: v for k, v in GOOD.items() if k not in ("external_id", "referral_quota")}
    row = parse(raw)
    assert row.external_id is None and row.referral_quota == 0
    assert parse({**GOOD, "external_id": "", "referral_quota": " "}) == ScheduleRow(
        **{**ROW.__dict__, "external_id": None, "referral_quota": 0}
    )
    assert parse({**GOOD, "external_id": None, "referral_quota": None}).referral_quota == 0


@pytest.mark.parametrize("field", ["department_code", "doctor_code", "date", "start", "end", "capacity", "fee_fen"])
@pytest.mark.parametrize("value", ["", "   ", None, "missing"])
def test_required_fields(field, value):
    raw = {k: v for k, v in GOOD.items() if k != field} if value == "missing" else {**GOOD, field: value}
    assert refusal(raw) == (field, "required")


def test_the_first_required_field_in_column_order_is_named():
    assert refusal({"external_id": "x"}) == ("department_code", "required")


def test_not_an_object():
    for raw in (["D1"], "row", None):
        assert refusal(raw) == ("row", "must be an object")


def test_an_unknown_field_is_named_first_in_sorted_order_and_cut_to_40_characters():
    assert refusal({**GOOD, "zeta": 1, "alpha": 2}) == ("alpha", "unknown field")
    assert refusal({**GOOD, "k" * 50: 1}) == ("k" * 40, "unknown field")
    assert refusal({**GOOD, "extra column": "a,b"}) == ("extra column", "unknown field")


def test_digits_of_another_script_are_refused_in_their_field():
    assert refusal({**GOOD, "capacity": "\u0663\u0660"}) == ("capacity", "digits must be 0-9")
    assert refusal({**GOOD, "doctor_code": "d\u0967"}) == ("doctor_code", "digits must be 0-9")


@pytest.mark.parametrize("value", ["a b", "x" * 65, 5, "id/1"])
def test_bad_external_ids(value):
    assert refusal({**GOOD, "external_id": value}) == ("external_id", "1-64 of letters, digits and _ . : -")


def test_an_external_id_of_64_characters_passes():
    assert parse({**GOOD, "external_id": "x" * 64}).external_id == "x" * 64


@pytest.mark.parametrize("field", ["department_code", "doctor_code"])
@pytest.mark.parametrize("value", ["a.b", "x" * 33, 5, ["D1"]])
def test_bad_codes(field, value):
    assert refusal({**GOOD, field: value}) == (field, "1-32 of letters, digits, _ and -")


@pytest.mark.parametrize("value", ["2026-12-5", "2026-02-30", "12/05/2026", 20261205, "2026-12-05T08:00"])
def test_bad_dates(value):
    assert refusal({**GOOD, "date": value}) == ("date", "must be a date YYYY-MM-DD")


def test_the_date_lies_within_today_and_the_horizon():
    assert parse({**GOOD, "date": "2026-12-01"}).date == TODAY
    assert refusal({**GOOD, "date": "2026-11-30"}) == ("date", "is in the past")
    assert parse({**GOOD, "date": "2026-12-15"}).date == TODAY + timedelta(days=14)
    assert refusal({**GOOD, "date": "2026-12-16"}) == ("date", "is beyond the booking horizon (14 days ahead)")
    assert refusal({**GOOD, "date": "2026-12-03"}, horizon_days=1) == (
        "date",
        "is beyond the booking horizon (1 days ahead)",
    )


@pytest.mark.parametrize("field", ["start", "end"])
def test_times_must_be_text(field):
    assert refusal({**GOOD, field: 800}) == (field, "must be a time HH:MM")


def test_period_and_stock_are_checked():
    assert refusal({**GOOD, "end": "08:00"}) == ("end", "must be after start")
    assert refusal({**GOOD, "start": "08:10"}) == ("start", "must be on the hour or half hour (HH:00 or HH:30)")
    assert refusal({**GOOD, "capacity": 501}) == ("capacity", "must be 1 to 500")
    assert refusal({**GOOD, "referral_quota": "31"}) == ("referral_quota", "must be between 0 and the capacity")
    assert refusal({**GOOD, "fee_fen": "-1"}) == ("fee_fen", "must be a whole number of fen between 0 and 1,000,000")
    assert refusal({**GOOD, "fee_fen": "1.5"}) == ("fee_fen", "must be a whole number")
    assert refusal({**GOOD, "capacity": True}) == ("capacity", "must be a whole number")


@pytest.mark.parametrize(
    "value, number",
    [
        (7, 7),
        (0, 0),
        (-3, -3),
        ("42", 42),
        (" -12 ", -12),
        ("123456789", 123456789),
    ],
)
def test_whole_numbers(value, number):
    assert _whole(value, "capacity") == number


@pytest.mark.parametrize("value", [True, False, 1.0, None, "1234567890", "1.5", "", "1e3", "+1", "- 1", [1]])
def test_not_whole_numbers(value):
    with pytest.raises(InvalidSchedule) as exc:
        _whole(value, "fee_fen")
    assert (exc.value.field, str(exc.value)) == ("fee_fen", "must be a whole number")


# --- CSV ---------------------------------------------------------------------------------------


def csv_refusal(text, max_rows=10) -> tuple[str, int, str]:
    with pytest.raises(InvalidSchedule) as exc:
        parse_schedule_csv(text, max_rows=max_rows)
    return exc.value.field, exc.value.line, str(exc.value)


def test_rows_come_with_their_line_numbers():
    text = 'a,b\n1,2\n\n3,4\r\n"x\ny",5\n'
    assert parse_schedule_csv(text, max_rows=10) == (
        [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}, {"a": "x\ny", "b": "5"}],
        [2, 4, 6],
    )


def test_a_header_alone_is_no_rows():
    assert parse_schedule_csv("a,b\n", max_rows=10) == ([], [])
    assert parse_schedule_csv("a,b", max_rows=0) == ([], [])


def test_short_rows_get_none_and_long_rows_an_extra_column():
    rows, _ = parse_schedule_csv("a,b,c\n1\n1,2,3,4,5\n1,2,3\n", max_rows=10)
    assert rows == [
        {"a": "1", "b": None, "c": None},
        {"a": "1", "b": "2", "c": "3", "extra column": "4,5"},
        {"a": "1", "b": "2", "c": "3"},
    ]


def test_reading_stops_one_row_past_the_limit():
    text = "a\n" + "".join(f"{i}\n" for i in range(6))
    assert parse_schedule_csv(text, max_rows=2) == ([{"a": "0"}, {"a": "1"}, {"a": "2"}], [2, 3, 4])
    assert len(parse_schedule_csv(text, max_rows=6)[0]) == 6
    assert len(parse_schedule_csv(text, max_rows=5)[0]) == 6


def test_no_header():
    assert csv_refusal("") == ("csv", 1, "needs a header line naming its columns")
    assert csv_refusal("\n\n") == ("csv", 1, "needs a header line naming its columns")


def test_nul_characters_are_refused_with_their_line():
    assert csv_refusal("a\x00,b\n1,2\n") == ("csv", 1, "may not contain NUL characters")
    assert csv_refusal("a,b\n1,2\n3,\x004\n") == ("csv", 3, "may not contain NUL characters")
    assert csv_refusal("\na,b\x00\n") == ("csv", 2, "may not contain NUL characters")  # a blank first line
    assert csv_refusal("a,b\n\x00,1\n2,\x00\n") == ("csv", 2, "may not contain NUL characters")  # the first one


def test_cells_and_columns_are_capped():
    assert parse_schedule_csv(",".join(["h"] * 64) + "\n", max_rows=1) == ([], [])
    assert csv_refusal(",".join(["h"] * 65) + "\n") == ("csv", 1, "at most 64 cells per line")
    assert csv_refusal("a\n1\n" + ",".join(["x"] * 65) + "\n") == ("csv", 3, "at most 64 cells per line")
    assert parse_schedule_csv("a\n" + "x" * 1024 + "\n", max_rows=1) == ([{"a": "x" * 1024}], [2])
    assert csv_refusal("a\n" + "x" * 1025 + "\n") == ("csv", 2, "a cell is longer than 1024 characters")
    assert csv_refusal("a,b\n" + "x" * 200_000 + "\n") == ("csv", 2, "a cell is longer than 1024 characters")


def test_csv_syntax_errors_name_their_line_and_reason():
    cr = "a carriage return outside quotes; end lines with LF or CRLF"
    quote = "a quote is not closed, or text follows a closing quote"
    assert csv_refusal("a,b\rc,d\n") == ("csv", 1, cr)
    assert csv_refusal("a,b\nc,d\re,f\n") == ("csv", 2, cr)
    assert csv_refusal('"x"y\n') == ("csv", 1, quote)
    assert csv_refusal('a,b\n1,2\n"x"y,1\n') == ("csv", 3, quote)
    assert csv_refusal('a,b\n"x,y') == ("csv", 2, quote)


def test_csv_module_messages_become_reasons():
    assert _csv_reason("new-line character seen in unquoted field") == (
        "a carriage return outside quotes; end lines with LF or CRLF"
    )
    assert _csv_reason("field larger than field limit (131072)") == "a cell is longer than 1024 characters"
    assert _csv_reason("',' expected after '\"'") == "a quote is not closed, or text follows a closing quote"
    assert _csv_reason("unexpected end of data") == "a quote is not closed, or text follows a closing quote"
    assert _csv_reason("line contains NUL") == "not valid CSV"
