"""Pure rules of operator accounts: roles, usernames, passwords (argon2id via argon2-cffi)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PLATFORM = "platform"
HOSPITAL_ADMIN = "hospital_admin"
ROLES = (PLATFORM, HOSPITAL_ADMIN)
USERNAME = r"^[A-Za-z0-9_.@-]{3,64}$"
MIN_PASSWORD = 10
# argon2id parameters: RFC 9106's choice for memory-constrained machines (argon2-cffi's default,
# about 0.3 s of CPU per hash on two cores), or the library's cheapest, which only the test suite
# uses (production refuses it, backend/prod_checks.py)
PASSWORD_PROFILES = {"rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
DEFAULT_PASSWORD_PROFILE = "rfc9106_low_memory"
_hashers = {name: PasswordHasher.from_parameters(params) for name, params in PASSWORD_PROFILES.items()}
# verifying against these keeps an unknown username as slow as a wrong password
_dummies = {DEFAULT_PASSWORD_PROFILE: _hashers[DEFAULT_PASSWORD_PROFILE].hash("not a password of anyone")}


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"must be at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise ValueError("at most 256 characters")
    if password.isdigit() or password.isalpha():
        raise ValueError("must mix letters with digits or symbols")


def hash_password(password: str, profile: str = DEFAULT_PASSWORD_PROFILE) -> str:
    return _hashers[profile].hash(password)


def verify_password(password_hash: str | None, password: str, profile: str = DEFAULT_PASSWORD_PROFILE) -> bool:
    """An unknown user (None) or an empty stored hash is verified against a dummy hash (as slow as
    a real one) and never passes, whatever the password."""
    try:
        return _hashers[profile].verify(password_hash or _dummy(profile), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, profile: str = DEFAULT_PASSWORD_PROFILE) -> bool:
    return _hashers[profile].check_needs_rehash(password_hash)


def _dummy(profile: str) -> str:
    if profile not in _dummies:
        _dummies[profile] = _hashers[profile].hash("not a password of anyone")
    return _dummies[profile]


@dataclass(frozen=True)
class Principal:
    """Who is calling the console: `hospital_id` is set for a hospital admin only."""

    operator_id: int | None
    username: str
    role: str
    hospital_id: int | None = None

    @property
    def is_platform(self) -> bool:
        return self.role == PLATFORM

    def reaches(self, hospital_id: int | None) -> bool:
        return self.is_platform or (hospital_id is not None and hospital_id == self.hospital_id)

    @property
    def scope(self) -> int | None:
        """The one hospital this principal is limited to; None for a platform operator."""
        return None if self.is_platform else self.hospital_id


DEV_PLATFORM = Principal(operator_id=None, username="dev-admin-token", role=PLATFORM)
