"""Run a coroutine on an event loop of its own thread.

The thread running the tests may already have a loop set (Playwright's synchronous API,
used by an earlier browser test on the same worker, leaves one), and ``asyncio.run``
refuses to start there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_on_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
