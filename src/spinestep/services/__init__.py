"""spinestep.services: the use cases, on top of the domain and the ports they define.

Wiring (done by a front end, the composition root)::

    from spinestep.store import open_store
    from spinestep.services.context import Actor, ServiceContext, SystemClock
    from spinestep.services.passwords import Argon2PasswordHasher

    _engine, uow = open_store(url)
    ctx = ServiceContext(uow=uow, clock=SystemClock(), hasher=Argon2PasswordHasher())
    actor = Actor.local_person()          # or Actor.for_user(user)

Every use case is a function ``f(ctx, actor, ...)`` that opens one unit of work
(one transaction) and returns frozen views (``services.views``):

- ``onboarding.onboard``                     profile, programme, onboarding red flags
- ``screening.due_screening`` / ``session_questions`` / ``record_screening``
                                             the safety check (full or combined form)
- ``programme.today`` / ``history`` / ``evaluate`` / ``first_patient_id``
- ``sessions.record_session`` / ``stop_now``   one commit per saved session
- ``clinician.resume`` / ``resolve_red_flag`` / ``red_flags`` / ``prescribe`` /
  ``adjust`` / ``list_patients``
- ``questionnaires.record_response`` / ``list_responses``
- ``accounts.create_user`` / ``create_first_admin`` / ``authenticate`` /
  ``issue_api_token`` / ``verify_api_token`` / ``revoke_api_token`` / ``create_invite`` /
  ``accept_invite`` / ``change_password`` / ``set_active`` / ``create_reset_link`` /
  ``use_reset_link``
- ``browser_sessions.begin`` / ``end`` / ``end_all``   signed-in browser sessions
- ``privacy.export_patient_data`` / ``delete_account`` / ``carry_out_deletion`` /
  ``audit_trail``

Errors: ``NotFound`` (unknown or not visible), ``PermissionDenied``,
``ProgrammePaused`` (no session offered now), ``ScreeningRequired`` (a session without a
fresh, complete safety check; never for stop now), ``InvalidInput`` (names the field),
``Conflict``.
"""
