"""Accounts: users, passwords, API tokens and one-time invitations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from spinestep.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from spinestep.services.access import audit, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.password_policy import MAX_PASSWORD_CHARS, check_new_password
from spinestep.services.password_policy import MIN_PASSWORD_CHARS as MIN_PASSWORD_CHARS
from spinestep.services.passwords import new_token, token_hash
from spinestep.services.ports import PasswordHasher, UnitOfWork
from spinestep.services.records import ApiTokenRecord, InviteRecord, Role, UserRecord

INVITE_LIFETIME = timedelta(days=7)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: ``token`` is shown once and never stored."""

    id: int
    token: str
    label: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    id: int
    token: str
    email: str
    role: Role
    expires_at: datetime


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or _EMAIL.fullmatch(cleaned) is None:
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
    address = normalise_email(email)
    name = display_name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("display_name", "must be 1-200 characters")
    if password is not None:
        _check_password(password)
    password_hash = None if password is None else _hasher(ctx).hash(password)
    with ctx.uow() as uow:
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


def set_password(ctx: ServiceContext, actor: Actor, user_id: int, password: str) -> None:
    """An admin sets a new password for another account (a reset).

    The account's API tokens are revoked with it. Admins change their own password with
    ``change_password``, which asks for the current one.
    """
    require_role(actor, Role.ADMIN)
    if not actor.local and actor.user_id == user_id:
        raise Conflict("change your own password on the Account page, with your current one")
    _check_password(password)
    password_hash = _hasher(ctx).hash(password)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such account")
        user.password_hash = password_hash
        uow.users.update(user)
        _revoke_all_tokens(uow, user_id, ctx.clock.now())
        audit(uow, ctx.clock, actor, "account.password_reset", None)
        uow.commit()


def change_password(
    ctx: ServiceContext, actor: Actor, current_password: str, new_password: str
) -> None:
    """A signed-in account changes its own password; the current one must match."""
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
        audit(uow, ctx.clock, actor, "account.password_change", None)
        uow.commit()


def set_active(ctx: ServiceContext, actor: Actor, user_id: int, active: bool) -> UserRecord:
    """An admin deactivates or reactivates an account; never their own.

    A deactivated account cannot sign in, its sessions are refused and its API tokens are
    revoked (reactivating does not bring them back: the person signs in again).
    """
    require_role(actor, Role.ADMIN)
    if not active and not actor.local and actor.user_id == user_id:
        raise Conflict("you cannot deactivate your own account; another admin can")
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such account")
        if user.active != active:
            user.active = active
            uow.users.update(user)
            if not active:
                _revoke_all_tokens(uow, user_id, ctx.clock.now())
            action = "account.activate" if active else "account.deactivate"
            audit(uow, ctx.clock, actor, action, None)
            uow.commit()
    return user


def _revoke_all_tokens(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    for token in uow.tokens.for_user(user_id):
        if token.revoked_at is None:
            token.revoked_at = now
            uow.tokens.update(token)


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
