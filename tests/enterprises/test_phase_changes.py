"""Changing phases through the API and the pages, on SQLite and PostgreSQL: edits that keep the
approved companies inside their phase, refusals naming how many they would orphan, closing and
reopening, deleting only an unused phase, stale readings (409), scope (403), and the audit."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry
from epicontrol.enterprises import phases
from epicontrol.enterprises.models import Category
from epicontrol.enterprises.schemas import PhaseIn
from tests.enterprises.support import (
    add_phase,
    approved_application,
    principal,
    ready_application,
)
from tests.factories import City, login

FIELDS = ("division_id", "number", "opens_on", "closes_on", "categories")
URL = "/api/enterprises/phases"


def _today() -> date:
    return local_date(utcnow())


def _read(client: TestClient, officer: dict[str, str], phase_id: int) -> dict[str, Any]:
    listed = client.get(URL, headers=officer).json()
    return next(p for p in listed if p["id"] == phase_id)


def _values(phase: dict[str, Any]) -> dict[str, Any]:
    return {field: phase[field] for field in FIELDS}


def _edit(
    client: TestClient, officer: dict[str, str], phase: dict[str, Any], **changes: Any
) -> Any:
    body = _values(phase) | changes | {"seen": _values(phase)}
    return client.put(f"{URL}/{phase['id']}", json=body, headers=officer)


def _audited(db: Session, action: str) -> list[dict[str, Any]]:
    db.expire_all()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == action))
    return [json.loads(e.detail) for e in entries]


def test_an_officer_edits_a_phase_and_the_change_is_audited(
    client: TestClient, db: Session, city: City
) -> None:
    phase_id = add_phase(db, city, number=1, opens_in_days=3)
    officer = login(client, "commander")
    seen = _read(client, officer, phase_id)
    assert seen["is_editable"] and not seen["is_open"] and seen["closes_on"] is None
    later = (_today() + timedelta(days=20)).isoformat()

    changed = _edit(
        client,
        officer,
        seen,
        number=4,
        division_id=city.divisions["d1"],
        opens_on=_today().isoformat(),
        closes_on=later,
        categories=["other", "daily_necessities"],
    )

    assert changed.status_code == 200, changed.text
    assert _values(changed.json()) == {
        "division_id": city.divisions["d1"],
        "number": 4,
        "opens_on": _today().isoformat(),
        "closes_on": later,
        "categories": ["daily_necessities", "other"],
    }
    assert changed.json()["is_open"] and not changed.json()["is_closed"]
    [detail] = _audited(db, "enterprise:phase_edit")
    assert detail["before"]["number"] == 1 and detail["after"]["number"] == 4
    assert detail["after"]["closes_on"] == later


def test_an_edit_that_would_orphan_approvals_is_409_naming_how_many_and_changes_nothing(
    client: TestClient, db: Session, city: City, vault: PersonalDataVault
) -> None:
    phase_id = add_phase(db, city, categories=(Category.MEDICAL_SUPPLIES, Category.OTHER))
    approved_application(db, city, vault, phase_id)
    officer = login(client, "commander")
    seen = _read(client, officer, phase_id)
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    week_ago = (_today() - timedelta(days=7)).isoformat()
    yesterday = (_today() - timedelta(days=1)).isoformat()

    for changes, why in (
        ({"categories": ["other"]}, "1 category no longer admitted"),
        ({"division_id": city.divisions["d2"]}, "1 division no longer covered"),
        ({"opens_on": tomorrow}, "1 approved before the new opening day"),
        ({"opens_on": week_ago, "closes_on": yesterday}, "1 approved after the new closing day"),
    ):
        refused = _edit(client, officer, seen, **changes)
        assert refused.status_code == 409, (changes, refused.text)
        message = refused.json()["detail"]
        assert "would leave 1 approved companies outside phase 1" in message, message
        assert why in message, message

    assert _read(client, officer, phase_id) == seen
    assert _audited(db, "enterprise:phase_edit") == []
    kept = _edit(client, officer, seen, categories=["medical_supplies"], opens_on=week_ago)
    assert kept.status_code == 200, kept.text


def test_closing_today_stops_approvals_and_reopening_lets_them_in_again(
    client: TestClient, db: Session, city: City, vault: PersonalDataVault
) -> None:
    phase_id = add_phase(db, city)
    upcoming_id = add_phase(db, city, number=2, opens_in_days=2)
    application_id = ready_application(db, city, vault)
    officer = login(client, "commander")
    decision = f"/api/enterprises/applications/{application_id}/decision"
    approve = {"decision": "approve", "version": 1, "phase_id": phase_id}
    seen = _read(client, officer, phase_id)

    closed = client.post(f"{URL}/{phase_id}/close", json={"seen": seen}, headers=officer)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closes_on"] == _today().isoformat()
    assert closed.json()["is_closed"] and not closed.json()["is_open"]
    again = client.post(f"{URL}/{phase_id}/close", json={"seen": closed.json()}, headers=officer)
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    upcoming = _read(client, officer, upcoming_id)
    early = client.post(f"{URL}/{upcoming_id}/close", json={"seen": upcoming}, headers=officer)
    assert early.status_code == 422 and "not yet" in early.json()["detail"]

    refused = client.post(decision, json=approve, headers=officer)
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"phase 1 closed on {_today()}"

    open_again = client.post(
        f"{URL}/{phase_id}/reopen", json={"seen": closed.json()}, headers=officer
    )
    assert open_again.status_code == 200, open_again.text
    assert open_again.json()["closes_on"] is None and open_again.json()["is_open"]
    twice = client.post(
        f"{URL}/{phase_id}/reopen", json={"seen": open_again.json()}, headers=officer
    )
    assert twice.status_code == 409 and "is not closed" in twice.json()["detail"]
    decided = client.post(decision, json=approve, headers=officer)
    assert decided.status_code == 200, decided.text
    assert len(_audited(db, "enterprise:phase_close")) == 1
    assert len(_audited(db, "enterprise:phase_reopen")) == 1


def test_only_a_phase_without_approvals_can_be_deleted(
    client: TestClient, db: Session, city: City, vault: PersonalDataVault
) -> None:
    used_id = add_phase(db, city, number=1)
    unused_id = add_phase(db, city, number=2)
    approved_application(db, city, vault, used_id)
    officer = login(client, "commander")

    refused = client.delete(f"{URL}/{used_id}", headers=officer)
    assert refused.status_code == 409
    assert "1 applications were approved in phase 1" in refused.json()["detail"]
    assert "close it instead" in refused.json()["detail"]
    deleted = client.delete(f"{URL}/{unused_id}", headers=officer)
    assert deleted.status_code == 204, deleted.text
    assert [p["id"] for p in client.get(URL, headers=officer).json()] == [used_id]
    assert client.delete(f"{URL}/{unused_id}", headers=officer).status_code == 404
    [detail] = _audited(db, "enterprise:phase_delete")
    assert detail["before"]["number"] == 2


def test_a_stale_reading_a_taken_number_and_a_phase_above_the_area_are_refused(
    client: TestClient, db: Session, city: City
) -> None:
    phase_id = add_phase(db, city, number=1)
    add_phase(db, city, number=2)
    above = phases.create_phase(
        db,
        principal=principal(db, "admin"),
        data=PhaseIn(
            division_id=city.divisions["province"],
            number=1,
            opens_on=_today(),
            categories=[Category.OTHER],
        ),
    )
    db.commit()
    officer = login(client, "commander")
    seen = _read(client, officer, phase_id)
    assert _edit(client, officer, seen, opens_on="2020-02-10").status_code == 200

    stale = _edit(client, officer, seen, opens_on="2020-02-11")
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    assert "(now opens 2020-02-10, medical_supplies)" in stale.json()["detail"]
    now = _read(client, officer, phase_id)
    taken = _edit(client, officer, now, number=2)
    assert taken.status_code == 409 and "phase 2 already exists" in taken.json()["detail"]
    backwards = _edit(client, officer, now, closes_on="2020-02-01")
    assert backwards.status_code == 422 and "before it opens" in backwards.text
    province = _read(client, officer, above.id)
    assert not province["is_editable"]
    assert (
        _edit(client, officer, province, categories=["other", "daily_necessities"]).status_code
        == 403
    )
    assert client.delete(f"{URL}/{above.id}", headers=officer).status_code == 403
    assert _read(client, officer, phase_id)["opens_on"] == "2020-02-10"


def test_two_officers_editing_at_once_one_wins_the_other_gets_409(
    client: TestClient, db: Session, city: City
) -> None:
    phase_id = add_phase(db, city)
    officers = [login(client, "commander"), login(client, "admin")]
    seen = _read(client, officers[0], phase_id)
    start = threading.Barrier(2)

    def editing(officer: dict[str, str], categories: list[str]) -> int:
        start.wait()
        return int(_edit(client, officer, seen, categories=categories).status_code)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(editing, officers, [["daily_necessities"], ["major_industry"]]))

    assert sorted(outcomes) == [200, 409], outcomes
    won = ["daily_necessities"] if outcomes[0] == 200 else ["major_industry"]
    assert _read(client, officers[0], phase_id)["categories"] == won
    assert len(_audited(db, "enterprise:phase_edit")) == 1


def test_the_phases_page_edits_closes_reopens_and_deletes_with_forms(
    client: TestClient, db: Session, city: City
) -> None:
    phase_id = add_phase(db, city, number=1)
    spare_id = add_phase(db, city, number=2)
    officer = login(client, "commander")
    page = client.get("/enterprises/phases", headers=officer).text
    assert f'action="/enterprises/phases/{phase_id}/edit"' in page and 'name="csrf_token"' in page
    seen = {
        "seen_division_id": str(city.divisions["city"]),
        "seen_number": "1",
        "seen_opens_on": _today().isoformat(),
        "seen_categories": "medical_supplies",
    }
    edit = seen | {
        "division_id": str(city.divisions["city"]),
        "number": "1",
        "opens_on": _today().isoformat(),
        "categories": ["medical_supplies", "other"],
    }
    form = f"/enterprises/phases/{phase_id}"

    done = client.post(f"{form}/edit", data=edit, headers=officer, follow_redirects=False)
    assert done.status_code == 303 and "done=edited" in done.headers["location"]
    stale = client.post(f"{form}/close", data=seen, headers=officer)
    assert stale.status_code == 409 and 'id="phase-error"' in stale.text
    seen["seen_categories"] = "medical_supplies,other"
    closed = client.post(f"{form}/close", data=seen, headers=officer)
    assert closed.status_code == 200 and "已提前结束批次 Phase closed" in closed.text
    assert f'id="phase-{phase_id}" data-state="closed"' in closed.text
    reopened = client.post(
        f"{form}/reopen", data=seen | {"seen_closes_on": _today().isoformat()}, headers=officer
    )
    assert f'id="phase-{phase_id}" data-state="open"' in reopened.text
    gone = client.post(f"/enterprises/phases/{spare_id}/delete", headers=officer)
    assert gone.status_code == 200 and f'id="phase-{spare_id}"' not in gone.text
    bad = client.post(f"{form}/edit", data=edit | {"categories": []}, headers=officer)
    assert bad.status_code == 422 and 'id="phase-error"' in bad.text
