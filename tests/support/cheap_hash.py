"""argon2id at its smallest cost, for tests that create and sign in many accounts.

The product hashes with argon2-cffi's recommended parameters (about 0.1-0.2 s a hash
here); ``tests/services/test_passwords.py`` checks those. Everywhere else a
real argon2id hash with the cheapest parameters keeps account set-up quick.
"""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import VerificationError


class CheapArgon2id:
    """argon2id with the smallest cost, so tests that create many accounts stay quick."""

    def __init__(self) -> None:
        self._argon2 = Argon2(time_cost=1, memory_cost=1024, parallelism=1)

    def hash(self, password: str) -> str:
        return str(self._argon2.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._argon2.verify(password_hash, password))
        except VerificationError:
            return False
