"""Pure rules of reports: result lines, statuses, the PDF check, the signed link; FHIR search values."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.clock import SHANGHAI
from backend.fhir import params
from backend.reports import rules
from backend.reports.sample_pdf import one_page_pdf, pdf_of_size

KEY = rules.link_key(b"k" * 32)


def test_a_final_report_pushed_again_after_it_was_shown_is_amended():
    assert rules.stored_status("final", was_visible=False) == "final"
    assert rules.stored_status("final", was_visible=True) == "amended"
    assert rules.stored_status("cancelled", was_visible=True) == "cancelled"
    assert rules.stored_status("preliminary", was_visible=True) == "preliminary"


@pytest.mark.parametrize(
    "line, field",
    [
        ({"code": "A", "name": "x", "value": 1, "flag": "panic"}, "flag"),
        ({"code": "A B", "name": "x", "value": 1}, "code"),
        ({"code": "A", "name": "x", "value": 1, "loinc": "718"}, "loinc"),
        ({"code": "A", "name": "", "value": 1}, "name"),
        ({"code": "A", "name": "x", "value": True}, "value"),
        ({"code": "A", "name": "x", "value": "1e5" and 1e400}, "value"),
        ({"code": "A", "name": "x", "value": "a\x00b"}, "value"),
        ({"code": "A", "name": "x", "value": 1, "reference_low": 5, "reference_high": 1}, "reference_high"),
        ({"code": "A", "name": "x", "value": 1, "extra": 1}, "extra"),
        ("not an object", "result"),
    ],
)
def test_a_bad_line_names_its_field(line, field):
    parsed, problem = rules.check_result(line)
    assert parsed is None and problem[0] == field


def test_numbers_are_kept_exactly_and_text_as_text():
    # what the hospital sent as text stays text (a "<0.5" or "阴性" is not a number); a number keeps its digits
    line, _ = rules.check_result({"code": "A", "name": "x", "value": "5.60", "flag": "high"})
    assert (line.value_type, line.value, line.flag) == ("text", "5.60", "high")
    line, _ = rules.check_result({"code": "A", "name": "x", "value": 5.6, "reference_low": "３.5"})
    assert (line.value_type, line.value, line.reference_low) == ("number", "5.6", "3.5")
    line, _ = rules.check_result({"code": "A", "name": "x", "value": 0.1})
    assert (line.value_type, line.value, line.flag) == ("number", "0.1", "normal")
    line, _ = rules.check_result({"code": "A", "name": "x", "value": "阴性"})
    assert (line.value_type, line.value) == ("text", "阴性")


@given(
    st.lists(
        st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(st.text(max_size=8), st.integers())),
        max_size=8,
    )
)
def test_checking_lines_never_raises_and_reports_each_bad_line_once(lines):
    good, problems = rules.check_results(lines)
    assert len(good) + len(problems) == len(lines)
    assert sorted(p.index for p in problems) == sorted(set(p.index for p in problems))


def test_the_pdf_check():
    assert rules.pdf_problem(one_page_pdf(["x"])) is None
    assert rules.pdf_problem(pdf_of_size(rules.MAX_PDF_BYTES)) is None
    assert "at most" in rules.pdf_problem(pdf_of_size(rules.MAX_PDF_BYTES + 1))
    assert rules.pdf_problem(b"") == "the body is empty"
    assert "no %PDF-" in rules.pdf_problem(b"GIF89a" + b"0" * 100)
    assert "%%EOF" in rules.pdf_problem(b"%PDF-1.4\n1 0 obj")


def test_the_link_is_valid_until_it_expires_and_only_as_signed():
    sig = rules.link_signature(KEY, report_id=7, pdf_sha256="ab", expires=1000)
    valid = dict(report_id=7, pdf_sha256="ab", expires=1000, signature=sig)
    assert rules.link_valid(KEY, **valid, now_s=700)
    assert rules.link_valid(KEY, **valid, now_s=1000)
    assert not rules.link_valid(KEY, **valid, now_s=1001)
    assert not rules.link_valid(KEY, **valid, now_s=699)  # claims a longer life than 5 minutes
    assert not rules.link_valid(KEY, **{**valid, "report_id": 8}, now_s=900)
    assert not rules.link_valid(KEY, **{**valid, "pdf_sha256": "cd"}, now_s=900)
    assert not rules.link_valid(KEY, **{**valid, "expires": 1001}, now_s=900)
    assert not rules.link_valid(rules.link_key(b"j" * 32), **valid, now_s=900)


def test_fhir_dates_tokens_and_paging():
    day = datetime(2026, 12, 9, tzinfo=SHANGHAI)
    assert params.date_bounds("2026-12-09") == [(">=", day), ("<", day + timedelta(days=1))]
    assert params.date_bounds("ge2026-12") == [(">=", datetime(2026, 12, 1, tzinfo=SHANGHAI))]
    assert params.date_bounds("le2026") == [("<", datetime(2027, 1, 1, tzinfo=SHANGHAI))]
    assert params.date_bounds("gt2026-12-09") == [(">=", day + timedelta(days=1))]
    assert params.date_bounds("lt2026-12-09") == [("<", day)]
    assert params.date_bounds("ge2026-12-09T08:00:00+08:00") == [(">=", datetime(2026, 12, 9, 8, tzinfo=SHANGHAI))]
    for bad in ("2026-13-01", "2026-02-30", "ap2026", "2026-12-09T08:00", "1999", "x"):
        with pytest.raises(params.SearchError):
            params.date_bounds(bad)
    assert params.token("http://loinc.org|718-7") == params.Token("http://loinc.org", "718-7")
    assert params.token("718-7") == params.Token(None, "718-7")
    assert params.token("|718-7") == params.Token("", "718-7")
    assert params.reference_id("Patient/" + "a" * 64, "Patient") == "a" * 64
    assert params.count(None) == 20 and params.count("0") == 0 and params.count("１００") == 100
    for bad in ("101", "-1", "x", "٣"):
        with pytest.raises(params.SearchError):
            params.count(bad)
