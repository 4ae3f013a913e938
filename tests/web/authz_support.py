"""What the route x role walk expects of each route, read from policy.POLICY only.

A route's guard is any dependency carrying a `permission` attribute (core.deps.require and its
look-alikes in exchange/deps.py, tasks/survey_routes.py, movements/routes.py).
The permissions a guard checks are that attribute plus every Permission captured in its closure:
`require_either(first, second)` only names `first` in the attribute but lets holders of either
through, so a guard's allowed roles are the union of its permissions' roles; several guards on one
route must all let the role through (intersection).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.routing import APIRoute

from epicontrol.core.policy import POLICY, Permission, Role
from tests.web.test_route_policy import ANY_LOGIN, is_public

ANONYMOUS = "anonymous"
# The checkpoint devices' guard: an X-Device-Key, which no user login replaces.
DEVICE_GUARD = "device:scan"


@dataclass(frozen=True)
class Rule:
    """Who a route lets past its guard, and why (for the failure summary)."""

    allowed: frozenset[str]  # role values, plus ANONYMOUS for routes public on purpose
    why: str
    device_only: bool = False


def _guard_permissions(call: object) -> tuple[set[Permission], bool]:
    """The policy permissions one guard checks, and whether it is the device guard."""
    named = getattr(call, "permission", None)
    if str(named) == DEVICE_GUARD:
        return set(), True
    found = {Permission(str(named))}
    for cell in getattr(call, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, Permission):
            found.add(value)
    return found, False


def _guards(route: APIRoute) -> list[tuple[set[Permission], bool]]:
    guards = []
    seen: set[int] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        call = dependency.call
        if getattr(call, "permission", None) is not None and id(call) not in seen:
            seen.add(id(call))
            guards.append(_guard_permissions(call))
        stack.extend(dependency.dependencies)
    return guards


def rule_for(path: str, route: APIRoute) -> Rule | None:
    """The roles POLICY lets through `route`; None for a route neither guarded nor declared."""
    every_role = frozenset(role.value for role in Role)
    guards = _guards(route)
    if any(device for _, device in guards):
        return Rule(frozenset(), DEVICE_GUARD, device_only=True)
    if guards:
        allowed = every_role
        names = []
        for permissions, _ in guards:
            granted = frozenset().union(*(POLICY[p] for p in permissions))
            allowed &= frozenset(role.value for role in granted)
            names.append("|".join(sorted(p.value for p in permissions)))
        return Rule(allowed, "+".join(names))
    if path in ANY_LOGIN:
        return Rule(every_role, "any login")
    if is_public(path):
        return Rule(every_role | {ANONYMOUS}, "public")
    return None


def fill_path(path: str, ids: dict[str, str]) -> str:
    """`path` with each {param} replaced by ids[param], else by an id nobody has."""
    out = path
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end].split(":")[0]
        out = out[:start] + ids.get(name, "999999") + out[end + 1 :]
    return out


def guard_denied(who: str, status: int, detail: str) -> bool:
    """Whether a 403 is a role guard's own: every guard words it "role '<role>' ..."; a 403
    worded otherwise comes from a check after the guard (division scope, an agency's grant)."""
    return status == 403 and detail.startswith(f"role '{who}'")


def verdict(rule: Rule, who: str, status: int, location: str, detail: str) -> str | None:
    """None if the answer agrees with the rule, else what was wrong."""
    if status >= 500:
        return "server error"
    to_login = status in (302, 303, 307) and location.startswith("/login")
    if ANONYMOUS in rule.allowed:  # public on purpose: a redirect to the login is no denial
        return "denied a public route" if status in (401, 403) else None
    if who in rule.allowed:
        if status == 401 or to_login or guard_denied(who, status, detail):
            return "denied by the guard, but POLICY grants it"
        return None
    if who == ANONYMOUS or rule.device_only:
        return None if status == 401 or to_login else "expected 401 or a redirect to /login"
    return None if guard_denied(who, status, detail) else "expected the guard's 403"


def summary(rows: list[tuple[str, str, str, str, int, str]]) -> str:
    """A compact table of mismatches: route, role, expected, got, what was wrong."""
    lines = [f"{len(rows)} route x role answers disagree with POLICY:"]
    lines += [
        f"  {method:6} {path:58} {who:20} expect {expected:28} got {status}  {problem}"
        for method, path, who, expected, status, problem in rows
    ]
    return "\n".join(lines)
