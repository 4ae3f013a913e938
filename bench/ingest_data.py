"""Data for the scan-ingest benchmark: a store with residents, signed passes and gate devices.

Everything is written in bulk (Core inserts) except the devices, which go through the devices
service so that their keys are made and hashed exactly as in production.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from epicontrol.core.crypto import mask_name
from epicontrol.core.db import build_engine, session_scope
from epicontrol.core.migrate import upgrade
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.health_code import passes
from epicontrol.health_code.models import PersonalPass
from epicontrol.movements import devices
from epicontrol.movements.models import Movement
from epicontrol.people.models import Resident
from epicontrol.places.models import Place, PlaceKind

BENCH_SECRET = "bench-ingest-secret-not-for-production"
PG_ADMIN_URL = os.environ.get(
    "EPICONTROL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@dataclass
class Store:
    """A prepared store: its URL, the keys of its gate devices and the residents' pass payloads."""

    url: str
    device_keys: list[str]
    payloads: list[str]


def new_pg_database(prefix: str) -> str:
    """Create an empty PostgreSQL database; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by new_pg_database."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _divisions(db_url: str) -> int:
    """A province-to-community chain; returns the community's id."""
    engine = build_engine(db_url)
    parent_id: int | None = None
    path = "/"
    levels = [
        DivisionLevel.PROVINCE,
        DivisionLevel.CITY,
        DivisionLevel.DISTRICT,
        DivisionLevel.STREET,
        DivisionLevel.COMMUNITY,
    ]
    with session_scope(engine) as db:
        for depth, level in enumerate(levels):
            division = Division(
                code=f"B{depth}",
                name=f"bench {level.value}",
                level=level.value,
                parent_id=parent_id,
                path="/",
            )
            db.add(division)
            db.flush()
            path = f"{path}{division.id}/"
            division.path = path
            parent_id = division.id
    engine.dispose()
    assert parent_id is not None
    return parent_id


def _history(db_url: str, *, rows: int, residents: int, gates: int) -> None:
    """`rows` earlier scans over the last 27 days, so that indexes have a realistic depth
    (a deployment keeps 28 days of movements)."""
    if rows <= 0:
        return
    now = datetime.now(UTC)
    engine = build_engine(db_url)
    with session_scope(engine) as db:
        place_ids = [p for (p,) in db.execute(text("SELECT id FROM places ORDER BY id"))]
        for start in range(0, rows, 50_000):
            chunk = []
            for n in range(start, min(rows, start + 50_000)):
                at = now - timedelta(seconds=60 + (n * 7919) % (27 * 86_400))
                chunk.append(
                    {
                        "client_uuid": str(uuid.UUID(int=n)),
                        "kind": "scan",
                        "direction": "in" if n % 2 else "out",
                        "resident_id": 1 + (n * 31) % residents,
                        "place_id": place_ids[n % gates],
                        "occurred_at": at,
                        "day": at.date(),
                        "received_at": at,
                        "temperature": 36.5,
                    }
                )
            db.execute(insert(Movement), chunk)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


# Variants of movements' per-resident index, to measure what each costs the ingest path. As
# migrated (0027): (resident_id, occurred_at, place_id). "0005" puts back the index it replaced,
# (resident_id, place_id, occurred_at), which reads the scan's "newest record of this person at
# this gate" directly but makes "the person's record before this one" (dashboard arrivals) sort.
MOVEMENT_INDEX_VARIANTS: dict[str, list[str]] = {
    "as-migrated": [],
    "0005": [
        "DROP INDEX ix_movements_resident_time_place",
        "CREATE INDEX ix_movements_resident_place_time "
        "ON movements (resident_id, place_id, occurred_at)",
    ],
}


def prepare(
    db_url: str,
    *,
    residents: int,
    gates: int,
    history: int = 0,
    movement_index: str = "as-migrated",
) -> Store:
    """Migrate `db_url` and fill it: `gates` places with a device each, residents with passes,
    and `history` earlier scans."""
    upgrade(db_url)
    with build_engine(db_url).begin() as conn:
        for statement in MOVEMENT_INDEX_VARIANTS[movement_index]:
            conn.execute(text(statement))
    community = _divisions(db_url)
    key = passes.signing_key(BENCH_SECRET)
    issued_at = datetime.now(UTC)
    pass_ids = [base64.b32encode(i.to_bytes(10, "big")).decode() for i in range(residents)]
    engine = build_engine(db_url)
    with session_scope(engine) as db:
        db.execute(
            insert(Place),
            [
                {
                    "code": f"GATE-{g}",
                    "name": f"bench gate {g}",
                    "kind": PlaceKind.COMMUNITY_GATE.value,
                    "division_id": community,
                }
                for g in range(gates)
            ],
        )
        db.execute(
            insert(Resident),
            [
                {
                    "id": i + 1,
                    "division_id": community,
                    "id_number_hash": f"bench-{i}",
                    "id_number_enc": b"x",
                    "name_enc": b"x",
                    "name_masked": mask_name(SURNAMES[i % len(SURNAMES)] + "某某"),
                    "sex": "MF"[i % 2],
                    "birth_year": 1950 + i % 60,
                }
                for i in range(residents)
            ],
        )
        db.execute(
            insert(PersonalPass),
            [
                {"pass_id": pass_id, "resident_id": i + 1, "issued_at": issued_at}
                for i, pass_id in enumerate(pass_ids)
            ],
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # explicit ids above: move the sequence past them
            conn.execute(text("SELECT setval('residents_id_seq', (SELECT max(id) FROM residents))"))
            conn.execute(text("ANALYZE"))
    keys = []
    with session_scope(engine) as db:
        for g in range(gates):
            device = devices.register(
                db, principal=None, place_code=f"GATE-{g}", name=f"bench scanner {g}"
            )
            keys.append(device.api_key)
    engine.dispose()
    _history(db_url, rows=history, residents=residents, gates=gates)
    payloads = [passes.encode(key, pass_id, issued_at) for pass_id in pass_ids]
    return Store(url=db_url, device_keys=keys, payloads=payloads)
