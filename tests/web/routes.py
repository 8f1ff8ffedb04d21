"""The app's route table, read the way the access-rule tests need it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from spinestep.web.access import Rule


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    rules: tuple[Rule, ...]
    csrf: bool

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def api_routes(app: FastAPI) -> list[RouteInfo]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(route.dependant))
        rules = tuple(call.access_rule for call in calls if hasattr(call, "access_rule"))
        csrf = any(getattr(call, "csrf_protected", False) for call in calls)
        for method in sorted(route.methods):
            found.append(RouteInfo(method, route.path, rules, csrf))
    return found
