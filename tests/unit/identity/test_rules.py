from datetime import datetime, timedelta, timezone

from backend.identity.rules import bearer_token, is_live, new_token, token_expiry, token_hash


def test_tokens_are_opaque_and_stored_hashed():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert token_hash(a) != a and len(token_hash(a)) == 64


def test_bearer_header_parsing():
    t = new_token()
    assert bearer_token(f"Bearer {t}") == t
    assert bearer_token(f"bearer  {t} ") == t
    assert bearer_token(f"Basic {t}") is None
    assert bearer_token("Bearer") is None
    assert bearer_token("Bearer abc def") is None
    assert bearer_token(None) is None


def test_expiry():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    exp = token_expiry(now, 60)
    assert is_live(expires_at=exp, revoked=False, now=now + timedelta(seconds=59))
    assert not is_live(expires_at=exp, revoked=False, now=exp)
    assert not is_live(expires_at=exp, revoked=True, now=now)
