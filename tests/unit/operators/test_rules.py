"""Operator passwords (strength, argon2id hashes) and who a console caller reaches."""

import pytest
from argon2 import PasswordHasher

from backend.operators import rules
from backend.operators.rules import HOSPITAL_ADMIN, PLATFORM, Principal


@pytest.mark.parametrize(
    "password, reason",
    [
        ("abcdefgh1", "must be at least 10 characters"),  # 9: one short
        ("", "must be at least 10 characters"),
        ("a1" * 128 + "x", "at most 256 characters"),  # 257
        ("1234567890", "must mix letters with digits or symbols"),
        ("abcdefghij", "must mix letters with digits or symbols"),
        ("密码密码密码密码密码", "must mix letters with digits or symbols"),
    ],
)
def test_a_weak_password_is_refused_with_its_reason(password, reason):
    with pytest.raises(ValueError) as exc:
        rules.check_password_strength(password)
    assert str(exc.value) == reason


@pytest.mark.parametrize("password", ["abcdefghi1", "a1" * 128, "!!!!!!!!!!", "abcdefghi!", "1234567890-"])
def test_strong_enough_passwords_pass(password):
    assert rules.check_password_strength(password) is None


def test_a_hash_verifies_its_password_only():
    hashed = rules.hash_password("correct horse 1")
    assert hashed.startswith("$argon2id$")
    assert rules.verify_password(hashed, "correct horse 1") is True
    assert rules.verify_password(hashed, "correct horse 2") is False
    assert rules.needs_rehash(hashed) is False


def test_an_unknown_user_never_verifies_even_with_the_dummy_password():
    assert rules.verify_password(None, "not a password of anyone") is False
    assert rules.verify_password(None, "anything else 1") is False
    assert rules.verify_password("", "not a password of anyone") is False


def test_a_malformed_hash_is_a_failed_log_in_not_an_error():
    assert rules.verify_password("not-a-hash", "correct horse 1") is False
    assert rules.verify_password("$argon2id$v=19$m=65536,t=3,p=4$garbage", "correct horse 1") is False


def test_a_hash_with_weaker_parameters_needs_rehashing():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("correct horse 1")
    assert rules.verify_password(weak, "correct horse 1") is True
    assert rules.needs_rehash(weak) is True


def test_a_platform_operator_reaches_every_hospital_and_has_no_scope():
    p = Principal(operator_id=1, username="root", role=PLATFORM)
    assert p.is_platform is True
    assert p.reaches(7) is True and p.reaches(None) is True
    assert p.scope is None
    assert Principal(operator_id=1, username="root", role=PLATFORM, hospital_id=7).scope is None


def test_a_hospital_admin_reaches_only_its_own_hospital():
    p = Principal(operator_id=2, username="admin", role=HOSPITAL_ADMIN, hospital_id=7)
    assert p.is_platform is False
    assert p.reaches(7) is True
    assert p.reaches(8) is False
    assert p.reaches(None) is False
    assert p.scope == 7


def test_an_admin_without_a_hospital_reaches_nothing():
    p = Principal(operator_id=3, username="lost", role=HOSPITAL_ADMIN)
    assert p.reaches(None) is False
    assert p.scope is None


def test_roles_and_the_dev_principal():
    assert rules.ROLES == ("platform", "hospital_admin")
    assert rules.MIN_PASSWORD == 10
    dev = Principal(operator_id=None, username="dev-admin-token", role="platform", hospital_id=None)
    assert rules.DEV_PLATFORM == dev


def test_the_test_suites_cheap_profile_hashes_and_verifies_and_its_hashes_need_rehashing_in_production():
    cheap = rules.hash_password("correct horse 1", "cheapest")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert rules.verify_password(cheap, "correct horse 1", "cheapest") is True
    assert rules.verify_password(cheap, "correct horse 2", "cheapest") is False
    assert rules.verify_password(None, "not a password of anyone", "cheapest") is False
    assert rules.needs_rehash(cheap, "cheapest") is False
    assert rules.needs_rehash(cheap) is True  # production's parameters
    assert rules.hash_password("correct horse 1").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
