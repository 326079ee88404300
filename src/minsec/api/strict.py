"""Refuse query parameters an endpoint does not have (a typo must not be ignored).

``/api/v1/supply?commodty=cobalt`` would otherwise answer for *all* commodities without a
word; it is a 422 naming the unknown parameter and the ones the endpoint takes.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from minsec.api.errors import ApiError

_ALLOWED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> frozenset[str]:
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        names.update(str(f.alias) for f in current.query_params)
        stack.extend(current.dependencies)
    return frozenset(names)


async def reject_unknown_query(request: Request) -> None:
    """A global dependency: 422 when the query string has a parameter the route lacks."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    allowed = _ALLOWED.get(id(route))
    if allowed is None:
        allowed = _ALLOWED.setdefault(id(route), _query_names(dependant))
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        name = unknown[0]
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise ApiError(
            422,
            f"unknown query parameter {shown!r}",
            field=shown,
            hint=(
                "this endpoint takes " + ", ".join(sorted(allowed))
                if allowed
                else "this endpoint takes no query parameters"
            ),
        )
