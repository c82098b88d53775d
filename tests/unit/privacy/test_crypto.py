import os

import pytest

from backend.privacy.crypto import DecryptionError, PiiCipher


def cipher(suite="aes", keys=None, active=1, index_key=b"i" * 32):
    return PiiCipher(suite=suite, keys=keys or {1: b"k" * 32}, active_version=active, index_key=index_key)


@pytest.mark.parametrize("suite", ["aes", "sm"])
def test_round_trip_and_no_plaintext(suite):
    c = cipher(suite)
    token = c.encrypt("110101199003074477", field="id_number")
    assert token.startswith(f"{suite}.1.")
    assert "110101199003074477" not in token
    assert c.decrypt(token, field="id_number") == "110101199003074477"


@pytest.mark.parametrize("suite", ["aes", "sm"])
def test_same_plaintext_encrypts_differently(suite):
    c = cipher(suite)
    assert c.encrypt("张三", field="name") != c.encrypt("张三", field="name")


@pytest.mark.parametrize("suite", ["aes", "sm"])
def test_tampering_and_column_swaps_fail(suite):
    c = cipher(suite)
    token = c.encrypt("13812345678", field="phone")
    prefix, blob = token.rsplit(".", 1)
    flipped = blob[:-3] + ("A" if blob[-3] != "A" else "B") + blob[-2:]
    with pytest.raises(DecryptionError):
        c.decrypt(f"{prefix}.{flipped}", field="phone")
    with pytest.raises(DecryptionError):
        c.decrypt(token, field="name")  # bound to its column


def test_key_rotation_keeps_old_records_readable():
    old = cipher(keys={1: b"a" * 32})
    token = old.encrypt("张三", field="name")
    rotated = cipher(keys={1: b"a" * 32, 2: os.urandom(32)}, active=2)
    assert rotated.decrypt(token, field="name") == "张三"
    assert rotated.needs_rewrap(token)
    fresh = rotated.encrypt("张三", field="name")
    assert fresh.startswith("aes.2.") and not rotated.needs_rewrap(fresh)
    assert rotated.ref == "aes/2"


def test_retired_key_is_an_error_not_garbage():
    token = cipher(keys={1: b"a" * 32}).encrypt("张三", field="name")
    with pytest.raises(DecryptionError):
        cipher(keys={2: b"b" * 32}, active=2).decrypt(token, field="name")


def test_suites_read_each_other_while_switching():
    aes = cipher("aes")
    sm = cipher("sm")
    assert sm.decrypt(aes.encrypt("王芳", field="name"), field="name") == "王芳"
    assert aes.decrypt(sm.encrypt("王芳", field="name"), field="name") == "王芳"


@pytest.mark.parametrize("suite", ["aes", "sm"])
def test_index_is_keyed_deterministic_and_field_scoped(suite):
    c = cipher(suite)
    assert c.index("13812345678", field="phone") == c.index("13812345678", field="phone")
    assert c.index("13812345678", field="phone") != c.index("13812345678", field="id_number")
    assert c.index("13812345678", field="phone") != cipher(suite, index_key=b"j" * 32).index("13812345678", field="phone")
    assert "13812345678" not in c.index("13812345678", field="phone")


def test_sm_index_is_hmac_sm3():
    from backend.privacy.crypto import hmac_sm3

    c = cipher("sm")
    assert c.index("x", field="f") == hmac_sm3(b"i" * 32, b"f\x00x").hex()
