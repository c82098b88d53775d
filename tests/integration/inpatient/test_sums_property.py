"""Property: whatever items a hospital pushes, the bill's sums are exact integers of fen (10 random
admissions of 2-4 days of 200-600 items each: thousands of items per database)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.clock import clock
from backend.inpatient import rules
from tests.integration.conftest import at
from tests.support import make_id_number

TODAY = date(2026, 12, 10)

quantities = st.integers(min_value=-99_999_999, max_value=99_999_999).filter(bool).map(lambda n: Decimal(n).scaleb(-3))
prices = st.integers(min_value=0, max_value=rules.MAX_UNIT_PRICE_FEN)


def exact_amount(q: Decimal, p: int) -> int:
    exact = Fraction(q) * p
    whole = int(abs(exact)) + (1 if abs(exact) - int(abs(exact)) >= Fraction(1, 2) else 0)
    return whole if exact >= 0 else -whole


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    days=st.lists(
        st.lists(st.tuples(quantities, prices, st.sampled_from(rules.CATEGORIES)), min_size=200, max_size=600),
        min_size=2,
        max_size=4,
    )
)
async def test_bill_sums_are_exact_over_random_items(his_for, resident_with_card, days):
    clock.freeze(at(TODAY, "10:00"))
    his = await his_for()
    me = await resident_with_card()
    admission_no = f"P{make_id_number()[-8:]}"
    r = await his.admit(
        admission_no, id_number=me.id_number, admitted=TODAY - timedelta(days=len(days) - 1), deposit_fen=12345
    )
    assert r.status == 201
    expected_days = []
    for n, items in enumerate(days):
        day = TODAY - timedelta(days=len(days) - 1 - n)
        payload = [
            {
                "item_code": f"I{i}",
                "name": "项目",
                "category": c,
                "unit": "个",
                "quantity": str(q),
                "unit_price_fen": p,
                "amount_fen": exact_amount(q, p),
            }
            for i, (q, p, c) in enumerate(items)
        ]
        r = await his.push_day(admission_no, day, payload)
        assert r.status == 200, r.json
        expected_days.append(sum(exact_amount(q, p) for q, p, _ in items))
        assert r.json["subtotal_fen"] == expected_days[-1]
    bill = (
        await me.get(
            f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no={admission_no}"
        )
    ).json
    assert [d["subtotal_fen"] for d in bill["days"]] == expected_days
    assert all(sum(i["amount_fen"] for i in d["items"]) == d["subtotal_fen"] for d in bill["days"])
    assert bill["total_fen"] == sum(expected_days) and bill["balance_fen"] == 12345 - sum(expected_days)
    assert sum(c["subtotal_fen"] for c in bill["categories"]) == bill["total_fen"]
