"""The one place where access is decided.

Every route declares exactly one rule by depending on one of the typed aliases below;
``tests/web/test_access_rules.py`` walks the route table and fails for a route without one.

- ``Public``: anyone (login, setup, static files).
- ``SignedIn``: any account.
- ``PatientAccount``: a patient account, before its profile exists (onboarding).
- ``PatientSelf``: a patient, and only their own record (the ``/me`` routes).
- ``PatientAccountCredential`` and ``PatientSelfCredential``: the same two rules for the
  hot reads, decided when the route reads the credential in its own unit of work
  (``PatientCredential``).
- ``ClinicianOnly``: a clinician, on their own lists (patients, alerts, invites).
- ``CareTeam``: the clinician of the patient named by ``{patient_id}``; anyone else gets
  404, so the existence of other patients does not leak. Every use is audited.
- ``AdminOnly``: an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Path, Request
from starlette.exceptions import HTTPException

from spinestep.domain.instants import MAX_ID
from spinestep.errors import NotFound
from spinestep.services.context import Actor
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import AuditEntry, PatientRecord, Role
from spinestep.web.accesslog import route_template
from spinestep.web.auth import (
    AccountReader,
    aaccount_from_cookie,
    aaccount_from_token,
    account_reader,
)
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal


class Rule(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    PATIENT_ACCOUNT = "patient_account"
    PATIENT_SELF = "patient_self"
    CLINICIAN = "clinician"
    CARE_TEAM = "care_team"
    ADMIN = "admin"


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


async def context(request: Request) -> WebContext:
    return web_context(request)


F = TypeVar("F", bound=Callable[..., Any])


def _mark(rule: Rule) -> Callable[[F], F]:
    """Tag a dependency with the rule it enforces (read by the route-table test)."""

    def decorate(func: F) -> F:
        func.access_rule = rule  # type: ignore[attr-defined]
        return func

    return decorate


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _optional_principal(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    ctx = web_context(request)
    if _is_api(request):
        account = await aaccount_from_token(ctx, request)
    else:
        account = await aaccount_from_cookie(ctx, request)
    principal = None if account is None else account.principal
    request.state.principal = principal
    if account is not None and account.profile is not None:
        # Read with the account (same unit of work): aown_profile need not read it again.
        request.state.profile = account.profile
        request.state.onboarded = account.onboarded
    return principal


async def _require(request: Request, roles: frozenset[Role]) -> Principal:
    return _decide(request, await _optional_principal(request), roles)


def _signed_out(request: Request) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if _is_api(request) else None
    return HTTPException(401, "sign in first", headers=headers)


def _decide(request: Request, principal: Principal | None, roles: frozenset[Role]) -> Principal:
    """``principal`` if it holds one of ``roles``; else 401 (signed out) or 403."""
    if principal is None:
        raise _signed_out(request)
    if principal.role not in roles:
        raise HTTPException(403, "this account may not do that")
    return principal


_ALL = frozenset(Role)
_PATIENT = frozenset({Role.PATIENT})
_NO_PROFILE = "this account has no patient record yet: answer the first questions"


@_mark(Rule.PUBLIC)
async def anyone() -> None:
    """Public, and nobody is looked up (health check)."""


@_mark(Rule.PUBLIC)
async def public_access(request: Request) -> Principal | None:
    return await _optional_principal(request)


@_mark(Rule.SIGNED_IN)
async def signed_in(request: Request) -> Principal:
    return await _require(request, _ALL)


@_mark(Rule.PATIENT_ACCOUNT)
async def patient_account(request: Request) -> Principal:
    return await _require(request, _PATIENT)


@_mark(Rule.CLINICIAN)
async def clinician_only(request: Request) -> Principal:
    return await _require(request, frozenset({Role.CLINICIAN}))


@_mark(Rule.ADMIN)
async def admin_only(request: Request) -> Principal:
    return await _require(request, frozenset({Role.ADMIN}))


@dataclass(frozen=True, slots=True)
class PatientScope:
    """A principal and the one patient record they may act on in this request."""

    principal: Principal
    patient: PatientRecord
    #: Whether the onboarding questions were answered, when read with the account.
    onboarded: bool | None = None

    @property
    def patient_id(self) -> int:
        assert self.patient.id is not None
        return self.patient.id


def _profile_loader(request: Request, principal: Principal) -> Callable[[], PatientRecord | None]:
    ctx = web_context(request)

    def load() -> PatientRecord | None:
        with ctx.uow() as uow:
            return uow.patients.by_user(principal.user_id)

    return load


def own_profile(request: Request, principal: Principal) -> PatientScope | None:
    """The patient profile of a patient account, or None before onboarding created it
    (read from the database: for ``def`` handlers, which run in a worker thread)."""
    known = known_profile(request, principal)
    if known is not None:
        return known
    patient = _profile_loader(request, principal)()
    return None if patient is None else PatientScope(principal, patient)


def known_profile(request: Request, principal: Principal) -> PatientScope | None:
    """The profile read with the account earlier in this request (no database work), if any."""
    known: PatientRecord | None = getattr(request.state, "profile", None)
    if known is not None and known.user_id == principal.user_id:
        return PatientScope(principal, known, getattr(request.state, "onboarded", None))
    return None


async def aown_profile(request: Request, principal: Principal) -> PatientScope | None:
    """``own_profile`` for async code: the profile read with the account, or read now in a
    worker thread (never on the event loop)."""
    known = known_profile(request, principal)
    if known is not None:
        return known
    patient = await anyio.to_thread.run_sync(_profile_loader(request, principal))
    return None if patient is None else PatientScope(principal, patient)


@_mark(Rule.PATIENT_SELF)
async def patient_self(request: Request) -> PatientScope:
    principal = await _require(request, _PATIENT)
    scope = await aown_profile(request, principal)
    if scope is None:
        raise NotFound(_NO_PROFILE)
    return scope


class PatientCredential:
    """A patient request's credential, checked for form but not read yet: for the hot
    reads (Today, ``/me/plan``), which read it in the unit of work of their own reads,
    so the whole request is one trip to a worker thread and one transaction.

    The route reaches the patient only through :meth:`scope_in` or :meth:`identify`,
    which decide the rule from what they read, as ``patient_account`` and
    ``patient_self`` do: 401 when signed out, 403 for another role, and (``identify``)
    NotFound before onboarding created the profile.
    """

    def __init__(self, request: Request, read: AccountReader) -> None:
        self._request = request
        self._read = read
        #: The scope ``scope_in`` read, once it has.
        self.scope: PatientScope | None = None

    def scope_in(self, uow: UnitOfWork) -> PatientScope | None:
        """The patient's scope, read in ``uow``; None while the account has no profile."""
        account = self._read(uow)
        principal = _decide(self._request, None if account is None else account.principal, _PATIENT)
        state = self._request.state
        state.principal = principal
        if account is None or account.profile is None:
            return None
        state.profile, state.onboarded = account.profile, account.onboarded
        self.scope = PatientScope(principal, account.profile, account.onboarded)
        return self.scope

    def identify(self, uow: UnitOfWork) -> tuple[Actor, int]:
        """Who acts on whom (``services.context.Identify``): the patient themselves."""
        scope = self.scope_in(uow)
        if scope is None:
            raise NotFound(_NO_PROFILE)
        return scope.principal.actor, scope.patient_id


def _credential(request: Request) -> PatientCredential:
    read = account_reader(web_context(request), request, api=_is_api(request))
    if read is None:
        raise _signed_out(request)  # no database work for a request without a credential
    return PatientCredential(request, read)


@_mark(Rule.PATIENT_ACCOUNT)
async def patient_account_credential(request: Request) -> PatientCredential:
    return _credential(request)


@_mark(Rule.PATIENT_SELF)
async def patient_self_credential(request: Request) -> PatientCredential:
    return _credential(request)


@_mark(Rule.CARE_TEAM)
async def care_team(
    request: Request, patient_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> PatientScope:
    principal = await _require(request, frozenset({Role.CLINICIAN}))
    ctx = web_context(request)
    action = f"{request.method} {route_template(request.scope)}"

    def check_and_audit() -> PatientRecord | None:
        with ctx.uow() as uow:
            patient = uow.patients.get(patient_id)
            if patient is None or patient.clinician_id != principal.user_id:
                return None
            uow.audit.add(
                AuditEntry(
                    action=action,
                    at=ctx.clock.now(),
                    actor_user_id=principal.user_id,
                    patient_id=patient_id,
                )
            )
            uow.commit()
            return patient

    patient = await anyio.to_thread.run_sync(check_and_audit)
    if patient is None:
        raise NotFound("no such patient")
    return PatientScope(principal, patient)


Public = Annotated[Principal | None, Depends(public_access)]
Anyone = Annotated[None, Depends(anyone)]
SignedIn = Annotated[Principal, Depends(signed_in)]
PatientAccount = Annotated[Principal, Depends(patient_account)]
ClinicianOnly = Annotated[Principal, Depends(clinician_only)]
AdminOnly = Annotated[Principal, Depends(admin_only)]
PatientSelf = Annotated[PatientScope, Depends(patient_self)]
PatientAccountCredential = Annotated[PatientCredential, Depends(patient_account_credential)]
PatientSelfCredential = Annotated[PatientCredential, Depends(patient_self_credential)]
CareTeam = Annotated[PatientScope, Depends(care_team)]
Ctx = Annotated[WebContext, Depends(context)]
