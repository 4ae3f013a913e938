"""Grants and API keys: request, narrow, refuse, revoke; keys hashed, rotated, revoked at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.exchange.models import ApiKey
from tests.exchange.conftest import D1, GrantMaker
from tests.factories import City, login
from tests.health_code.records import add_case, add_contact

EXPORT = "/api/exchange/datasets/contacts_to_locate/export"


def _ask(client: TestClient, headers: dict[str, str], **overrides: Any) -> Any:
    body = {
        "agency": "public_security",
        "dataset": "contacts_to_locate",
        "fields": ["division_code", "name_masked", "id_number", "phone"],
        "division_codes": [D1],
        "purpose": "locate contacts who left their homes",
        "expires_at": (utcnow() + timedelta(days=3)).isoformat(),
    } | overrides
    return client.post("/api/exchange/grants", headers=headers, json=body)


def test_grant_is_requested_narrowed_by_the_approver_or_refused(
    client: TestClient,
    city: City,
    db: Session,
    liaison: dict[str, str],
    approver: dict[str, str],
) -> None:
    assert _ask(client, liaison, fields=["shoe_size"]).status_code == 422
    assert (
        _ask(client, liaison, expires_at=(utcnow() - timedelta(days=1)).isoformat()).status_code
        == 422
    )
    assert _ask(client, liaison, purpose="locate people\x00 who left").status_code == 422
    assert _ask(client, liaison, division_codes=["41'; --"]).status_code == 422
    too_big = client.post(f"/api/exchange/grants/{2**40}/decision", headers=approver, json={})
    assert too_big.status_code == 422
    asked = _ask(client, liaison)
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    grant_id = asked.json()["id"]
    decision = f"/api/exchange/grants/{grant_id}/decision"

    # The liaison may not decide; the approver may narrow but not widen.
    assert client.post(decision, headers=liaison, json={"approve": True}).status_code == 403
    wider = {"approve": True, "fields": ["name_masked", "address"]}
    assert client.post(decision, headers=approver, json=wider).status_code == 422
    narrowed = client.post(
        decision, headers=approver, json={"approve": True, "fields": ["division_code", "id_number"]}
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["status"] == "granted"
    assert narrowed.json()["fields"] == ["division_code", "id_number"]
    assert client.post(decision, headers=approver, json={"approve": False}).status_code == 409

    refused_id = _ask(client, liaison).json()["id"]
    refused = client.post(
        f"/api/exchange/grants/{refused_id}/decision",
        headers=approver,
        json={"approve": False, "note": "not needed"},
    )
    assert refused.json()["status"] == "refused"
    far = client.get(EXPORT, headers=liaison, params={"day": "9999-12-31"})
    assert far.status_code == 422
    answer = client.get(EXPORT, headers=liaison, params={"grant_id": refused_id})
    assert answer.status_code == 403 and "refused" in answer.json()["detail"]

    mine = client.get("/api/exchange/grants", headers=liaison).json()
    assert {g["id"] for g in mine} == {grant_id, refused_id}
    actions = set(
        db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "exchange_grant"))
    )
    assert {"grant:request", "grant:decide"} <= actions


def test_api_key_is_stored_hashed_and_a_revoked_key_stops_at_once(
    client: TestClient,
    city: City,
    db: Session,
    grant_of: GrantMaker,
    approver: dict[str, str],
    liaison: dict[str, str],
) -> None:
    add_contact(db, add_case(db, city.residents["m2_resident"]), city.residents["wang_father"])
    db.commit()
    grant = grant_of("contacts_to_locate", ["division_code", "name_masked"], [D1])
    # Only approvers issue keys; a key can only be scoped to its own agency's grants.
    body = {"agency": "public_security", "grant_ids": [grant["id"]], "label": "police gateway"}
    assert client.post("/api/exchange/keys", headers=liaison, json=body).status_code == 403
    other = client.post("/api/exchange/keys", headers=approver, json=body | {"agency": "rail"})
    assert other.status_code == 422
    issued = client.post("/api/exchange/keys", headers=approver, json=body)
    assert issued.status_code == 201, issued.text
    secret = issued.json()["key"]
    stored = db.scalars(select(ApiKey)).one()
    assert secret not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert "key" not in client.get("/api/exchange/keys", headers=approver).json()[0]

    key = {"X-API-Key": secret}
    first = client.get(EXPORT, headers=key)
    assert first.status_code == 200 and first.text.count("\n") == 2  # header and one contact
    assert "王**" in first.text and city.id_numbers["wang_father"] not in first.text
    bearer = client.get(EXPORT, headers={"Authorization": f"Bearer {secret}"})
    assert bearer.status_code == 200
    assert client.get(EXPORT, headers={"X-API-Key": secret[:-2] + "xx"}).status_code == 401

    revoked = client.post(f"/api/exchange/keys/{issued.json()['id']}/revoke", headers=approver)
    assert revoked.status_code == 200
    after = client.get(EXPORT, headers=key)
    assert after.status_code == 401 and "revoked" in after.json()["detail"]


def test_rotation_keeps_the_old_key_for_its_grace_period_or_stops_it_now(
    client: TestClient, city: City, grant_of: GrantMaker, approver: dict[str, str]
) -> None:
    grant = grant_of("case_counts", ["division_code", "cases"], [D1])
    body = {"agency": "public_security", "grant_ids": [grant["id"]]}
    old = client.post("/api/exchange/keys", headers=approver, json=body).json()
    graced = client.post(
        f"/api/exchange/keys/{old['id']}/rotate", headers=approver, json={"grace_hours": 1}
    ).json()
    export = "/api/exchange/datasets/case_counts/export"
    for secret in (old["key"], graced["key"]):
        assert client.get(export, headers={"X-API-Key": secret}).status_code == 200
    assert graced["grant_ids"] == [grant["id"]]

    now = client.post(
        f"/api/exchange/keys/{graced['id']}/rotate", headers=approver, json={"grace_hours": 0}
    ).json()
    assert client.get(export, headers={"X-API-Key": graced["key"]}).status_code == 401
    assert client.get(export, headers={"X-API-Key": now["key"]}).status_code == 200


def test_a_revoked_grant_stops_its_key_and_its_liaison_at_once(
    client: TestClient, city: City, grant_of: GrantMaker, approver: dict[str, str]
) -> None:
    grant = grant_of("case_counts", ["division_code", "status", "cases"], [D1])
    body = {"agency": "public_security", "grant_ids": [grant["id"]]}
    key = {
        "X-API-Key": client.post("/api/exchange/keys", headers=approver, json=body).json()["key"]
    }
    liaison = login(client, "agency")
    export = "/api/exchange/datasets/case_counts/export"
    assert client.get(export, headers=key).status_code == 200
    assert client.get(export, headers=liaison).status_code == 200
    revoked = client.post(f"/api/exchange/grants/{grant['id']}/revoke", headers=approver, json={})
    assert revoked.json()["status"] == "revoked"
    for headers in (key, liaison):
        answer = client.get(export, headers=headers)
        assert answer.status_code == 403 and "revoked" in answer.json()["detail"]
