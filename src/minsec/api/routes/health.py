"""``/health`` (no token) and ``/api/v1/me`` (who the token belongs to)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from minsec import __version__
from minsec.api.auth import Viewer

router = APIRouter()


class Health(BaseModel):
    """The server is up."""

    status: str
    version: str


class Me(BaseModel):
    """The caller as the token identifies it."""

    user: str
    party: str
    role: str


@router.get("/health", tags=["meta"], summary="Liveness (no token needed)")
def health() -> Health:
    """Answer 200 while the server runs; needs no token and reveals no data."""
    return Health(status="ok", version=__version__)


@router.get("/api/v1/me", tags=["meta"], summary="The caller's user, party and role")
def me(who: Viewer) -> Me:
    """Who the bearer token belongs to."""
    return Me(user=who.user, party=who.party, role=who.role.value)
