"""The product's password hasher: argon2id with the recommended cost (RFC 9106's second
recommendation: 3 passes over 64 MiB with 4 lanes). The other tests use a cheap argon2id
(``tests/support/cheap_hash.py``), so this is where the real parameters are checked."""

from __future__ import annotations

from argon2 import extract_parameters

from spinestep.services.passwords import Argon2PasswordHasher


def test_passwords_are_hashed_with_argon2id_at_the_recommended_cost() -> None:
    hasher = Argon2PasswordHasher()
    stored = hasher.hash("a long enough pass phrase")
    assert stored.startswith("$argon2id$")
    parameters = extract_parameters(stored)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
    assert hasher.verify(stored, "a long enough pass phrase")
    assert not hasher.verify(stored, "a long enough pass phrasE")


def test_two_hashes_of_one_password_differ_and_a_damaged_hash_verifies_nothing() -> None:
    hasher = Argon2PasswordHasher()
    first, second = hasher.hash("same words"), hasher.hash("same words")
    assert first != second  # a salt of its own each
    assert not hasher.verify("$argon2id$v=19$m=65536,t=3,p=4$not-a-hash", "same words")
    assert not hasher.verify("plain text", "plain text")
