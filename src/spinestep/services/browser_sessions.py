"""Signed-in browser sessions kept in the database, and ending them.

The web layer gives each sign-in a random nonce (in the signed cookie); the database
keeps only its SHA-256, the session's ``key``. A cookie counts only while its row
exists, so deleting rows signs browsers out at once:

- signing out ends that one session;
- changing one's own password ends every other session and API token of the account;
- an admin's reset, and a deactivation, end all of them.

Times come from the caller (the wall clock the cookies expire by), not the service
clock.
"""

from __future__ import annotations

from datetime import datetime

from spinestep.services.context import ServiceContext
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import BrowserSessionRecord


def begin(ctx: ServiceContext, user_id: int, key: str, *, now: datetime, ends_at: datetime) -> None:
    """Record a new signed-in session; sessions that have expired are deleted meanwhile."""
    with ctx.uow() as uow:
        uow.browser_sessions.prune(now)
        uow.browser_sessions.add(
            BrowserSessionRecord(
                user_id=user_id, nonce_hash=key, created_at=now, expires_at=ends_at
            )
        )
        uow.commit()


def end(ctx: ServiceContext, key: str) -> None:
    """Sign out the session with this key (nothing happens if it already ended)."""
    with ctx.uow() as uow:
        uow.browser_sessions.end(key)
        uow.commit()


def is_live(record: BrowserSessionRecord | None, user_id: int, now: datetime) -> bool:
    """Whether a stored session still signs in ``user_id`` at ``now``."""
    return record is not None and record.user_id == user_id and record.expires_at > now


def end_all(
    uow: UnitOfWork,
    user_id: int,
    now: datetime,
    *,
    keep_session: str | None = None,
    keep_token: str | None = None,
) -> None:
    """End every browser session and revoke every API token of ``user_id``, in ``uow``.

    ``keep_session`` (a session key) and ``keep_token`` (a token hash) name the one
    credential that stays: the one a person changing their own password used.
    """
    uow.browser_sessions.end_all(user_id, keep=keep_session)
    for token in uow.tokens.for_user(user_id):
        if token.revoked_at is None and token.token_hash != keep_token:
            token.revoked_at = now
            uow.tokens.update(token)
