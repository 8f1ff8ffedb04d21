"""The read cache: values expire, every write empties it, and a load racing a write is dropped."""

from __future__ import annotations

import time
from pathlib import Path

from spinestep.services.clinician import adjust
from spinestep.services.context import Actor
from spinestep.services.records import Role
from spinestep.web.readcache import ReadCache
from tests.web.support import Clinic, TestClient, make_app


def test_a_value_is_loaded_once_until_it_expires() -> None:
    cache = ReadCache(ttl_s=0.05)
    loads: list[int] = []
    for _ in range(3):
        cache.get_or_load("k", "1", lambda: loads.append(1) or len(loads))
    assert len(loads) == 1
    time.sleep(0.06)
    cache.get_or_load("k", "1", lambda: loads.append(1) or len(loads))
    assert len(loads) == 2


def test_a_load_that_raced_a_clear_is_not_kept() -> None:
    cache = ReadCache(ttl_s=60)

    def load_while_someone_writes() -> str:
        cache.clear()
        return "stale"

    assert cache.get_or_load("k", "1", load_while_someone_writes) == "stale"
    assert cache.get_or_load("k", "1", lambda: "fresh") == "fresh"


def test_a_zero_ttl_disables_caching() -> None:
    cache = ReadCache(ttl_s=0)
    values = iter(range(10))
    assert cache.get_or_load("k", "1", lambda: next(values)) == 0
    assert cache.get_or_load("k", "1", lambda: next(values)) == 1


def test_a_revoked_token_stops_working_at_once(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    assert client.get("/api/v1/me/plan").status_code == 200  # now cached
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me/plan").status_code == 401


def test_the_plan_follows_a_clinicians_change_at_once(clinic: Clinic) -> None:
    patient = clinic.api("patient_a")
    assert patient.get("/api/v1/me/plan").json()["stage"]["number"] == 1
    clinic.api("clinician_a").patch(
        f"/api/v1/patients/{clinic.patient_a}/plan", json={"current_stage": 3}
    )
    assert patient.get("/api/v1/me/plan").json()["stage"]["number"] == 3


def _plan_stage(client: TestClient) -> int:
    stage: int = client.get("/api/v1/me/plan").json()["stage"]["number"]
    return stage


def test_an_app_without_read_cache_sees_another_process_write_at_once(
    clinic: Clinic, tmp_path: Path, database_url: str
) -> None:
    # A write through the services (like the terminal coach) bypasses the app's
    # clear-on-write: the cached app shows the old plan for a while, an app started
    # with the cache off (the benchmark's second run) shows the new one at once.
    uncached_app, _, engine = make_app(tmp_path / "uncached", database_url, read_cache_s=0.0)
    try:
        cached = clinic.api("patient_a")
        uncached = TestClient(uncached_app, follow_redirects=False)
        uncached.headers["authorization"] = cached.headers["authorization"]
        assert (_plan_stage(cached), _plan_stage(uncached)) == (1, 1)
        physio = Actor(role=Role.CLINICIAN, user_id=clinic.clinician_a)
        adjust(clinic.ctx, physio, clinic.patient_a, stage=2)
        assert (_plan_stage(cached), _plan_stage(uncached)) == (1, 2)
    finally:
        engine.dispose()
