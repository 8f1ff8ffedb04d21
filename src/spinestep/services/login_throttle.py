"""Slowing down password guessing, per (account name, client address) pair.

Each pair has its own entry in the ``login_throttle`` table, keyed by a SHA-256 of the
normalised account name and the address, so:

- the owner of an account, signing in from an address that has not been failing for
  that account, is never refused, however many addresses guess at it;
- a clinic behind one address is not locked out because one person mistyped;
- the state lives in the database: a restart or a second server process keeps it;
- entries are pruned by age only (``ThrottlePolicy.forget_after``), never by count, so
  trying many names cannot wash out the entry of the pair under attack.

An attempt is counted *before* the password is checked (``begin_attempt``) and the
entry is removed when the password was right (``attempt_succeeded``). Counting first,
under ``lock_accounts``, means that a burst of simultaneous guesses from one pair is
judged one after the other: after the free attempts, all but one of them are refused.

Delays: the first ``free_attempts`` failures cost nothing; after that each failure
blocks the pair for ``first_delay_s``, doubling with every further failure, up to
``max_delay_s``. A blocked pair is refused (``LoginThrottled``, the web answers 429
with ``Retry-After``) without looking at the password.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from spinestep.errors import SpinestepError
from spinestep.services.context import ServiceContext
from spinestep.services.records import LoginThrottleRecord


class LoginThrottled(SpinestepError):
    """Too many failed sign-ins from this address for this account; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__("too many failed attempts; wait and try again")


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_attempts: int = 5
    first_delay_s: float = 2.0
    max_delay_s: float = 15 * 60.0
    #: A pair with no failure for this long starts afresh (and its entry is pruned).
    forget_after: timedelta = timedelta(hours=24)

    def delay_s(self, failures: int) -> float:
        """How long a pair is blocked after its ``failures``-th failure in a row."""
        beyond = failures - self.free_attempts
        if beyond <= 0:
            return 0.0
        # 2 ** 30 already dwarfs any sensible cap; no huge integers for huge counts.
        return float(min(self.first_delay_s * 2 ** min(beyond - 1, 30), self.max_delay_s))


DEFAULT_POLICY = ThrottlePolicy()


def pair_key(account: str, address: str) -> str:
    """SHA-256 (hex) of the normalised account name and the client address.

    The name is normalised as sign-in matches accounts (surrounding spaces and case do
    not matter; NFC), so spelling one account in different ways gives the same pair.
    """
    name = unicodedata.normalize("NFC", account).strip().casefold()
    return hashlib.sha256(f"{name}\x00{address}".encode("utf-8", "replace")).hexdigest()


def _retry_after_s(blocked_until: datetime, now: datetime) -> int:
    return max(1, math.ceil((blocked_until - now).total_seconds()))


def begin_attempt(
    ctx: ServiceContext, account: str, address: str, policy: ThrottlePolicy = DEFAULT_POLICY
) -> str:
    """Count a sign-in attempt of the pair as failed until it is shown to have succeeded.

    Returns the pair's key for ``attempt_succeeded``; raises ``LoginThrottled`` while the
    pair is blocked (nothing is counted then).
    """
    key = pair_key(account, address)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.lock_accounts()
        entry = uow.login_throttle.get(key)
        if entry is not None and entry.last_failure_at < now - policy.forget_after:
            entry = None
        if entry is not None and entry.blocked_until is not None and entry.blocked_until > now:
            raise LoginThrottled(_retry_after_s(entry.blocked_until, now))
        failures = 1 if entry is None else entry.failures + 1
        delay_s = policy.delay_s(failures)
        blocked_until = now + timedelta(seconds=delay_s) if delay_s else None
        uow.login_throttle.save(LoginThrottleRecord(key, failures, now, blocked_until))
        uow.login_throttle.prune(now - policy.forget_after)
        uow.commit()
    return key


def attempt_succeeded(ctx: ServiceContext, key: str) -> None:
    """The password was right: the pair starts afresh."""
    with ctx.uow() as uow:
        uow.lock_accounts()
        uow.login_throttle.delete(key)
        uow.commit()


def failures_of(
    ctx: ServiceContext, account: str, address: str, policy: ThrottlePolicy = DEFAULT_POLICY
) -> int:
    """How many failures in a row the pair has on record (0 when forgotten)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        entry = uow.login_throttle.get(pair_key(account, address))
    if entry is None or entry.last_failure_at < now - policy.forget_after:
        return 0
    return entry.failures
