"""Schemathesis against the OpenAPI document: no server error, no response that breaks the schema.

One test per operation, generated from the app's own OpenAPI document. Each operation is
called with a bearer token of the account it is meant for (patient, clinician or admin),
so the fuzzer reaches the real code and not only the 401/403 answers. The number of
examples is bounded so the whole run takes a minute or two.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from spinestep.services import accounts
from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.web.support import Clinic, make_app

EXAMPLES_PER_OPERATION = 15


def _operations() -> list[tuple[str, str]]:
    app, _, engine = make_app(Path("/tmp/spinestep-openapi"), "sqlite://")
    engine.dispose()
    document = app.openapi()
    return [
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    ]


OPERATIONS = _operations()


def _token(clinic: Clinic, path: str) -> str:
    if path.startswith("/api/v1/admin"):
        user_id = clinic.admin_id
    elif (
        path.startswith(("/api/v1/patients", "/api/v1/alerts", "/api/v1/clinic/"))
        or path == "/api/v1/invites"
    ):
        user_id = clinic.clinician_a
    else:
        user_id = clinic.patient_a_user
    installer = Actor(role=Role.ADMIN, user_id=None, local=True)
    return accounts.issue_api_token(
        clinic.ctx, installer, user_id, "fuzz", timedelta(hours=1)
    ).token


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_never_errors_and_matches_its_schema(method: str, path: str, clinic: Clinic) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", clinic.app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        # A fresh token each time: one operation revokes the token it is called with.
        token = _token(clinic, path)
        case.call_and_validate(
            headers={"authorization": f"Bearer {token}"},
            # Strict JSON types (SPEC §3.4): 2.0 is no integer here, so a schema-valid 2.0
            # is refused with 422 on purpose.
            excluded_checks=[positive_data_acceptance],
        )

    run()
