"""A server process runs its worker-thread work (plain ``def`` routes, database reads of
async code) in the number of threads its settings name (``SPINESTEP_THREADS``)."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI

from spinestep.settings import DEFAULT_THREADS
from tests.support.own_loop import run_on_own_loop
from tests.web.support import make_app


def _threads_while_running(app: FastAPI) -> tuple[float, float]:
    """The worker threads of a fresh event loop, then while ``app`` runs in it."""

    async def running() -> tuple[float, float]:
        limiter = anyio.to_thread.current_default_thread_limiter
        before = limiter().total_tokens
        async with app.router.lifespan_context(app):
            return before, limiter().total_tokens

    return run_on_own_loop(running())


def test_the_app_runs_in_the_threads_its_settings_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app, _, engine = make_app(tmp_path, url, settings={"threads": 3})
    default_app, _, default_engine = make_app(tmp_path, url)
    try:
        anyio_default, threads = _threads_while_running(app)
        assert threads == 3 != anyio_default
        assert _threads_while_running(default_app) == (anyio_default, DEFAULT_THREADS)
    finally:
        engine.dispose()
        default_engine.dispose()
