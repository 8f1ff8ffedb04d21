"""Slow requests (downloads: the FHIR Bundle, the CSV, the PDF report, the data export) run
in worker threads of their own, at most half of ``SPINESTEP_THREADS`` at once.

A download of a long history takes seconds of one thread. In the threads of the everyday
requests, a few at once would hold every thread, and a patient's Today page or "stop"
would wait for them. Here they wait for each other instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Request

from spinestep.web.access import web_context

T = TypeVar("T")

# One limiter per event loop (as anyio keeps its own default limiter).
_LIMITER: RunVar[CapacityLimiter] = RunVar("spinestep_slow_work")


def _limiter(request: Request) -> CapacityLimiter:
    try:
        return _LIMITER.get()
    except LookupError:
        # Half of the everyday threads, and at least one.
        limiter = CapacityLimiter(max(1, web_context(request).settings.threads // 2))
        _LIMITER.set(limiter)
        return limiter


async def run_slow(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in a worker thread for slow requests."""
    return await anyio.to_thread.run_sync(work, limiter=_limiter(request))
