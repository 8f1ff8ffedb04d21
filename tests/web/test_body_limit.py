"""Request bodies past the limit are refused (413) before anything parses them or asks who
is sending them, and are never read whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from spinestep.settings import Settings
from spinestep.store.uow import open_store
from spinestep.web.app import create_app
from spinestep.web.body_limit import DEFAULT_LIMIT_BYTES, BodyLimitMiddleware
from tests.support.own_loop import run_on_own_loop

FIFTY_MB = 50 * 2**20
CHUNK = 64 * 2**10


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    database_url = f"sqlite:///{tmp_path / 'spinestep.db'}"
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret-key"
    )
    engine, uow = open_store(database_url)
    yield create_app(settings, uow=uow)
    engine.dispose()


@dataclass
class Exchange:
    """One request driven straight through the ASGI interface, counting what the app read."""

    total_bytes: int
    chunk_bytes: int = CHUNK
    declare_length: bool = True
    bytes_read: int = 0
    messages_read: int = 0
    sent: list[Message] = field(default_factory=list)

    async def receive(self) -> Message:
        self.messages_read += 1
        if self.bytes_read >= self.total_bytes:
            return {"type": "http.disconnect"}
        size = min(self.chunk_bytes, self.total_bytes - self.bytes_read)
        self.bytes_read += size
        more = self.bytes_read < self.total_bytes
        return {"type": "http.request", "body": b"x" * size, "more_body": more}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def scope(self, method: str, path: str, content_type: str) -> Scope:
        headers = [(b"host", b"testserver"), (b"content-type", content_type.encode())]
        if self.declare_length:
            headers.append((b"content-length", str(self.total_bytes).encode()))
        else:
            headers.append((b"transfer-encoding", b"chunked"))
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

    def run(self, app: Any, method: str, path: str, content_type: str) -> None:
        """Drive the app on an event loop of its own thread: the thread running the tests
        may already have a loop running (Playwright's synchronous API leaves one)."""
        run_on_own_loop(app(self.scope(method, path, content_type), self.receive, self.send))

    @property
    def status(self) -> int:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.sent
        status: int = starts[0]["status"]
        return status

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")

    def header(self, name: bytes) -> bytes | None:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return next((value for key, value in start["headers"] if key == name), None)


def test_a_declared_50_mb_body_without_a_token_is_refused_unread(app: FastAPI) -> None:
    exchange = Exchange(FIFTY_MB)
    exchange.run(app, "POST", "/api/v1/me/sessions", "application/json")
    assert exchange.status == 413
    assert exchange.messages_read == 0 and exchange.bytes_read == 0
    assert json.loads(exchange.body)["error"]["code"] == "too_large"


def test_a_chunked_50_mb_body_is_cut_off_at_the_limit(app: FastAPI) -> None:
    exchange = Exchange(FIFTY_MB, declare_length=False)
    exchange.run(app, "POST", "/api/v1/me/sessions", "application/json")
    assert exchange.status == 413
    assert json.loads(exchange.body)["error"]["code"] == "too_large"
    assert exchange.bytes_read <= DEFAULT_LIMIT_BYTES + CHUNK


def test_a_declared_large_form_gets_a_plain_413_page(app: FastAPI) -> None:
    exchange = Exchange(FIFTY_MB)
    exchange.run(app, "POST", "/login", "application/x-www-form-urlencoded")
    assert exchange.status == 413
    assert exchange.header(b"content-type") == b"text/plain; charset=utf-8"
    assert b"too large" in exchange.body
    assert exchange.bytes_read == 0


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz"]
)
def test_a_chunked_form_is_never_read_past_the_limit(app: FastAPI, content_type: str) -> None:
    exchange = Exchange(FIFTY_MB, declare_length=False)
    exchange.run(app, "POST", "/login", content_type)
    # The form parser may give up first (400, one field too long); either way it stops early.
    assert exchange.status in (400, 413)
    assert exchange.bytes_read <= DEFAULT_LIMIT_BYTES + CHUNK


def test_a_body_within_the_limit_reaches_the_app(app: FastAPI) -> None:
    exchange = Exchange(DEFAULT_LIMIT_BYTES, declare_length=False)
    exchange.run(app, "POST", "/api/v1/auth/token", "application/json")
    assert exchange.status == 422  # read whole, then refused as malformed JSON
    assert exchange.bytes_read == DEFAULT_LIMIT_BYTES


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def test_a_path_prefix_can_be_allowed_a_larger_body() -> None:
    guarded = BodyLimitMiddleware(
        _echo_length, limit_bytes=1000, allowances=(("/api/v1/imports/", 5000),)
    )
    allowed = Exchange(4000, chunk_bytes=100, declare_length=False)
    allowed.run(guarded, "POST", "/api/v1/imports/csv", "text/csv")
    assert (allowed.status, allowed.body) == (200, b"4000")

    elsewhere = Exchange(4000, chunk_bytes=100, declare_length=False)
    elsewhere.run(guarded, "POST", "/api/v1/me/sessions", "text/csv")
    assert elsewhere.status == 413
    assert elsewhere.bytes_read <= 1100

    declared = Exchange(6000)
    declared.run(guarded, "POST", "/api/v1/imports/csv", "text/csv")
    assert declared.status == 413 and declared.bytes_read == 0
