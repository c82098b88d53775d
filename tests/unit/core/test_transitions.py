"""The status-machine helper itself, on a table made here (the domains' tables are built at import
time; tests/unit/core/test_statuses.py checks each of them)."""

from enum import StrEnum

import pytest

from backend.errors import IllegalTransition
from backend.transitions import Transitions


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"
    OFF = "off"


def table(**kw) -> Transitions:
    return Transitions(
        "light",
        {Light.RED: [Light.GREEN], Light.GREEN: (Light.AMBER, Light.OFF), Light.AMBER: {Light.RED}, Light.OFF: set()},
        **kw,
    )


def test_the_table_is_kept_as_given_with_its_name():
    t = table()
    assert t.name == "light"
    assert t.moves == {
        Light.RED: frozenset({Light.GREEN}),
        Light.GREEN: frozenset({Light.AMBER, Light.OFF}),
        Light.AMBER: frozenset({Light.RED}),
        Light.OFF: frozenset(),
    }
    assert t.refusal_code == "illegal_transition"
    assert t.allowed("green", "off") and not t.allowed("red", "amber")
    assert not t.allowed("unknown", "red")  # a status missing from the table goes nowhere
    assert t.sources(Light.RED) == (Light.AMBER,) and t.sources(Light.OFF) == (Light.GREEN,)
    assert t.terminal() == {Light.OFF}


def test_a_refusal_says_what_and_why_with_the_tables_code():
    with pytest.raises(IllegalTransition) as refused:
        table().check("red", "amber")
    e = refused.value
    assert e.code == "illegal_transition" and e.message == "a light that is red cannot become amber"
    assert (e.current, e.wanted) == ("red", "amber")
    assert e.details == {"status_now": "red"}
    with pytest.raises(IllegalTransition) as refused:
        table(refusal_code="light_stuck").check("off", "red")
    assert refused.value.code == "light_stuck"
    with pytest.raises(IllegalTransition) as refused:
        table().check("off", "red", code="switched_off", message="the light is off")
    assert (refused.value.code, refused.value.message) == ("switched_off", "the light is off")
    table().check("amber", "red")  # allowed: no refusal
