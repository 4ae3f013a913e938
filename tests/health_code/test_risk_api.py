"""Risk status over HTTP: a resident's own status and page, staff reads in scope (audited),
appeals and officers' corrections (audited), the pass and the checkpoint showing the colour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from tests.checkpoint_fixtures import Checkpoint
from tests.factories import City, login
from tests.health_code.records import add_case, add_contact, add_fever


def _audits(db: Session, action: str) -> list[AuditEntry]:
    db.expire_all()
    query = select(AuditEntry).where(
        AuditEntry.entity == "risk_status", AuditEntry.action == action
    )
    return list(db.scalars(query))


def test_resident_reads_own_status_with_reasons_and_records(
    client: TestClient, db: Session, city: City
) -> None:
    check = add_fever(db, city.residents["wang_father"])
    db.commit()
    response = client.get("/api/risk-status/me", headers=login(client, "resident_wang"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["colour"] == "yellow" and "Fever reported" in body["reason"]
    assert [(e["source_table"], e["source_id"], e["counts"]) for e in body["evidence"]] == [
        ("self_checks", check.id, True)
    ]
    page = client.get("/risk-status", headers=login(client, "resident_wang"))
    assert page.status_code == 200 and 'data-colour="yellow"' in page.text
    assert f'data-source="self_checks:{check.id}"' in page.text


def test_resident_cannot_read_another_residents_status(
    client: TestClient, db: Session, city: City
) -> None:
    headers = login(client, "resident_zhang")
    other = client.get(
        f"/api/residents/{city.residents['wang_father']}/risk-status", headers=headers
    )
    assert other.status_code == 403
    own = client.get(f"/api/residents/{city.residents['neighbour']}/risk-status", headers=headers)
    assert own.status_code == 200 and own.json()["colour"] == "green"
    # Not even a member of one's own household.
    child = f"/api/residents/{city.residents['wang_child']}/risk-status"
    assert client.get(child, headers=login(client, "resident_wang")).status_code == 403
    denied = [e for e in _audits(db, "risk:read") if e.outcome == "denied"]
    assert len(denied) == 2


def test_staff_read_in_scope_is_audited_and_out_of_scope_refused(
    client: TestClient, db: Session, city: City
) -> None:
    add_case(db, city.residents["wang_father"])
    db.commit()
    path = f"/api/residents/{city.residents['wang_father']}/risk-status"
    allowed = client.get(
        path, headers={**login(client, "officer_m1"), "X-Purpose": "checkpoint dispute"}
    )
    assert allowed.status_code == 200 and allowed.json()["colour"] == "red"
    assert allowed.json()["evidence"][0]["source_table"] == "cases"
    refused = client.get(path, headers=login(client, "officer_m3"))
    assert refused.status_code == 403
    reads = _audits(db, "read")
    assert [(e.actor, e.purpose) for e in reads] == [("officer_m1", "checkpoint dispute")]
    assert client.get(path, headers=login(client, "checkpoint_m1")).status_code == 403


def test_appeal_then_correction_overrides_the_colour_and_is_audited(
    client: TestClient, db: Session, city: City
) -> None:
    case = add_case(db, city.residents["m3_resident"])
    contact = add_contact(db, case, city.residents["neighbour"])
    db.commit()
    resident = login(client, "resident_zhang")
    filed = client.post(
        "/api/risk-status/me/appeals",
        json={"reason": "I was not at the gate that day"},
        headers=resident,
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["colour_appealed"] == "red"
    again = client.post(
        "/api/risk-status/me/appeals", json={"reason": "still waiting"}, headers=resident
    )
    assert again.status_code == 409
    officer = login(client, "officer_m1")
    queue = client.get("/api/risk-appeals", headers=officer).json()
    assert [a["id"] for a in queue] == [filed.json()["id"]]
    until = (utcnow() + timedelta(days=3)).isoformat()
    decision = {"decision": "correct", "note": "gate logs show another person", "colour": "green"}
    decided = client.post(
        f"/api/risk-appeals/{filed.json()['id']}/decision",
        json={**decision, "until": until},
        headers=officer,
    )
    assert decided.status_code == 200, decided.text
    mine = client.get("/api/risk-status/me", headers=resident).json()
    assert mine["colour"] == "green" and "Corrected on appeal" in mine["reason"]
    kinds = {(e["source_table"], e["source_id"], e["counts"]) for e in mine["evidence"]}
    assert kinds == {("contacts", contact.id, False), ("risk_appeals", filed.json()["id"], True)}
    corrections = _audits(db, "correct")
    assert len(corrections) == 1 and corrections[0].actor == "officer_m1"
    assert '"override_colour": "green"' in corrections[0].detail
    twice = client.post(
        f"/api/risk-appeals/{filed.json()['id']}/decision",
        json={"decision": "uphold", "note": "again"},
        headers=officer,
    )
    assert twice.status_code == 409


def test_a_new_case_after_a_correction_counts_in_full(
    client: TestClient, db: Session, city: City
) -> None:
    add_fever(db, city.residents["neighbour"])
    db.commit()
    resident = login(client, "resident_zhang")
    filed = client.post(
        "/api/risk-status/me/appeals",
        json={"reason": "the thermometer was broken"},
        headers=resident,
    ).json()
    client.post(
        f"/api/risk-appeals/{filed['id']}/decision",
        json={
            "decision": "correct",
            "note": "clinic found no fever",
            "colour": "green",
            "until": (utcnow() + timedelta(days=2)).isoformat(),
        },
        headers=login(client, "officer_m1"),
    )
    add_case(db, city.residents["neighbour"], "suspected")
    db.commit()
    assert client.get("/api/risk-status/me", headers=resident).json()["colour"] == "red"


def test_bad_appeals_and_decisions_are_refused(client: TestClient, db: Session, city: City) -> None:
    resident = login(client, "resident_zhang")
    assert (
        client.post("/api/risk-status/me/appeals", json={"reason": ""}, headers=resident)
    ).status_code == 422
    assert (
        client.post("/api/risk-status/me/appeals", json={"reason": "x" * 1001}, headers=resident)
    ).status_code == 422
    officer = login(client, "officer_m1")
    assert (
        client.post("/api/risk-status/me/appeals", json={"reason": "hello"}, headers=officer)
    ).status_code == 403
    filed = client.post(
        "/api/risk-status/me/appeals", json={"reason": "please check"}, headers=resident
    ).json()
    url = f"/api/risk-appeals/{filed['id']}/decision"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    for bad in (
        {"decision": "correct", "note": "no colour", "until": far},
        {"decision": "correct", "note": "in the past", "colour": "green", "until": past},
        {"decision": "correct", "note": "too long", "colour": "green", "until": far},
        {"decision": "correct", "note": "naive", "colour": "green", "until": "2030-01-01T00:00"},
        {"decision": "correct", "note": "colour", "colour": "purple", "until": far},
        {"decision": "uphold", "note": "uphold with colour", "colour": "red"},
        {"decision": "maybe", "note": "unknown"},
    ):
        assert client.post(url, json=bad, headers=officer).status_code == 422, bad
    out_of_scope = client.post(
        url, json={"decision": "uphold", "note": "not mine"}, headers=login(client, "officer_m3")
    )
    assert out_of_scope.status_code == 403
    missing = client.post(
        "/api/risk-appeals/999999/decision",
        json={"decision": "uphold", "note": "x" * 3},
        headers=officer,
    )
    assert missing.status_code == 404
    assert _audits(db, "correct") == [] and _audits(db, "uphold") == []


def test_pass_and_checkpoint_show_the_colour(
    client: TestClient, db: Session, city: City, checkpoint: Checkpoint
) -> None:
    add_case(db, city.residents["wang_father"])
    db.commit()
    own = client.get("/api/passes/me", headers=login(client, "resident_wang"))
    assert own.json()["colour"] == "red"
    svg = client.get("/api/passes/me/qr.svg", headers=login(client, "resident_wang"))
    assert b"#c62828" in svg.content
    at = datetime.now(UTC) - timedelta(seconds=5)
    scans = [
        {"uuid": str(uuid4()), "code": checkpoint.payloads[who], "occurred_at": at.isoformat()}
        for who in ("resident_wang", "resident_zhang")
    ]
    answers = [client.post("/api/scans", json=s, headers=checkpoint.headers) for s in scans]
    assert [a.json()["colour"] for a in answers] == ["red", "green"]


def test_page_appeal_form_files_an_appeal(client: TestClient, db: Session, city: City) -> None:
    headers = login(client, "resident_wang")
    sent = client.post(
        "/risk-status/appeal",
        data={"reason": "my fever was a cold"},
        headers=headers,
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/risk-status"
    page = client.get("/risk-status", headers=headers)
    assert "Your appeal is being reviewed" in page.text
    assert len(_audits(db, "appeal")) == 1


def test_officer_decides_from_the_appeals_page(client: TestClient, db: Session, city: City) -> None:
    add_fever(db, city.residents["neighbour"])
    db.commit()
    resident = login(client, "resident_zhang")
    filed = client.post(
        "/api/risk-status/me/appeals", json={"reason": "no fever since"}, headers=resident
    ).json()
    officer = login(client, "officer_m1")
    page = client.get("/risk-appeals", headers=officer)
    assert page.status_code == 200 and f'data-appeal="{filed["id"]}"' in page.text
    assert "Fever reported" in page.text
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    url = f"/risk-appeals/{filed['id']}/decision"
    form = {"decision": "correct", "note": "clinic retest normal", "colour": "green"}
    bad = client.post(url, data={**form, "until": "not-a-day"}, headers=officer)
    assert bad.status_code == 422
    done = client.post(
        url, data={**form, "until": tomorrow}, headers=officer, follow_redirects=False
    )
    assert done.status_code == 303
    assert client.get("/api/risk-status/me", headers=resident).json()["colour"] == "green"
    assert client.get("/risk-appeals", headers=login(client, "resident_zhang")).status_code == 403
