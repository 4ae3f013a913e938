"""Streamed exports: formats parse back, nothing beyond the grant, a running stream re-checks it."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry, User
from epicontrol.exchange import access, grants
from epicontrol.exchange.export import ExportStopped, ExportStream
from epicontrol.exchange.models import ExchangeRequest
from tests.exchange.conftest import D1, D2, GrantMaker
from tests.factories import City
from tests.health_code.records import add_arrival, add_case, add_contact, add_risk_area

CONTACTS = "/api/exchange/datasets/contacts_to_locate/export"
FIELDS = ["division_code", "name_masked", "id_number", "name", "is_quarantined"]


def _contacts(db: Session, city: City) -> None:
    case = add_case(db, city.residents["m2_resident"])
    for who in ("wang_father", "neighbour", "m3_resident"):  # two in d1, one in d2
        add_contact(db, case, city.residents[who])
    db.commit()


def _parse(fmt: str, body: bytes) -> list[dict[str, object]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    table = (
        pq.read_table(io.BytesIO(body)) if fmt == "parquet" else pa.ipc.open_stream(body).read_all()
    )
    return table.to_pylist()


def test_each_format_parses_back_with_granted_fields_and_scope_only(
    client: TestClient,
    city: City,
    db: Session,
    grant_of: GrantMaker,
    liaison: dict[str, str],
) -> None:
    _contacts(db, city)
    grant = grant_of("contacts_to_locate", FIELDS, [D1])
    wanted = {city.id_numbers["wang_father"], city.id_numbers["neighbour"]}
    for fmt in ("csv", "parquet", "arrow"):
        answer = client.get(CONTACTS, headers=liaison, params={"format": fmt})
        assert answer.status_code == 200, answer.text
        rows = _parse(fmt, answer.content)
        assert {r["id_number"] for r in rows} == wanted
        assert {r["name"] for r in rows} == {city.names["wang_father"], city.names["neighbour"]}
        assert set(rows[0]) == set(FIELDS)  # no phone, no address: not granted
        assert {str(r["is_quarantined"]).lower() for r in rows} == {"false"}
    narrower = client.get(CONTACTS, headers=liaison, params={"fields": "division_code,name_masked"})
    assert next(csv.reader(io.StringIO(narrower.text))) == ["division_code", "name_masked"]

    logged = db.scalars(select(ExchangeRequest).order_by(ExchangeRequest.id)).all()
    assert [(r.format, r.status, r.rows) for r in logged] == [
        ("csv", 200, 2),
        ("parquet", 200, 2),
        ("arrow", 200, 2),
        ("csv", 200, 2),
    ]
    assert all(r.bytes > 0 and r.grant_id == grant["id"] for r in logged)
    audited = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "exchange:export", AuditEntry.outcome == "allowed"
        )
    ).all()
    assert len(audited) == 4 and audited[0].purpose.startswith("locate")
    # The contacts see the exports in their own access log (core/audit.py), with the purpose.
    seen = audit.access_log(db, principal=_principal(db, "resident_wang"))
    exports = [a for a in seen if a.action == "export"]
    assert (
        len(exports) == 4
        and exports[0].purpose == "public_security: locate people under quarantine orders"
    )
    db.commit()


def test_fields_or_divisions_beyond_the_grant_are_refused(
    client: TestClient,
    city: City,
    db: Session,
    grant_of: GrantMaker,
    liaison: dict[str, str],
) -> None:
    _contacts(db, city)
    grant_of("contacts_to_locate", ["division_code", "name_masked"], [D1])
    wider = client.get(CONTACTS, headers=liaison, params={"fields": "name_masked,id_number"})
    assert wider.status_code == 403
    assert "fields beyond grant" in wider.json()["detail"] and "id_number" in wider.json()["detail"]
    elsewhere = client.get(CONTACTS, headers=liaison, params={"divisions": D2})
    assert elsewhere.status_code == 403 and f"beyond the grant's scope: {D2}" in elsewhere.text
    inside = client.get(CONTACTS, headers=liaison, params={"divisions": "410102001001"})
    assert inside.status_code == 200 and inside.text.count("\n") == 3  # header + m1's two contacts
    unknown = client.get(CONTACTS, headers=liaison, params={"fields": "shoe_size"})
    assert unknown.status_code == 422
    other = client.get("/api/exchange/datasets/arrivals_risk/export", headers=liaison)
    assert other.status_code == 403 and "no active grant" in other.text

    refused = db.scalars(select(ExchangeRequest).where(ExchangeRequest.status == 403)).all()
    assert len(refused) == 3 and all(r.rows == 0 for r in refused)
    denials = db.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert len(denials) >= 3


def test_arrivals_from_risk_areas_and_case_counts(
    client: TestClient,
    city: City,
    db: Session,
    grant_of: GrantMaker,
    liaison: dict[str, str],
) -> None:
    add_risk_area(db)
    add_arrival(db, city.residents["wang_father"], origin="420102")
    add_arrival(db, city.residents["neighbour"], origin="110101")  # not a risk area
    add_case(db, city.residents["m2_resident"])
    add_case(db, city.residents["m3_resident"])  # d2: outside the grant
    db.commit()
    grant_of("arrivals_risk", ["arrived_at", "risk_area", "phone"], [D1], agency="rail")
    arrivals = client.get(
        "/api/exchange/datasets/arrivals_risk/export", headers=liaison, params={"format": "arrow"}
    )
    rows = pa.ipc.open_stream(arrivals.content).read_all().to_pylist()
    assert [(r["risk_area"], r["phone"]) for r in rows] == [("武汉市", city.phones["wang_father"])]
    seen = audit.access_log(db, principal=_principal(db, "resident_wang"))
    assert [a.action for a in seen] == ["exchange:export"]
    assert audit.access_log(db, principal=_principal(db, "resident_zhang")) == []  # not risky
    db.commit()  # reading the access log is audited: end the write before the next request

    grant_of("case_counts", ["division_code", "status", "cases"], [D1], agency="rail")
    counts = client.get("/api/exchange/datasets/case_counts/export", headers=liaison)
    assert list(csv.DictReader(io.StringIO(counts.text))) == [
        {"division_code": "410102001002G01", "status": "confirmed", "cases": "1"}
    ]
    match_only = client.get("/api/exchange/datasets/watch_list/export", headers=liaison)
    assert match_only.status_code == 422


def _principal(db: Session, username: str) -> Principal:
    user_id = db.scalar(select(User.id).where(User.username == username))
    principal = load_principal(db, user_id or 0)
    assert principal is not None
    return principal


def test_a_running_export_stops_when_its_grant_is_revoked(
    city: City,
    db: Session,
    db_url: str,
    vault: PersonalDataVault,
    grant_of: GrantMaker,
) -> None:
    _contacts(db, city)
    granted = grant_of("contacts_to_locate", ["division_code", "id_number"], [D1])
    sessions = session_factory(engine_for(db_url))
    caller = access.Caller(principal=_principal(db, "agency"))
    plan = access.authorise(
        db,
        caller,
        dataset_name="contacts_to_locate",
        fields=[],
        division_codes=[],
        grant_id=None,
        now=utcnow(),
    )
    today = local_date(utcnow())
    stream = iter(ExportStream(sessions, vault, caller, plan, fmt="csv", day=today, batch_rows=1))
    first = next(stream)
    assert first.count(b"\n") == 2  # header and the first contact
    grants.revoke(db, principal=_principal(db, "commander"), grant_id=granted["id"])
    db.commit()
    with pytest.raises(ExportStopped, match="revoked"):
        next(stream)
    db.expire_all()
    logged = db.scalars(select(ExchangeRequest)).one()
    assert (logged.status, logged.rows) == (403, 1)
