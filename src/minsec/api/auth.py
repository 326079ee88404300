"""Bearer-token authentication and role checks (FastAPI dependencies).

They are ``async``: a known token is answered from memory without a thread hop; a new one
costs one indexed lookup in the app state.

``Authorization: Bearer msk_…`` identifies a :class:`~minsec.api.accounts.Principal`
(user, party, role). No token or an unknown/revoked one → 401 with
``WWW-Authenticate: Bearer``; a role below the one an action needs → 403.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from minsec.api.accounts import Principal, Role
from minsec.api.errors import ApiError
from minsec.api.state import AppState

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `minsec users add NAME --party P --role R` (shown once).",
)


async def app_state(request: Request) -> AppState:
    """The :class:`AppState` of the running app."""
    state: AppState = request.app.state.minsec
    return state


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller; 401 without a valid token."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "this endpoint needs a token: send the header 'Authorization: Bearer <token>'",
            field="Authorization",
            hint="an admin creates one with `minsec users add NAME --party P --role R`",
            headers=challenge,
        )
    state: AppState = request.app.state.minsec
    found = state.accounts.authenticate(credentials.credentials.strip())
    if found is None:
        raise ApiError(
            401,
            "the token is not valid (unknown, mistyped or revoked)",
            field="Authorization",
            hint="ask an admin for a new token (`minsec users token NAME`)",
            headers=challenge,
        )
    return found


def require(role: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that returns the caller when its role allows ``role``, else 403."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.role.allows(role):
            raise ApiError(
                403,
                f"this needs the {role.value} role; your token has {who.role.value}",
                hint="ask an admin of your party for a token with that role",
            )
        return who

    return check


Viewer = Annotated[Principal, Depends(principal)]
"""Any authenticated caller."""
Analyst = Annotated[Principal, Depends(require(Role.analyst))]
"""An analyst or admin."""
Admin = Annotated[Principal, Depends(require(Role.admin))]
"""An admin."""
State = Annotated[AppState, Depends(app_state)]
"""The app state."""
