"""Security headers on every response: a strict same-origin content policy (no CDN, ever).

Every answer except the static assets also says ``Cache-Control: no-store``: pages and
API answers carry health data, which must not stay in a browser's or a proxy's cache
(a shared computer at a clinic, the back button after signing out). Static assets
(``/static/``: styles, scripts, icons) hold no personal data and may be cached.

When people reach spinestep over https (``SPINESTEP_PUBLIC_URL``), HSTS tells browsers
to use https for this host from then on.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
HSTS = (b"strict-transport-security", b"max-age=31536000")
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*_HEADERS, HSTS] if hsts else list(_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not static:  # no other cache rule survives on health data
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append(_NO_STORE)
                message["headers"] = headers + self.headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
