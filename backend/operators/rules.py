"""Pure rules of operator accounts: roles, usernames, passwords (argon2id via argon2-cffi)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PLATFORM = "platform"
HOSPITAL_ADMIN = "hospital_admin"
ROLES = (PLATFORM, HOSPITAL_ADMIN)
USERNAME = r"^[A-Za-z0-9_.@-]{3,64}$"
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verifying against this keeps an unknown username as slow as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"must be at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise ValueError("at most 256 characters")
    if password.isdigit() or password.isalpha():
        raise ValueError("must mix letters with digits or symbols")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """An unknown user (None) or an empty stored hash is verified against a dummy hash (as slow as
    a real one) and never passes, whatever the password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


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
