import hashlib

from backend.staff.rules import (
    CODE_RE,
    NONCE_RE,
    canonical,
    derive_secret,
    fresh,
    new_terminal_code,
    secret_hash,
    signature,
)


def test_canonical_binds_method_path_time_nonce_and_body():
    base = canonical("post", "/api/v1/staff/scan", "1800000000", "n" * 16, b'{"a":1}')
    assert (
        base
        == b"POST\n/api/v1/staff/scan\n1800000000\n"
        + b"n" * 16
        + b"\n"
        + hashlib.sha256(b'{"a":1}').hexdigest().encode()
    )
    for changed in [
        canonical("GET", "/api/v1/staff/scan", "1800000000", "n" * 16, b'{"a":1}'),
        canonical("POST", "/api/v1/staff/scan?x=1", "1800000000", "n" * 16, b'{"a":1}'),
        canonical("POST", "/api/v1/staff/scan", "1800000001", "n" * 16, b'{"a":1}'),
        canonical("POST", "/api/v1/staff/scan", "1800000000", "m" * 16, b'{"a":1}'),
        canonical("POST", "/api/v1/staff/scan", "1800000000", "n" * 16, b'{"a":2}'),
    ]:
        assert signature("s", changed) != signature("s", base)


def test_secrets_are_derived_per_terminal_and_version_and_stored_hashed():
    master = b"m" * 32
    code = new_terminal_code()
    assert CODE_RE.match(code)
    s1, s2 = derive_secret(master, code, 1), derive_secret(master, code, 2)
    assert s1 != s2 and s1 != derive_secret(master, new_terminal_code(), 1) and s1 != derive_secret(b"x" * 32, code, 1)
    assert secret_hash(s1) != s1 and len(secret_hash(s1)) == 64


def test_freshness_window():
    assert fresh("1000", now_s=1300, skew_s=300) and fresh("1600", now_s=1300, skew_s=300)
    assert not fresh("999", now_s=1300, skew_s=300) and not fresh("1601", now_s=1300, skew_s=300)
    assert not fresh("abc", now_s=1300, skew_s=300) and not fresh("-5", now_s=1300, skew_s=300)


def test_nonce_shape():
    assert NONCE_RE.match("a" * 16) and NONCE_RE.match("A-b_" * 16)
    assert not NONCE_RE.match("a" * 15) and not NONCE_RE.match("a" * 65) and not NONCE_RE.match("a b" * 8)


def test_a_path_with_undecodable_bytes_still_has_a_canonical_form():
    from backend.staff.rules import canonical

    # the server decodes raw path bytes with surrogateescape: they must round-trip, not raise
    assert canonical("get", "/a/\udcff", "1", "n" * 16, b"").split(b"\n")[:2] == [b"GET", b"/a/\xff"]
