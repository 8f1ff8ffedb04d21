"""Calls released at the same moment from threads, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from spinestep.errors import SpinestepError


def race(calls: list[Callable[[], object]]) -> list[object | SpinestepError]:
    """Run ``calls`` in threads released together at one barrier; each one's result, or
    the SpinestepError it raised, in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    results: list[object | SpinestepError] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except SpinestepError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
