"""How the service fails: one JSON body for every error, {"error", "detail", "request_id"}, the status
that fits each kind of problem, and a middleware that gives each request an id, counts it in the
metrics, and turns a fault of ours into a logged 500 (never a traceback to the client)."""

import time
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localsearch.api import models
from localsearch.api.metrics import Metrics
from localsearch.core import access, log
from localsearch.core.errors import CollectionNotFound, ExtractionError, FileTooLarge, KnownError, ModelUnavailable


def response(status: int, error: str, detail: Any = None, request: Request | None = None,
             headers: Mapping[str, str] | None = None, request_id: str | None = None) -> JSONResponse:
    rid = request_id or (getattr(request.state, "request_id", None) if request is not None else None)
    body = models.Error(error=error, detail=detail, request_id=rid).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


_KNOWN_STATUS: list[tuple[type[KnownError], int]] = [
    (access.NotIndexed, 404), (CollectionNotFound, 404), (access.OutsideFolders, 403), (FileTooLarge, 413),
    (ExtractionError, 422), (ModelUnavailable, 503),
]


def known_status(e: KnownError) -> int:
    return next((status for cls, status in _KNOWN_STATUS if isinstance(e, cls)), 400)


class Guard:
    """Request id, metrics, and the last line of defence: a fault becomes a logged 500 with an id.
    A plain ASGI middleware: Starlette's BaseHTTPMiddleware runs each request through an extra task
    group and memory streams, a cost paid on every search."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        status, responded = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.api.exception("request %s (%s %s) failed", rid, scope["method"], scope["path"])
            if not responded:  # else the client already has a status line; the connection just ends
                await response(500, "internal error; the server log has the details", request_id=rid)(
                    scope, receive, send_with_id)
        finally:
            self.metrics.request(getattr(scope.get("route"), "path", "unmatched"), scope["method"], status, started)


def install(app: FastAPI) -> None:
    """JSON bodies for HTTP errors, invalid requests and the core's known errors."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        return response(e.status_code, str(e.detail), request=request, headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        detail = [{"loc": [str(x) for x in err.get("loc", ())], "msg": str(err.get("msg", "")),
                   "type": str(err.get("type", ""))} for err in e.errors()]
        first = detail[0] if detail else {"loc": [], "msg": "invalid", "type": ""}
        where = ".".join(first["loc"][1:]) or "request"
        if first["type"] == "extra_forbidden":
            return response(422, f"unknown parameter {where!r}", detail, request=request)
        return response(422, f"invalid {where}: {first['msg']}", detail, request=request)

    @app.exception_handler(KnownError)
    async def known(request: Request, e: KnownError) -> JSONResponse:
        return response(known_status(e), str(e), request=request)
