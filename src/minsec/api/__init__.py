"""The web API: everything minsec computes, over HTTP, with tokens, roles and parties.

``create_app(settings)`` builds the FastAPI app; ``minsec serve`` runs it. See
``docs/api.md`` for the endpoints, the access model and the limits. FastAPI is imported
only when the app is built, so that ``minsec users`` works without the ``api`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minsec.api.app import create_app
    from minsec.api.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from minsec.api.app import create_app

        return create_app
    if name == "Settings":
        from minsec.api.settings import Settings

        return Settings
    raise AttributeError(name)
