"""Demo logins, one per role, scoped to where the seeded outbreak begins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert

from epicontrol.core.auth import hash_password
from epicontrol.core.crypto import mask_name
from epicontrol.core.db import utcnow
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.demo.city import Simulation
from epicontrol.places.models import PlaceKind


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A login printed for the demo: who to sign in as, and what they see."""

    username: str
    password: str
    role: str
    scope: str


# Username and display name (shown in the UI) of each role's demo account.
DEMO_ACCOUNTS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("admin", "系统管理员"),
    Role.COMMANDER: ("commander", "市防控指挥部指挥长"),
    Role.EPIDEMIOLOGIST: ("epidemiologist", "市疾控中心流调员"),
    Role.AGENCY_LIAISON: ("agency", "市公安局数据联络员"),
    Role.COMMUNITY_OFFICER: ("officer", "社区书记"),
    Role.GRID_WORKER: ("gridworker", "网格员"),
    Role.CHECKPOINT_OPERATOR: ("checkpoint", "小区卡口值守员"),
    Role.CLINIC_STAFF: ("clinic", "发热门诊医生"),
    Role.ENTERPRISE: ("enterprise", "口罩厂复工联络人"),
    Role.MARKET_INSPECTOR: ("inspector", "市场监管执法员"),
    Role.RESIDENT: ("resident", ""),
}


def demo_password(username: str) -> str:
    """The password of a demo account (printed by `epicontrol demo`; never use in production)."""
    return f"demo-{username}"


def _scopes(simulation: Simulation) -> dict[Role, dict[str, Any]]:
    """Division row, and place and resident rows where relevant, of each role's account."""
    city, outbreak = simulation.city, simulation.outbreak
    divisions, places, people = city.divisions, city.places, city.people
    # Local accounts sit where the first index case lives, so the demo opens on live data.
    first_case = int(simulation.index_cases[0])
    household = int(people.household[first_case])
    grid = int(city.households.grid[household])
    community = int(divisions.grid_community[grid])
    place_kind = np.array(places.kind)
    place_community = np.array(places.community)

    gates = np.flatnonzero(place_kind == PlaceKind.COMMUNITY_GATE.value)
    local_gates = gates[place_community[gates] == community]
    gate = int(local_gates[0] if len(local_gates) else gates[0])
    fever_clinic = int(city.routines.fever_clinic[first_case])

    # The resident account: an adult with a phone in the same grid, not infected, so the
    # demo starts green.
    members = np.flatnonzero(city.households.grid[people.household] == grid)
    fits = (people.age[members] >= 18) & (city.identities.phone[members] != "")
    fits &= ~outbreak.infected[members] & (people.household[members] != household)
    resident = int(members[fits][0] if fits.any() else members[0])

    city_row = divisions.city_row
    community_row = int(divisions.community_rows[community])
    return {
        Role.ADMIN: {"division": city_row},
        Role.COMMANDER: {"division": city_row},
        Role.EPIDEMIOLOGIST: {"division": city_row},
        Role.AGENCY_LIAISON: {"division": city_row},
        Role.COMMUNITY_OFFICER: {"division": community_row},
        Role.GRID_WORKER: {"division": int(divisions.grid_rows[grid])},
        Role.CHECKPOINT_OPERATOR: {
            "division": int(divisions.community_rows[place_community[gate]]),
            "place": gate,
        },
        Role.CLINIC_STAFF: {
            "division": int(divisions.community_rows[place_community[fever_clinic]]),
            "place": fever_clinic,
        },
        Role.ENTERPRISE: {"division": community_row},
        Role.MARKET_INSPECTOR: {"division": city_row},
        Role.RESIDENT: {"division": int(city.resident_grid_row[resident]), "resident": resident},
    }


def create_demo_logins(connection: Connection, simulation: Simulation) -> list[DemoLogin]:
    """Insert one user per role and return their credentials."""
    city = simulation.city
    scopes = _scopes(simulation)
    usernames = [DEMO_ACCOUNTS[role][0] for role in scopes]
    # argon2 releases the GIL, so two threads halve the wait on two cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(hash_password, [demo_password(u) for u in usernames]))
    rows = []
    logins = []
    for (role, scope), username, password_hash in zip(
        scopes.items(), usernames, hashes, strict=True
    ):
        display_name = DEMO_ACCOUNTS[role][1]
        if "resident" in scope:
            # Users rows are not encrypted, so the resident's name appears only masked.
            display_name = mask_name(str(city.identities.name[scope["resident"]]))
        rows.append(
            {
                "username": username,
                "display_name": display_name,
                "password_hash": password_hash,
                "role": role.value,
                "division_id": int(city.divisions.id[scope["division"]]),
                "resident_id": scope["resident"] + 1 if "resident" in scope else None,
                "place_id": scope["place"] + 1 if "place" in scope else None,
                "is_active": True,
                "created_at": utcnow(),
            }
        )
        scope_name = city.divisions.full_name(scope["division"])
        if "place" in scope:
            scope_name += f" · {city.places.name[scope['place']]}"
        logins.append(DemoLogin(username, demo_password(username), role.value, scope_name))
    connection.execute(insert(User.__table__), rows)  # type: ignore[arg-type]
    return logins
