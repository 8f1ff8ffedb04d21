"""Accounts: users, passwords, API tokens, one-time invitations and password reset links.

Writes whose checks span accounts take the accounts lock first (``lock_accounts``):
the first-run setup creates exactly one admin however many run at once, and one active
admin always stays, even when two admins deactivate each other at the same moment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from spinestep.domain.text import clean_name
from spinestep.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from spinestep.services import browser_sessions
from spinestep.services.access import audit, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.password_policy import MAX_PASSWORD_CHARS, check_new_password
from spinestep.services.password_policy import MIN_PASSWORD_CHARS as MIN_PASSWORD_CHARS
from spinestep.services.passwords import new_token, token_hash
from spinestep.services.ports import PasswordHasher, UnitOfWork
from spinestep.services.records import (
    ApiTokenRecord,
    InviteRecord,
    PasswordResetRecord,
    Role,
    UserRecord,
)

INVITE_LIFETIME = timedelta(days=7)
RESET_LINK_LIFETIME = timedelta(hours=24)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: ``token`` is shown once and never stored."""

    id: int
    token: str
    label: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedReset:
    """A new password reset link for ``user_id``: ``token`` is shown once (or e-mailed to
    ``email``) and only its SHA-256 is stored."""

    user_id: int
    token: str
    email: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    id: int
    token: str
    email: str
    role: Role
    expires_at: datetime


def normalise_email(email: str) -> str:
    """``email`` in NFC and lower case without surrounding spaces; refused with a space,
    a control or a formatting character inside (an ANSI escape, CR/LF, a right-to-left
    override). Letters beyond ASCII stay allowed: internationalised addresses exist."""
    cleaned = unicodedata.normalize("NFC", email).strip().lower()
    if len(cleaned) > 320 or _EMAIL.fullmatch(cleaned) is None or not cleaned.isprintable():
        raise InvalidInput("email", "must be an email address like name@example.org")
    return cleaned


def _check_password(password: str, path: str = "password") -> None:
    """A new password: ``password_policy`` says what is allowed (taken exactly as typed)."""
    check_new_password(password, path)


def _hasher(ctx: ServiceContext) -> PasswordHasher:
    if ctx.hasher is None:
        raise RuntimeError("this service context has no password hasher")
    return ctx.hasher


def create_user(
    ctx: ServiceContext,
    actor: Actor,
    email: str,
    display_name: str,
    role: Role,
    password: str | None = None,
) -> UserRecord:
    """Create an account (admins, or the local installer). Conflict if the email is taken."""
    require_role(actor, Role.ADMIN)
    return _add_user(ctx, email, display_name, role, password, first=False)


def create_first_admin(
    ctx: ServiceContext, email: str, display_name: str, password: str
) -> UserRecord:
    """The first account of a fresh installation: an admin. Conflict once any account exists.

    The check and the insert run under the accounts lock, so of several setups sent at
    the same moment exactly one creates an account.
    """
    return _add_user(ctx, email, display_name, Role.ADMIN, password, first=True)


def _add_user(
    ctx: ServiceContext,
    email: str,
    display_name: str,
    role: Role,
    password: str | None,
    *,
    first: bool,
) -> UserRecord:
    address = normalise_email(email)
    name = clean_name(display_name, "display_name")
    if password is not None:
        _check_password(password)
    password_hash = None if password is None else _hasher(ctx).hash(password)
    with ctx.uow() as uow:
        uow.lock_accounts()
        if first and uow.users.list_all():
            raise Conflict("spinestep is already set up: sign in instead")
        if uow.users.by_email(address) is not None:
            raise Conflict("an account with this email already exists")
        user = uow.users.add(
            UserRecord(
                email=address,
                display_name=name,
                role=role,
                created_at=ctx.clock.now(),
                password_hash=password_hash,
            )
        )
        uow.commit()
    return user


def authenticate(ctx: ServiceContext, email: str, password: str) -> UserRecord | None:
    """The active user with this email and password, else None (same answer for both)."""
    hasher = _hasher(ctx)
    try:
        address = normalise_email(email)
    except InvalidInput:
        return None
    with ctx.uow() as uow:
        user = uow.users.by_email(address)
    if user is None or not user.active or user.password_hash is None:
        hasher.hash(password)  # spend the same time whether or not the account exists
        return None
    return user if hasher.verify(user.password_hash, password) else None


def create_reset_link(ctx: ServiceContext, actor: Actor, user_id: int) -> IssuedReset:
    """An admin resets another account: a one-time link, valid 24 hours, to set a new password.

    The account's password stops working, earlier unused links are void, and every
    browser session and API token of the account ends. The admin never learns the new
    password: the person chooses it with the link. Admins change their own password with
    ``change_password``, which asks for the current one.
    """
    require_role(actor, Role.ADMIN)
    if not actor.local and actor.user_id == user_id:
        raise Conflict("change your own password on the Account page, with your current one")
    token = new_token()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.lock_accounts()
        _require_active_actor(uow, actor)
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such account")
        if not user.active:
            raise Conflict("this account is deactivated: reactivate it first")
        uow.password_resets.void_for_user(user_id, now)
        uow.password_resets.add(
            PasswordResetRecord(
                user_id=user_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + RESET_LINK_LIFETIME,
                created_by=actor.user_id,
            )
        )
        user.password_hash = None
        uow.users.update(user)
        browser_sessions.end_all(uow, user_id, now)
        audit(uow, ctx.clock, actor, "account.password_reset", None, subject_user_id=user_id)
        uow.commit()
    return IssuedReset(user_id, token, user.email, now + RESET_LINK_LIFETIME)


def check_reset_link(ctx: ServiceContext, token: str) -> None:
    """NotFound unless ``token`` is a reset link that is unused, unexpired and of an active
    account (what the reset page checks before it shows its form)."""
    with ctx.uow() as uow:
        _live_reset(uow, token, ctx.clock.now())


def use_reset_link(ctx: ServiceContext, token: str, password: str) -> UserRecord:
    """Set the account's own new password with a reset link, once; NotFound for a link that
    is unknown, used or expired. Every session and token of the account ends (again)."""
    _check_password(password)
    password_hash = _hasher(ctx).hash(password)
    with ctx.uow() as uow:
        uow.lock_accounts()
        now = ctx.clock.now()
        reset, user = _live_reset(uow, token, now)
        assert user.id is not None
        reset.used_at = now
        uow.password_resets.update(reset)
        user.password_hash = password_hash
        uow.users.update(user)
        browser_sessions.end_all(uow, user.id, now)
        audit(
            uow,
            ctx.clock,
            Actor.for_user(user),
            "account.password_set_by_link",
            None,
            subject_user_id=user.id,
        )
        uow.commit()
    return user


def _live_reset(
    uow: UnitOfWork, token: str, now: datetime
) -> tuple[PasswordResetRecord, UserRecord]:
    reset = uow.password_resets.by_hash(token_hash(token)) if len(token) <= 200 else None
    user = None if reset is None else uow.users.get(reset.user_id)
    if (
        reset is None
        or reset.used_at is not None
        or reset.expires_at <= now
        or user is None
        or not user.active
    ):
        raise NotFound("this reset link is unknown, used or expired: ask an admin for a new one")
    return reset, user


def change_password(
    ctx: ServiceContext,
    actor: Actor,
    current_password: str,
    new_password: str,
    *,
    keep_session: str | None = None,
    keep_token: str | None = None,
) -> None:
    """A signed-in account changes its own password; the current one must match.

    Every other browser session and API token of the account ends: only the one the
    change came with stays (``keep_session``, a browser session key, or ``keep_token``,
    the hash of the API token used).
    """
    if actor.local or actor.user_id is None:
        raise PermissionDenied("only a signed-in account has a password to change")
    hasher = _hasher(ctx)
    with ctx.uow() as uow:
        user = uow.users.get(actor.user_id)
    if user is None or not user.active:
        raise NotFound("no such account")
    if (
        len(current_password) > MAX_PASSWORD_CHARS
        or user.password_hash is None
        or not hasher.verify(user.password_hash, current_password)
    ):
        raise InvalidInput("current_password", "is not your current password")
    _check_password(new_password, "new_password")
    if new_password == current_password:
        raise InvalidInput("new_password", "must differ from the current password")
    password_hash = hasher.hash(new_password)
    with ctx.uow() as uow:
        stored = uow.users.get(actor.user_id)
        if stored is None:
            raise NotFound("no such account")
        stored.password_hash = password_hash
        uow.users.update(stored)
        browser_sessions.end_all(
            uow, actor.user_id, ctx.clock.now(), keep_session=keep_session, keep_token=keep_token
        )
        audit(uow, ctx.clock, actor, "account.password_change", None, subject_user_id=actor.user_id)
        uow.commit()


def set_active(ctx: ServiceContext, actor: Actor, user_id: int, active: bool) -> UserRecord:
    """An admin deactivates or reactivates an account; never their own, nor the last admin.

    A deactivated account cannot sign in, its browser sessions end, its API tokens are
    revoked and its unused reset links are void (reactivating brings none of them back:
    the person signs in again). The check that another active admin remains runs under
    the accounts lock, so two admins deactivating each other leave one of them active.
    """
    require_role(actor, Role.ADMIN)
    if not active and not actor.local and actor.user_id == user_id:
        raise Conflict("you cannot deactivate your own account; another admin can")
    with ctx.uow() as uow:
        uow.lock_accounts()
        _require_active_actor(uow, actor)
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such account")
        if user.active != active:
            if not active and user.role is Role.ADMIN and _active_admins(uow) <= 1:
                raise Conflict(
                    "this is the last active admin account: add or reactivate another admin first"
                )
            now = ctx.clock.now()
            user.active = active
            uow.users.update(user)
            if not active:
                browser_sessions.end_all(uow, user_id, now)
                uow.password_resets.void_for_user(user_id, now)
            action = "account.activate" if active else "account.deactivate"
            audit(uow, ctx.clock, actor, action, None, subject_user_id=user_id)
            uow.commit()
    return user


def _active_admins(uow: UnitOfWork) -> int:
    return sum(1 for user in uow.users.list_all() if user.active and user.role is Role.ADMIN)


def _require_active_actor(uow: UnitOfWork, actor: Actor) -> None:
    """Under the accounts lock: an account deactivated meanwhile no longer manages others."""
    if actor.local or actor.user_id is None:
        return
    stored = uow.users.get(actor.user_id)
    if stored is None or not stored.active or stored.role is not Role.ADMIN:
        raise PermissionDenied("your account may no longer manage accounts")


def list_users(ctx: ServiceContext, actor: Actor) -> list[UserRecord]:
    require_role(actor, Role.ADMIN)
    with ctx.uow() as uow:
        return uow.users.list_all()


def issue_api_token(
    ctx: ServiceContext,
    actor: Actor,
    user_id: int,
    label: str,
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """A new API token for ``user_id`` (the user themself or an admin)."""
    if not (actor.local or actor.role is Role.ADMIN or actor.user_id == user_id):
        raise PermissionDenied("you may only issue tokens for your own account")
    name = label.strip() or "token"
    token = new_token()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        if uow.users.get(user_id) is None:
            raise NotFound(f"no user with id {user_id}")
        record = uow.tokens.add(
            ApiTokenRecord(
                user_id=user_id,
                token_hash=token_hash(token),
                label=name[:100],
                created_at=now,
                expires_at=None if lifetime is None else now + lifetime,
            )
        )
        uow.commit()
    assert record.id is not None
    return IssuedToken(record.id, token, record.label, record.expires_at)


def verify_api_token(ctx: ServiceContext, token: str) -> UserRecord | None:
    """The active user the token belongs to, if it is neither revoked nor expired."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = uow.tokens.by_hash(token_hash(token))
        if record is None or record.revoked_at is not None:
            return None
        if record.expires_at is not None and record.expires_at <= now:
            return None
        user = uow.users.get(record.user_id)
        if user is None or not user.active:
            return None
        record.last_used_at = now
        uow.tokens.update(record)
        uow.commit()
    return user


def revoke_api_token(ctx: ServiceContext, actor: Actor, token_id: int) -> None:
    with ctx.uow() as uow:
        tokens = [t for t in _visible_tokens(uow, actor) if t.id == token_id]
        if not tokens:
            raise NotFound(f"no API token with id {token_id}")
        tokens[0].revoked_at = ctx.clock.now()
        uow.tokens.update(tokens[0])
        uow.commit()


def _visible_tokens(uow: UnitOfWork, actor: Actor) -> list[ApiTokenRecord]:
    if actor.local or actor.role is Role.ADMIN:
        users = [user.id for user in uow.users.list_all() if user.id is not None]
        return [token for user_id in users for token in uow.tokens.for_user(user_id)]
    if actor.user_id is None:
        return []
    return uow.tokens.for_user(actor.user_id)


def create_invite(
    ctx: ServiceContext,
    actor: Actor,
    email: str,
    role: Role,
    patient_id: int | None = None,
) -> IssuedInvite:
    """A one-time invitation (admins invite anyone; clinicians invite patients)."""
    if role is not Role.PATIENT:
        require_role(actor, Role.ADMIN)
    else:
        require_role(actor, Role.ADMIN, Role.CLINICIAN)
    address = normalise_email(email)
    token = new_token()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        if patient_id is not None and uow.patients.get(patient_id) is None:
            raise NotFound(f"no patient with id {patient_id}")
        invite = uow.invites.add(
            InviteRecord(
                token_hash=token_hash(token),
                email=address,
                role=role,
                created_at=now,
                expires_at=now + INVITE_LIFETIME,
                created_by=actor.user_id,
                patient_id=patient_id,
            )
        )
        uow.commit()
    assert invite.id is not None
    return IssuedInvite(invite.id, token, address, role, invite.expires_at)


def accept_invite(ctx: ServiceContext, token: str, display_name: str, password: str) -> UserRecord:
    """Use an invitation once: creates the account (and links the invited patient profile)."""
    _check_password(password)
    password_hash = _hasher(ctx).hash(password)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        invite = uow.invites.by_hash(token_hash(token))
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            raise NotFound("this invitation is unknown, used or expired")
        if uow.users.by_email(invite.email) is not None:
            raise Conflict("an account with this email already exists")
        name = display_name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("display_name", "must be 1-200 characters")
        user = uow.users.add(
            UserRecord(
                email=invite.email,
                display_name=name,
                role=invite.role,
                created_at=now,
                password_hash=password_hash,
            )
        )
        if invite.patient_id is not None:
            patient = uow.patients.get(invite.patient_id)
            if patient is not None and patient.user_id is None:
                patient.user_id = user.id
                uow.patients.update(patient)
        invite.used_at = now
        uow.invites.update(invite)
        uow.commit()
    return user
