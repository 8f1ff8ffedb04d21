"""Maps the ``SpinestepError`` tree and malformed requests to HTTP answers, never a 500.

API paths (``/api/``) get ``{"error": {"code", "message", "path"?}}``; pages get a small
HTML page, except that a session refused for want of a safety check goes back to the
check. Messages are the errors' own one-line texts, which never carry scores or names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from spinestep.errors import (
    Conflict,
    InvalidInput,
    MediaError,
    MessageLimitReached,
    MotionUnavailable,
    NotFound,
    PermissionDenied,
    ProgrammePaused,
    ProtocolError,
    ScreeningRequired,
    SessionLimitReached,
    SpinestepError,
    StorageError,
)

logger = logging.getLogger("spinestep.web")
#: Where a page that stores a session sends the person when the safety check is missing.
SCREENING_REQUIRED_PAGE = "/session?screening=required"

_STATUS: tuple[tuple[type[SpinestepError], int, str], ...] = (
    (InvalidInput, 422, "invalid_input"),
    (ProtocolError, 422, "protocol_error"),
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (ProgrammePaused, 409, "programme_paused"),
    (ScreeningRequired, 409, "screening_required"),
    (SessionLimitReached, 429, "too_many_sessions"),
    (MessageLimitReached, 429, "too_many_messages"),
    (Conflict, 409, "conflict"),
    (StorageError, 503, "storage_unavailable"),
    (MotionUnavailable, 422, "motion_unavailable"),
    (MediaError, 422, "media_error"),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def status_for(error: SpinestepError) -> tuple[int, str]:
    for cls, status, code in _STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "error"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_body(code: str, message: str, path: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if path is not None:
        body["path"] = path
    return {"error": body}


async def _page(request: Request, status: int, message: str) -> Response:
    """The error page, rendered in a worker thread (it may read the signed-in account)."""
    pages = getattr(request.app.state, "pages", None)
    if pages is None:
        return Response(message, status_code=status, media_type="text/plain")
    response: Response = await run_in_threadpool(pages.error_page, request, status, message)
    return response


async def spinestep_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SpinestepError)
    status, code = status_for(exc)
    if isinstance(exc, StorageError):
        logger.error("storage error: %s", type(exc).__name__)
    message = str(exc)
    if isinstance(exc, NotFound) and not message:
        message = "not found"
    if is_api(request):
        path = exc.path if isinstance(exc, InvalidInput) else None
        return JSONResponse(error_body(code, message, path), status_code=status)
    if isinstance(exc, ScreeningRequired):  # back to the safety check, which says why
        return Response(status_code=303, headers={"location": SCREENING_REQUIRED_PAGE})
    return await _page(request, status, message)


def _location(loc: Sequence[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "request"


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    path = _location(first.get("loc", ()))
    message = f"{path}: {first.get('msg', 'invalid')}"
    if is_api(request):
        return JSONResponse(error_body("invalid_input", message, path), status_code=422)
    return await _page(request, 422, message)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    if is_api(request):
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)
    if exc.status_code == 401 and not is_api(request):
        return Response(status_code=303, headers={"location": "/login"})
    response = await _page(request, exc.status_code, message)
    if headers:
        response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SpinestepError, spinestep_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
