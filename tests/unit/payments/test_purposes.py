from __future__ import annotations

import pytest

from backend.payments.purposes import PaymentPurpose, Purposes, UnknownPurpose


class Deposit(PaymentPurpose):
    name = "deposit"
    refund_texts = {"admission_closed": "出院退款"}

    async def prepare(self, deps, *, account_id, subject):
        raise AssertionError("not called by these tests")


def test_a_purpose_registers_once_and_is_found_by_name():
    purposes = Purposes()
    deposit = Deposit()
    purposes.register(deposit)
    purposes.register(deposit)  # the same handler again (a second build of the wiring) is fine
    assert purposes["deposit"] is deposit and "deposit" in purposes and purposes.names() == ["deposit"]
    with pytest.raises(ValueError):
        purposes.register(Deposit())  # another handler under a taken name is a wiring mistake
    with pytest.raises(UnknownPurpose):
        purposes["booking"]


def test_refund_texts_fall_back_to_a_default():
    assert Deposit().refund_text("admission_closed") == "出院退款"
    assert Deposit().refund_text("anything") == "自动退款"
