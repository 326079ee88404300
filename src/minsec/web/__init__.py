"""The browser dashboard, served by the API app from package data (no CDN, no tiles).

:func:`install` adds ``/`` (the single page, ``static/index.html``) and ``/static/…``
(JavaScript modules, CSS, the pre-projected world map ``world.json``) to a FastAPI app.
Neither appears in ``/openapi.json``. The page talks to ``/api/v1`` with the bearer token
the user pastes at login (kept in the tab's ``sessionStorage``). See docs/dashboard.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

#: Content-Security-Policy of the page: everything from this server, nothing inline.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def static_dir() -> Path:
    """The folder of the dashboard's assets inside the installed package."""
    return Path(str(resources.files("minsec.web").joinpath("static")))


def install(app: FastAPI) -> None:
    """Serve the dashboard from ``app``: ``/`` → the page, ``/static`` → its assets."""
    folder = static_dir()
    index = folder / "index.html"

    async def dashboard() -> Response:
        """The dashboard's single page."""
        return FileResponse(index, media_type="text/html", headers=SECURITY_HEADERS)

    app.add_api_route(
        "/",
        dashboard,
        methods=["GET", "HEAD"],
        include_in_schema=False,
        response_class=FileResponse,
    )
    app.mount("/static", StaticFiles(directory=folder), name="static")
