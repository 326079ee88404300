"""Who acts: a user name, a party and a role (shared by the API, the CLI and repositories)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minsec.state.db import StateDB


class Role(StrEnum):
    """Roles, from least to most allowed."""

    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"

    @property
    def level(self) -> int:
        """0 viewer, 1 analyst, 2 admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True when this role may do what ``needed`` may."""
        return self.level >= needed.level


@dataclass(frozen=True)
class Principal:
    """Who makes a request: user name, party and role."""

    user: str
    party: str
    role: Role


def now() -> dt.datetime:
    """The current UTC time without tzinfo (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def principal_of(db: StateDB, name: str) -> Principal:
    """The principal of a registered user (for the CLI's ``--as USER``)."""
    from minsec.errors import UnknownNameError

    row = db.fetchone("SELECT name, party, role FROM users WHERE name = ?", [name])
    if row is None:
        raise UnknownNameError(
            f"no user {name!r} in the app state",
            column="--as",
            hint="`minsec users list` shows them; an admin adds one with `minsec users add`",
        )
    return Principal(str(row[0]), str(row[1]), Role(row[2]))
