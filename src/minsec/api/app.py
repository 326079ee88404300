"""The FastAPI application: :func:`create_app`.

``minsec serve`` runs it with uvicorn; tests use it with ``fastapi.testclient.TestClient``.
The OpenAPI schema is published at ``/openapi.json`` (interactive docs at ``/docs``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsec import __version__, web
from minsec.api import errors
from minsec.api.routes import (
    assess,
    audit,
    backtest,
    data,
    health,
    incidents,
    plans,
    risk,
    scenarios,
    stockpile_sizing,
    stockpiles,
    users,
    web_support,
)
from minsec.api.settings import Settings
from minsec.api.state import AppState
from minsec.api.strict import reject_unknown_query

DESCRIPTION = """
Everything minsec computes, over HTTP, for the analysts of the partner governments.

* `/health` answers without a token; every other endpoint needs
  `Authorization: Bearer <token>` (401 without). Roles: viewer < analyst < admin (403
  when too low). Every user belongs to a party (USA, JPN, …).
* Party-private records (stockpiles) exist in an answer only for their owner party and
  the parties they are shared with.
* Data endpoints answer JSON `{meta, data}`, or a CSV or Parquet file with `format=`.
* Every error is `{"error": {"message", "field", "hint"}}`.
"""


class BodyLimit:
    """ASGI middleware: refuse request bodies above ``max_bytes`` with 413.

    A declared ``Content-Length`` above the limit is refused before reading; a body
    without one (chunked) is read up to the limit and refused once it exceeds it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        response = errors.error_json(
            413,
            f"the request body is larger than {self.max_bytes:,} bytes",
            field="body",
            hint="send less data per request (the limit is MINSEC_MAX_REQUEST_BYTES)",
        )
        await response({"type": "http"}, _no_receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # no declared length: buffer up to the limit, then replay
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: from ``MINSEC_*`` environment variables).

    The app state (``settings.state_path``) is opened when the app starts (lifespan) and
    closed when it stops; the data store is opened read-only on first use.
    """
    chosen = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = AppState.open(chosen)
        app.state.minsec = state
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="minsec API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=errors.ERROR_RESPONSES,
        dependencies=[Depends(reject_unknown_query)],
    )
    errors.install(app)
    routers = (health, data, assess, scenarios, risk, plans, incidents, stockpiles, audit, users)
    for module in (*routers, backtest, stockpile_sizing, web_support):
        app.include_router(module.router)
    web.install(app)  # the dashboard: / and /static (not in the OpenAPI schema)
    app.add_middleware(errors.CatchAll)
    app.add_middleware(BodyLimit, max_bytes=chosen.max_request_bytes)
    app.state.settings = chosen
    return app
