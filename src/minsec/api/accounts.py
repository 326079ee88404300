"""Users and bearer tokens.

A user has a name, a **party** (the government or partner they work for: a country id
such as ``USA`` or ``JPN``, or a bloc id such as ``EU27``) and a **role**:
``viewer`` (reads) < ``analyst`` (also writes its party's private records, runs jobs)
< ``admin`` (also reads its party's audit log).

A token is ``msk_`` + 43 URL-safe characters (32 random bytes from :mod:`secrets`). It is
shown once, when created; the database keeps only its SHA-256, so a copy of the database
gives no usable token. Tokens are revoked, never deleted (the audit log refers to them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from minsec.catalog import blocs
from minsec.errors import InputError, UnknownNameError
from minsec.state.audit import AuditLog
from minsec.state.db import StateDB, Tx
from minsec.state.principal import Principal, Role, now

__all__ = ["Accounts", "Principal", "Role", "User", "hash_token", "now", "resolve_party"]

TOKEN_PREFIX = "msk_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class User:
    """A user as listed (no token material)."""

    name: str
    party: str
    role: Role
    created_at: dt.datetime
    created_by: str
    active_tokens: int


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


resolve_party = blocs.party_id


def resolve_role(name: str) -> Role:
    """A :class:`Role` from its name."""
    try:
        return Role(name.strip().lower())
    except ValueError:
        raise InputError(
            f"unknown role {name!r}", column="role", hint="one of viewer, analyst, admin"
        ) from None


def _check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InputError(
            f"user name {name!r} is not allowed",
            column="name",
            hint="1–64 characters: letters, digits, '.', '_', '@', '-'; starting with a "
            "letter or digit",
        )
    return name


AUTH_CACHE_SECONDS = 30.0
"""How long a verified token is remembered in memory (revocations clear it at once)."""


class Accounts:
    """Users and tokens in the app-state database (writes are audited).

    Verified tokens are remembered in memory (by hash) for :data:`AUTH_CACHE_SECONDS`;
    every change of users or tokens through this object clears that memory. With the
    embedded DuckDB app state the server holds the file exclusively, so a revocation takes
    effect at once; with several processes on one PostgreSQL app state, a revocation made
    through another process takes effect within that time.
    """

    def __init__(self, db: StateDB, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit
        self._known: dict[str, tuple[Principal, float]] = {}

    def _issue(self, tx: Tx, user: str) -> tuple[str, str]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(6)
        tx.execute(
            "INSERT INTO tokens (token_id, user_name, token_sha256, created_at) "
            "VALUES (?, ?, ?, ?)",
            [token_id, user, hash_token(token), now()],
        )
        return token_id, token

    def add_user(self, name: str, party: str, role: str, *, by: Principal) -> tuple[User, str, str]:
        """Create a user with a first token: ``(user, token_id, token)`` (token shown once)."""
        _check_name(name)
        party_id = resolve_party(party)
        role_ = resolve_role(role)
        with self.db.transaction() as tx:
            if tx.fetchone("SELECT 1 FROM users WHERE name = ?", [name]) is not None:
                raise InputError(f"user {name!r} already exists", column="name")
            created = now()
            tx.execute(
                "INSERT INTO users (name, party, role, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, party_id, role_.value, created, by.user],
            )
            token_id, token = self._issue(tx, name)
            self.audit.append(
                tx,
                by,
                "user.add",
                f"user:{name}",
                {"party": party_id, "role": role_.value, "token_id": token_id},
                party=party_id,
            )
        return User(name, party_id, role_, created, by.user, 1), token_id, token

    def issue_token(self, name: str, *, by: Principal) -> tuple[str, str]:
        """A new token for an existing user: ``(token_id, token)``."""
        with self.db.transaction() as tx:
            row = tx.fetchone("SELECT party FROM users WHERE name = ?", [name])
            if row is None:
                raise self._unknown(name)
            token_id, token = self._issue(tx, name)
            self.audit.append(
                tx, by, "token.issue", f"user:{name}", {"token_id": token_id}, party=str(row[0])
            )
        return token_id, token

    def revoke(self, name: str, *, token_id: str | None = None, by: Principal) -> int:
        """Revoke all tokens of ``name`` (or one ``token_id``); return how many."""
        with self.db.transaction() as tx:
            row = tx.fetchone("SELECT party FROM users WHERE name = ?", [name])
            if row is None:
                raise self._unknown(name)
            sql = "SELECT token_id FROM tokens WHERE user_name = ? AND revoked_at IS NULL"
            params: list[str] = [name]
            if token_id is not None:
                sql += " AND token_id = ?"
                params.append(token_id)
            ids = [str(r[0]) for r in tx.fetchall(sql, params)]
            if token_id is not None and not ids:
                raise InputError(
                    f"user {name!r} has no active token {token_id!r}", column="token_id"
                )
            for tid in ids:
                tx.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ?", [now(), tid])
            self.audit.append(
                tx, by, "token.revoke", f"user:{name}", {"token_ids": ids}, party=str(row[0])
            )
        self._known.clear()
        return len(ids)

    def users(self, party: str | None = None) -> list[User]:
        """All users (of ``party`` if given), with their count of active tokens."""
        sql = (
            "SELECT u.name, u.party, u.role, u.created_at, u.created_by, "
            "count(t.token_id) FILTER (WHERE t.revoked_at IS NULL) "
            "FROM users u LEFT JOIN tokens t ON t.user_name = u.name "
        )
        params: list[str] = []
        if party is not None:
            sql += "WHERE u.party = ? "
            params.append(party)
        sql += (
            "GROUP BY u.name, u.party, u.role, u.created_at, u.created_by ORDER BY u.party, u.name"
        )
        return [
            User(str(r[0]), str(r[1]), Role(r[2]), r[3], str(r[4]), int(r[5]))
            for r in self.db.fetchall(sql, params)
        ]

    def token_ids(self, name: str) -> list[str]:
        """Ids of the active tokens of ``name``, oldest first."""
        rows = self.db.fetchall(
            "SELECT token_id FROM tokens WHERE user_name = ? AND revoked_at IS NULL "
            "ORDER BY created_at, token_id",
            [name],
        )
        return [str(r[0]) for r in rows]

    def authenticate(self, token: str) -> Principal | None:
        """The principal of an active token, or None (unknown, revoked or malformed)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest = hash_token(token)
        known = self._known.get(digest)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        row = self.db.fetchone(
            "SELECT u.name, u.party, u.role FROM tokens t JOIN users u ON u.name = t.user_name "
            "WHERE t.token_sha256 = ? AND t.revoked_at IS NULL",
            [digest],
        )
        if row is None:
            return None
        found = Principal(str(row[0]), str(row[1]), Role(row[2]))
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (found, time.monotonic() + AUTH_CACHE_SECONDS)
        return found

    @staticmethod
    def _unknown(name: str) -> InputError:
        return UnknownNameError(f"no user {name!r}", column="name")
