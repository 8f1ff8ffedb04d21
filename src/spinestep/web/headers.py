"""Security headers on every response: a strict same-origin content policy (no CDN, ever).

The policy allows scripts from the app alone, plus ``'wasm-unsafe-eval'``: the camera
coach compiles the MediaPipe Pose WebAssembly runtime the app serves from
``/static/vendor/mediapipe-pose/``. It does not allow ``'unsafe-eval'`` (strings run as
JavaScript) nor any other host.

Every answer except the static assets also says ``Cache-Control: no-store``: pages and
API answers carry health data, which must not stay in a browser's or a proxy's cache
(a shared computer at a clinic, the back button after signing out). Static assets
(``/static/``: styles, scripts, icons) hold no personal data and may be cached. The
vendored pose files are large (up to 27 MB) and never change within a pinned version:
a request that names the version (``?v=<version>``, as the pose runner's are) may be
kept for a year; without it the browser revalidates each time (ETag).

Static files get their content type from the suffix here rather than from the host's
MIME table (which differs between machines): ``application/wasm`` lets the browser
compile the runtime while it streams; the models and data are binary.

When people reach spinestep over https (``SPINESTEP_PUBLIC_URL``), HSTS tells browsers
to use https for this host from then on.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
VENDOR_PREFIX = "/static/vendor/"
HSTS = (b"strict-transport-security", b"max-age=31536000")
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
    b"script-src 'self' 'wasm-unsafe-eval'; "
    b"worker-src 'self'; manifest-src 'self'; "
    b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_NO_STORE = (b"cache-control", b"no-store")
_VERSIONED = (b"cache-control", b"public, max-age=31536000, immutable")
_REVALIDATE = (b"cache-control", b"no-cache")
STATIC_TYPES = {
    ".wasm": b"application/wasm",
    ".js": b"text/javascript; charset=utf-8",
    ".mjs": b"text/javascript; charset=utf-8",
    ".tflite": b"application/octet-stream",
    ".binarypb": b"application/octet-stream",
    ".data": b"application/octet-stream",
}


def _static_headers(
    headers: list[tuple[bytes, bytes]], path: str, query: bytes, status: int
) -> list[tuple[bytes, bytes]]:
    """The content type by suffix and the cache rule of a vendored file."""
    if status not in (200, 206, 304):
        return headers
    kind = STATIC_TYPES.get(PurePosixPath(path).suffix.lower())
    if kind is not None and status != 304:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        headers.append((b"content-type", kind))
    if path.startswith(VENDOR_PREFIX):
        versioned = any(len(part) > 2 and part.startswith(b"v=") for part in query.split(b"&"))
        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
        headers.append(_VERSIONED if versioned else _REVALIDATE)
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*_HEADERS, HSTS] if hsts else list(_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        static = path.startswith(STATIC_PREFIX)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if static:
                    query = bytes(scope.get("query_string", b""))
                    headers = _static_headers(headers, path, query, int(message["status"]))
                else:  # no other cache rule survives on health data
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append(_NO_STORE)
                message["headers"] = headers + self.headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
