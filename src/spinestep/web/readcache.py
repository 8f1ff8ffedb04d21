"""A short-lived, in-process cache of what every patient request reads first.

It holds, for half to all of ``ttl_s`` seconds (10 by default), the principal behind a
credential, a patient account's profile and a patient's own Today view. Any request
that may write (every method but GET and HEAD) empties it when it finishes, so within
this process a change is seen by the next request. Another process writing the same
database (a second worker, the terminal coach) is seen after at most ``ttl_s`` seconds.
Every write path re-checks the stored state itself (a paused programme refuses a
session whatever a page showed). Clinicians' reads are never cached: each one is a
fresh, audited read.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")
_MISSING = object()
DEFAULT_READ_CACHE_S = 10.0


class ReadCache:
    """``ttl_s`` 0 (or less) turns the cache off: every read goes to the database."""

    def __init__(self, ttl_s: float = DEFAULT_READ_CACHE_S, max_entries: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def _lookup(self, kind: str, key: str) -> tuple[bool, object, int]:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get((kind, key), None)
            if found is not None and found[0] > now:
                self._entries.move_to_end((kind, key))
                return True, found[1], self._generation
            return False, None, self._generation

    def _store(self, kind: str, key: str, value: object, generation: int) -> None:
        # Expiry is spread over half a TTL so entries loaded together do not expire together.
        expires = time.monotonic() + self.ttl_s * random.uniform(0.5, 1.0)
        with self._lock:
            if generation == self._generation:
                self._entries[(kind, key)] = (expires, value)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)

    def get_or_load(self, kind: str, key: str, load: Callable[[], T]) -> T:
        """The cached value, or ``load()`` (stored unless the cache was emptied meanwhile)."""
        if self.ttl_s <= 0:
            return load()
        hit, value, generation = self._lookup(kind, key)
        if hit:
            return value  # type: ignore[return-value]
        loaded = load()
        self._store(kind, key, loaded, generation)
        return loaded

    async def aget_or_load(self, kind: str, key: str, load: Callable[[], T]) -> T:
        """``get_or_load`` for async handlers.

        A miss loads inline: these loads are a few indexed queries (about a millisecond),
        cheaper than a hop to a worker thread in a CPU-bound single-process server.
        """
        return self.get_or_load(kind, key, load)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1


class ClearOnWriteMiddleware:
    """Empties the read cache when a request that may write has been answered."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        self.cache.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self.cache.clear()
