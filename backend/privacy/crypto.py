"""Field encryption for identity data (ID number, phone, name).

Two suites, chosen by setting:
- "aes": AES-256-GCM (pycryptodome), HMAC-SHA256 look-up index.
- "sm":  SM4-GCM (cryptography), HMAC-SM3 look-up index (national-crypto option, GM/T).

Every ciphertext is self-describing, `<suite>.<key version>.<base64(nonce|ciphertext|tag)>`, so
records written under older keys or the other suite stay readable while keys rotate; the column
name is bound in as associated data, so a ciphertext copied into another column fails to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import os

from Crypto.Cipher import AES
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

NONCE_SIZE = 12
TAG_SIZE = 16


class DecryptionError(ValueError):
    pass


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = c_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return std_hmac.new(key, data, hashlib.sha256).digest()


def _aes_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_SIZE)
    cipher.update(aad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return ciphertext + tag


def _aes_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_SIZE)
    cipher.update(aad)
    try:
        return cipher.decrypt_and_verify(sealed[:-TAG_SIZE], sealed[-TAG_SIZE:])
    except ValueError as exc:
        raise DecryptionError("authentication failed") from exc


def _sm4_key(key: bytes) -> bytes:
    # SM4 keys are 128-bit; derive one from the configured 256-bit key rather than truncate it.
    return hmac_sm3(key, b"ehealth/sm4-gcm")[:16]


def _sm4_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext + encryptor.tag


def _sm4_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    decryptor = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce, sealed[-TAG_SIZE:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(sealed[:-TAG_SIZE]) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


SUITES = {
    "aes": (_aes_seal, _aes_open, hmac_sha256),
    "sm": (_sm4_seal, _sm4_open, hmac_sm3),
}


class PiiCipher:
    def __init__(self, *, suite: str, keys: dict[int, bytes], active_version: int, index_key: bytes):
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite!r}")
        if active_version not in keys:
            raise ValueError("active key version missing from the key ring")
        self.suite = suite
        self._keys = dict(keys)
        self.active_version = active_version
        self._index_key = index_key

    @property
    def ref(self) -> str:
        """What new records are written with, e.g. "aes/2"; stored beside each record."""
        return f"{self.suite}/{self.active_version}"

    def encrypt(self, plaintext: str, *, field: str) -> str:
        seal = SUITES[self.suite][0]
        nonce = os.urandom(NONCE_SIZE)
        sealed = seal(self._keys[self.active_version], nonce, plaintext.encode(), field.encode())
        blob = base64.b64encode(nonce + sealed).decode()
        return f"{self.suite}.{self.active_version}.{blob}"

    def decrypt(self, token: str, *, field: str) -> str:
        try:
            suite, version, blob = token.split(".", 2)
            key = self._keys[int(version)]
            raw = base64.b64decode(blob, validate=True)
            open_ = SUITES[suite][1]
        except (ValueError, KeyError) as exc:
            raise DecryptionError("unreadable ciphertext or retired key") from exc
        if len(raw) < NONCE_SIZE + TAG_SIZE:
            raise DecryptionError("ciphertext too short")
        return open_(key, raw[:NONCE_SIZE], raw[NONCE_SIZE:], field.encode()).decode()

    def needs_rewrap(self, token: str) -> bool:
        return not token.startswith(f"{self.suite}.{self.active_version}.")

    def index(self, value: str, *, field: str) -> str:
        """Keyed hash for equality look-ups: same value, same index; useless without the key."""
        mac = SUITES[self.suite][2]
        return mac(self._index_key, f"{field}\x00{value}".encode()).hex()


def from_settings(settings) -> PiiCipher:
    return PiiCipher(
        suite=settings.crypto.suite,
        keys=settings.crypto.keys,
        active_version=settings.crypto.active_version,
        index_key=settings.crypto.index_key,
    )
