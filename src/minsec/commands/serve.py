"""``minsec serve`` (the web API) and ``minsec users`` (accounts and tokens)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err
from minsec.output import Format, emit
from minsec.state.principal import Principal, Role

if TYPE_CHECKING:
    from minsec.api.accounts import Accounts

users_app = typer.Typer(
    help="Users and tokens of the web API. The server holds the app-state file while it "
    "runs: stop it first, or use /api/v1/users as an admin.",
    no_args_is_help=True,
)

StateOpt = Annotated[
    str | None,
    typer.Option(
        "--state",
        help="App state: a DuckDB file or a URL (postgresql://user@host/db); default "
        "MINSEC_STATE_URL, else MINSEC_APP_STATE, else $MINSEC_HOME/app.duckdb.",
    ),
]


def serve_cmd(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1 = this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    store: StoreOpt = None,
    state: StateOpt = None,
    access_log: Annotated[
        bool, typer.Option(help="Log one line per request (method, path, status).")
    ] = True,
) -> None:
    """Serve the web API (OpenAPI at /openapi.json, docs at /docs) with uvicorn."""
    import uvicorn

    from minsec.api.app import create_app
    from minsec.api.settings import Settings

    overrides: dict[str, Any] = {}
    if store is not None:
        overrides["store_path"] = store
    if state is not None:
        if "://" in state:
            overrides["state_url"] = state
        else:
            overrides["state_path"] = Path(state).expanduser()
            overrides["state_url"] = None  # --state FILE wins over MINSEC_STATE_URL
    settings = Settings.from_env(**overrides)
    if not settings.store_path.exists():
        err.print(
            f"warning: no data store at {settings.store_path}; data endpoints answer 409 "
            "until `minsec data fetch` has run (then restart)"
        )
    err.print(f"minsec API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        server_header=False,
    )


@contextmanager
def _accounts(state: str | None) -> Iterator[Accounts]:
    """The accounts of the app state (``--state``, else ``MINSEC_STATE_URL``, else the file)."""
    from minsec.api.accounts import Accounts
    from minsec.state import AuditLog, StateDB

    db = StateDB(state_target(state))
    try:
        yield Accounts(db, AuditLog(db))
    finally:
        db.close()


def state_target(state: Path | str | None) -> str:
    """The app state to open: ``--state`` (a file or URL), else what the environment names."""
    from minsec.state.db import configured_target

    return str(state) if state is not None else configured_target()


def _cli(party: str) -> Principal:
    """The principal recorded in the audit log for CLI changes."""
    return Principal(user=f"cli:{getpass.getuser()}", party=party, role=Role.admin)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    party: Annotated[
        str, typer.Option(help="Party: a country (US, JPN, AUS, …) or a bloc id (EU27).")
    ],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    state: StateOpt = None,
) -> None:
    """Add a user and print its token — shown this once; only its SHA-256 is kept."""
    from minsec.api.accounts import resolve_party

    with _accounts(state) as acc:
        user, token_id, token = acc.add_user(name, party, role, by=_cli(resolve_party(party)))
    err.print(
        f"added {user.name} (party {user.party}, role {user.role.value}), token {token_id}. "
        "The token below is shown only now: hand it over securely."
    )
    typer.echo(token)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="User name.")], state: StateOpt = None
) -> None:
    """Issue another token for a user (printed once)."""
    with _accounts(state) as acc:
        party = next((u.party for u in acc.users() if u.name == name), "")
        token_id, token = acc.issue_token(name, by=_cli(party))
    err.print(f"new token {token_id} for {name}, shown only now:")
    typer.echo(token)


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="User name.")],
    token_id: Annotated[
        str | None, typer.Option("--token-id", help="Revoke only this token (default: all).")
    ] = None,
    state: StateOpt = None,
) -> None:
    """Revoke a user's tokens (all, or one with --token-id); the user stays listed."""
    with _accounts(state) as acc:
        party = next((u.party for u in acc.users() if u.name == name), "")
        n = acc.revoke(name, token_id=token_id, by=_cli(party))
    err.print(f"revoked {n} token(s) of {name}")


@users_app.command("list")
def users_list(
    party: Annotated[str | None, typer.Option(help="Only this party.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """List users: party, role, active tokens (never the tokens themselves)."""
    from minsec.api.accounts import resolve_party

    with _accounts(state) as acc:
        users = acc.users(resolve_party(party) if party else None)
    frame = pd.DataFrame(
        [
            {
                "name": u.name,
                "party": u.party,
                "role": u.role.value,
                "active_tokens": u.active_tokens,
                "created_at": u.created_at.isoformat(timespec="seconds"),
                "created_by": u.created_by,
            }
            for u in users
        ],
        columns=["name", "party", "role", "active_tokens", "created_at", "created_by"],
    )
    emit(frame, fmt, output=output, title="API users")
