"""Names as people carry them on their ID cards: rare characters (生僻字) from every CJK block."""

import pytest

from backend.cards.rules import InvalidIdentity, name_characters, normalize_name
from backend.privacy.masking import mask_name

# one name per block, built from the block's first code point (and a second one inside it)
BLOCKS = {
    "unified": "\u4e00\u9fa5",
    "ext_a": "\u3400\u4db5",
    "ext_b": "\U0002020c\U00020000",
    "ext_c": "\U0002a700\U0002b734",
    "ext_d": "\U0002b740\U0002b81d",
    "ext_e": "\U0002b820\U0002cea1",
    "ext_f": "\U0002ceb0\U0002ebe0",
    "ext_g": "\U00030000\U0003134a",
    "ext_h": "\U00031350\U000323af",
    "ext_i": "\U0002ebf0\U0002ee5d",
    "compat": "\uf900\ufa0e",
    "compat_supplement": "\U0002f800\U0002fa1d",
}


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_every_cjk_block_is_a_name(block):
    name = "王" + BLOCKS[block]
    assert normalize_name(name) == name  # accepted, and stored exactly as given
    assert mask_name(name) == "王*" + BLOCKS[block][-1]


@pytest.mark.parametrize("name, masked", [("王𠈌", "王*"), ("李〇", "李*"), ("𠈌𠈌𠈌", "𠈌*𠈌"), ("〇〇", "〇*")])
def test_the_issue_names_are_accepted_and_masked_per_character(name, masked):
    assert normalize_name(name) == name
    assert mask_name(name) == masked
    # one star per character: never two for an Extension B character (a UTF-16 surrogate pair)
    assert len(mask_name(name)) == len(name)


def test_compatibility_ideographs_are_not_folded_to_their_unified_twins():
    # NFKC would turn U+F9F4 into 林 U+6797: a different character from the one on the card
    assert normalize_name("林\uf9f4") == "林\uf9f4"
    assert normalize_name("\U0002f800三") == "\U0002f800三"


def test_full_width_letters_and_spaces_are_still_folded():
    assert normalize_name("Ｊｏｈｎ　Ｓｍｉｔｈ") == "John Smith"


def test_a_variation_sequence_counts_as_one_character():
    name = "葛\U000e0100飞"
    assert normalize_name(name) == name
    assert name_characters(name) == ["葛\U000e0100", "飞"]
    assert mask_name(name) == "葛\U000e0100*"
    assert mask_name("王\U000e0101") == "*"  # a single character is masked whole, selector included


def test_one_rare_character_alone_is_too_short():
    with pytest.raises(InvalidIdentity):
        normalize_name("𠈌")
    with pytest.raises(InvalidIdentity):
        normalize_name("王\U000e0100")  # still one character


@pytest.mark.parametrize(
    "raw", ["王\U000e0100\U000e0101x", "a\U000e0100b", "王😀", "王\u3006", "王\u2e80", "·王二", "王二·"]
)
def test_not_names(raw):
    with pytest.raises(InvalidIdentity):
        normalize_name(raw)


def test_forty_rare_characters_fit_and_forty_one_do_not():
    assert normalize_name("\U0002020c" * 40)
    with pytest.raises(InvalidIdentity):
        normalize_name("\U0002020c" * 41)
