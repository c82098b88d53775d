"""The body check's compiled character class refuses exactly Unicode's control (Cc) and
surrogate (Cs) code points: nothing more (rare CJK names, emoji, 〇 pass), nothing less."""

import sys
import unicodedata

from backend.http import CONTROL_OR_SURROGATE


def test_the_class_is_exactly_cc_and_cs():
    wrong = [
        cp
        for cp in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(cp)) in ("Cc", "Cs")) != bool(CONTROL_OR_SURROGATE.search(chr(cp)))
    ]
    assert wrong == []


def test_names_pass_and_a_control_character_anywhere_is_found():
    for text in ("王𠈌", "李〇", "欧阳娜娜", "Zoë O'Brien"):
        assert CONTROL_OR_SURROGATE.search(text) is None
    assert CONTROL_OR_SURROGATE.search("医院\u0085名")  # C1 next line
    assert CONTROL_OR_SURROGATE.search("医院\x00")
