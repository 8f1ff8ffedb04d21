"""The one-statement reads every signed-in request starts with: credential, account,
patient profile and (for browser sessions) whether onboarding was answered."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from spinestep.services import accounts, browser_sessions
from spinestep.services.passwords import token_hash
from spinestep.services.records import ApiTokenRecord, Role
from tests.web.support import INSTALLER, PASSWORD, Clinic


def _begin(clinic: Clinic, user_id: int, key: str) -> None:
    now = clinic.ctx.clock.now()
    browser_sessions.begin(clinic.ctx, user_id, key, now=now, ends_at=now + timedelta(hours=1))


def _statements(clinic: Clinic) -> list[str]:
    seen: list[str] = []
    sa.event.listen(clinic.engine, "before_cursor_execute", lambda *a: seen.append(str(a[2])))
    return seen


def test_a_browser_session_is_read_with_its_account_profile_and_onboarding_at_once(
    clinic: Clinic,
) -> None:
    newcomer = accounts.create_user(
        clinic.ctx, INSTALLER, "new@clinic.example", "Nia", Role.PATIENT, PASSWORD
    )
    assert newcomer.id is not None
    for user_id, key in (
        (clinic.patient_a_user, "key-a"),
        (clinic.clinician_a, "key-c"),
        (newcomer.id, "key-n"),
    ):
        _begin(clinic, user_id, key)
    seen = _statements(clinic)
    with clinic.ctx.uow() as uow:
        patient = uow.browser_sessions.signed_in("key-a")
        physio = uow.browser_sessions.signed_in("key-c")
        fresh = uow.browser_sessions.signed_in("key-n")
        missing = uow.browser_sessions.signed_in("no-such-key")
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 4
    assert patient is not None and physio is not None and fresh is not None
    assert missing is None
    session, user, profile, onboarded = patient
    assert (session.user_id, user.id) == (clinic.patient_a_user, clinic.patient_a_user)
    assert profile is not None and profile.id == clinic.patient_a and onboarded is True
    assert (physio[1].id, physio[2], physio[3]) == (clinic.clinician_a, None, False)
    assert (fresh[1].id, fresh[2], fresh[3]) == (newcomer.id, None, False)


def test_a_token_is_read_with_its_account_and_profile_at_once(clinic: Clinic) -> None:
    now = clinic.ctx.clock.now()
    with clinic.ctx.uow() as uow:
        for user_id, secret in ((clinic.patient_b_user, "tok-b"), (clinic.admin_id, "tok-x")):
            uow.tokens.add(ApiTokenRecord(user_id, token_hash(secret), "test", now))
        uow.commit()
    seen = _statements(clinic)
    with clinic.ctx.uow() as uow:
        patient = uow.tokens.with_account(token_hash("tok-b"))
        admin = uow.tokens.with_account(token_hash("tok-x"))
        missing = uow.tokens.with_account(token_hash("tok-none"))
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 3
    assert patient is not None and admin is not None and missing is None
    assert patient[1].id == clinic.patient_b_user
    assert patient[2] is not None and patient[2].id == clinic.patient_b
    assert (admin[1].id, admin[2]) == (clinic.admin_id, None)
