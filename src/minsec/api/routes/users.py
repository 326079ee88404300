"""``/api/v1/users``: admins manage the users and tokens of their own party.

The same as ``minsec users …`` but while the server runs (the server holds the app-state
file, so the CLI cannot write it then). An admin never sees or changes users of another
party (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from minsec.api.accounts import Role, User
from minsec.api.auth import Admin, State
from minsec.api.errors import ApiError

router = APIRouter(prefix="/api/v1/users", tags=["users"])
NamePath = Annotated[str, Path(max_length=64)]


class UserIn(BaseModel):
    """A new user of the admin's party."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["a.tanaka"])
    role: Role = Role.viewer


class UserOut(BaseModel):
    """A user (no token material)."""

    name: str
    party: str
    role: str
    created_at: str
    created_by: str
    active_tokens: int


class TokenOut(BaseModel):
    """A token, shown this once; only its SHA-256 is kept."""

    user: str
    token_id: str
    token: str


class Revoked(BaseModel):
    """How many tokens were revoked."""

    user: str
    revoked: int


def _out(u: User) -> dict[str, Any]:
    return {
        "name": u.name,
        "party": u.party,
        "role": u.role.value,
        "created_at": u.created_at.isoformat(),
        "created_by": u.created_by,
        "active_tokens": u.active_tokens,
    }


def _own(state: State, who: Admin, name: str) -> None:
    if not any(u.name == name for u in state.accounts.users(who.party)):
        raise ApiError(404, f"no user {name!r} in your party", field="name")


@router.get("", response_model=list[UserOut], summary="Users of your party")
def list_users(who: Admin, state: State) -> list[dict[str, Any]]:
    """Users of your party with their count of active tokens."""
    return [_out(u) for u in state.accounts.users(who.party)]


@router.post("", status_code=201, response_model=TokenOut, summary="Add a user of your party")
def add_user(item: UserIn, who: Admin, state: State) -> dict[str, Any]:
    """Create a user in your party; the answer holds its token, shown only this once."""
    user, token_id, token = state.accounts.add_user(item.name, who.party, item.role.value, by=who)
    return {"user": user.name, "token_id": token_id, "token": token}


@router.post("/{name}/tokens", status_code=201, response_model=TokenOut, summary="A new token")
def issue_token(name: NamePath, who: Admin, state: State) -> dict[str, Any]:
    """Issue another token for a user of your party (shown only this once)."""
    _own(state, who, name)
    token_id, token = state.accounts.issue_token(name, by=who)
    return {"user": name, "token_id": token_id, "token": token}


@router.delete("/{name}/tokens", response_model=Revoked, summary="Revoke all tokens")
def revoke_tokens(name: NamePath, who: Admin, state: State) -> dict[str, Any]:
    """Revoke every active token of a user of your party."""
    _own(state, who, name)
    return {"user": name, "revoked": state.accounts.revoke(name, by=who)}
