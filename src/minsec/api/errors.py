"""One error shape for every answer that is not a success.

Every 4xx and 5xx body is ``{"error": {"message": …, "field": …, "hint": …}}``:
``message`` says what is wrong and what to send instead, ``field`` names the query
parameter, body field or header at fault (or null), ``hint`` suggests a fix (the nearest
valid name, the allowed range) or is null.

=====================================  ======
cause                                  status
=====================================  ======
body not readable (not UTF-8)          400
malformed JSON, wrong types, ranges    422
unknown commodity, country, bloc       422 (``hint``: "did you mean …?")
no token / bad token                   401
role too low for the action            403
unknown or invisible id                404
store lacks the data asked for         409
request body too large                 413
too many active jobs                   429
anything unexpected                    500 (logged without request data)
=====================================  ======
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsec.errors import DataMissingError, InputError, MinsecError, UnknownNameError

log = logging.getLogger("minsec.api")


class ErrorDetail(BaseModel):
    """What went wrong, where, and how to fix it."""

    message: str = Field(description="What is wrong and what is expected instead.")
    field: str | None = Field(
        default=None, description="Query parameter, body field or header at fault."
    )
    hint: str | None = Field(default=None, description="A suggestion, e.g. the nearest name.")


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in [
        (400, "The request body could not be read (not UTF-8 JSON)."),
        (401, "No valid bearer token."),
        (403, "The token's role does not allow this action."),
        (404, "Not found, or not visible to your party."),
        (409, "The store lacks the data this needs (the message says how to get it)."),
        (413, "The request body is larger than the server accepts."),
        (422, "Invalid input; `field` names it and `hint` suggests a fix."),
        (429, "Too many active jobs for this user."),
    ]
}
"""Error answers documented on every operation of the OpenAPI schema."""


class ApiError(Exception):
    """An error with an HTTP status and the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.hint = hint
        self.headers = headers


def error_json(
    status: int,
    message: str,
    field: str | None = None,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON response with the error shape."""
    body = {"error": {"message": message, "field": field, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "header")]
    if not parts:
        return "body" if loc and loc[0] == "body" else None
    return ".".join(parts)


def _validation_message(err: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """Message, field and hint for one pydantic validation error."""
    loc = tuple(err.get("loc", ()))
    field = _field_name(loc)
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", "invalid value"))
    if kind == "json_invalid":
        ctx = err.get("ctx") or {}
        detail = ctx.get("error", "")
        return (
            f"the request body is not valid JSON ({detail})".replace(" ()", ""),
            "body",
            "send a JSON object with Content-Type: application/json",
        )
    if kind == "missing":
        return f"{field or 'a value'} is required", field, None
    if kind in ("model_attributes_type", "dict_type") and field in (None, "body"):
        return "the request body must be a JSON object", "body", None
    if kind == "extra_forbidden":
        return f"{field} is not a known field", field, "remove it; see /openapi.json"
    msg = msg.removeprefix("Value error, ")
    where = f"{field}: " if field else ""
    hint = None
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        hint = f"expected {ctx['expected']}"
    return f"{where}{msg}", field, hint


def install(app: FastAPI) -> None:
    """Register the exception handlers that give every error the same shape."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if not errors:
            return error_json(422, "invalid request")
        message, field, hint = _validation_message(errors[0])
        if len(errors) > 1:
            others = "; ".join(_validation_message(e)[0] for e in errors[1:4])
            message += f" (also: {others}" + (" …)" if len(errors) > 4 else ")")
        return error_json(422, message, field, hint)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.url.path}"
            return error_json(404, detail, hint="see /docs or /openapi.json for the endpoints")
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            return error_json(
                400,
                "the request body could not be read as JSON",
                "body",
                "send UTF-8 JSON with Content-Type: application/json",
            )
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        return error_json(exc.status_code, detail, headers=headers)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_json(exc.status, exc.message, exc.field, exc.hint, exc.headers)

    @app.exception_handler(UnknownNameError)
    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        message = exc.message
        if exc.row is not None:
            message = f"record {exc.row}: {message}"
        return error_json(422, message, exc.column, exc.hint)

    @app.exception_handler(DataMissingError)
    async def _missing(request: Request, exc: DataMissingError) -> JSONResponse:
        return error_json(409, str(exc))

    @app.exception_handler(MinsecError)
    async def _minsec(request: Request, exc: MinsecError) -> JSONResponse:
        return error_json(400, str(exc))


class CatchAll:
    """ASGI middleware: anything unexpected becomes a logged 500 with the error shape.

    The message of an unexpected error may quote data (values in a failed conversion), so
    the log has the exception type, method, path and code frames only — never the message,
    the query or the body. The exception is not re-raised (the server would log it whole).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; turn an escaping exception into a 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "unexpected %s on %s %s\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                frames,
            )
            if started:
                return
            response = error_json(
                500, f"internal error ({type(exc).__name__}); it was logged — please report it"
            )
            await response(scope, receive, send)
