"""Password hashing (argon2id) and the secret tokens of API access and invitations.

Only hashes are stored: argon2id for passwords, SHA-256 for high-entropy random tokens
(a token of 32 random bytes needs no slow hash).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_BYTES = 32


class Argon2PasswordHasher:
    """The ``PasswordHasher`` port with argon2-cffi's recommended argon2id parameters."""

    def __init__(self) -> None:
        self._argon2 = _Argon2()

    def hash(self, password: str) -> str:
        return str(self._argon2.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._argon2.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    """A fresh URL-safe secret token (shown once, never stored)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
