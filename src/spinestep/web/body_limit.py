"""A limit on the size of every request body, enforced before anything reads it.

The outermost layer of the app, so it acts before routing, authentication and parsing:

- a request whose ``Content-Length`` exceeds the limit is answered 413 at once, and its
  body is never read;
- a body sent without a length (chunked) is counted as it arrives; past the limit the
  next read fails, nothing more is read, and the answer is 413 whatever the app had
  begun to make of the truncated body.

The API gets the app's JSON error shape (``{"error": {"code": "too_large", ...}}``),
pages a short plain-text page. The default limit is 1 MiB; every form and JSON body of
the app is far smaller. A route that needs more (say a future file import) gets it by
path prefix through ``allowances``, e.g. ``(("/api/v1/imports/", 64 * 2**20),)``; no
route needs one today, so the app passes none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinestep.web.errors import error_body

DEFAULT_LIMIT_BYTES = 2**20
MESSAGE = "the request body is too large"


class BodyTooLarge(HTTPException):
    """Raised by the counted ``receive`` once a streamed body passes the limit."""

    def __init__(self) -> None:
        super().__init__(413, MESSAGE)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps(error_body("too_large", MESSAGE)).encode()
        media_type = b"application/json"
    else:
        body = f"{MESSAGE}.\n".encode()
        media_type = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses (413) any request body larger than its path's limit; see the module doc."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
        allowances: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.limit_bytes = limit_bytes
        self.allowances = tuple(allowances)

    def limit_for(self, path: str) -> int:
        """The limit of ``path``: its longest matching allowance prefix, else the default."""
        matching = [
            (len(prefix), limit) for prefix, limit in self.allowances if path.startswith(prefix)
        ]
        return max(matching)[1] if matching else self.limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send)
            return
        received = 0
        overflow = False
        started = False  # the response has begun
        replaced = False  # ... and it is our 413, not the app's answer

        async def counted_receive() -> Message:
            nonlocal received, overflow
            if overflow:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if overflow and not started:  # whatever the app makes of a cut-off body: 413
                started = replaced = True
                await _refuse(scope, send)
                return
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                started = True
                await _refuse(scope, send)
