"""Access log that cannot leak: method, the route's template and the status, nothing else.

``/api/v1/patients/{patient_id}`` is logged, never the path with the id filled in, and
never the query string, the client address or a header. Uvicorn's own access log is off.
"""

from __future__ import annotations

import logging
import time

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "spinestep.web.access"


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request, or ``<unmatched>``."""
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path or "/"
    return "<unmatched>"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                method = str(scope.get("method", "?"))
                if method not in _KNOWN_METHODS:
                    method = "OTHER"
                elapsed_ms = (time.perf_counter() - started) * 1000
                self.logger.info(
                    "%s %s %d %.1fms", method, route_template(scope), status, elapsed_ms
                )


_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
