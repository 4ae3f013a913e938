"""A phase's notes (what it is for), on SQLite and PostgreSQL: set at creation and edited through
the API and the phases page, compared like the other values (a stale note is 409), bounded (422,
nothing stored), audited, and published with the whitelist as written, escaped."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry
from epicontrol.enterprises.models import ResumptionPhase
from tests.enterprises.support import add_phase, approved_application
from tests.factories import City, login

FIELDS = ("division_id", "number", "opens_on", "closes_on", "categories", "notes")
URL = "/api/enterprises/phases"
NOTE = "保障类企业优先 essential supplies first"


def _today() -> date:
    return local_date(utcnow())


def _values(phase: dict[str, Any]) -> dict[str, Any]:
    return {field: phase[field] for field in FIELDS}


def _read(client: TestClient, officer: dict[str, str], phase_id: int) -> dict[str, Any]:
    return next(p for p in client.get(URL, headers=officer).json() if p["id"] == phase_id)


def _edit(client: TestClient, officer: dict[str, str], seen: dict[str, Any], **changes: Any) -> Any:
    body = _values(seen) | changes | {"seen": _values(seen)}
    return client.put(f"{URL}/{seen['id']}", json=body, headers=officer)


def _stored(db: Session) -> list[tuple[int, str | None]]:
    db.expire_all()
    rows = db.execute(select(ResumptionPhase.number, ResumptionPhase.notes))
    return [(number, notes) for number, notes in rows]


def _audited(db: Session, action: str) -> list[dict[str, Any]]:
    db.expire_all()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == action))
    return [json.loads(e.detail) for e in entries]


def _new_phase(city: City, number: int, notes: Any) -> dict[str, Any]:
    return {
        "division_id": city.divisions["city"],
        "number": number,
        "opens_on": _today().isoformat(),
        "categories": ["medical_supplies"],
        "notes": notes,
    }


def test_notes_are_set_at_creation_trimmed_and_an_empty_note_is_none(
    client: TestClient, db: Session, city: City
) -> None:
    officer = login(client, "commander")

    made = client.post(
        URL, json=_new_phase(city, 1, f"  {NOTE}\r\n第二行 line two \n"), headers=officer
    )
    blank = client.post(URL, json=_new_phase(city, 2, " \r\n "), headers=officer)

    assert made.status_code == 201, made.text
    assert made.json()["notes"] == f"{NOTE}\n第二行 line two"
    assert blank.status_code == 201 and blank.json()["notes"] is None
    assert sorted(_stored(db)) == [(1, f"{NOTE}\n第二行 line two"), (2, None)]
    created = _audited(db, "enterprise:phase_create")
    assert [entry["after"]["notes"] for entry in created] == [f"{NOTE}\n第二行 line two", None]


def test_too_long_or_control_characters_are_422_and_nothing_is_stored(
    client: TestClient, db: Session, city: City
) -> None:
    phase_id = add_phase(db, city)
    officer = login(client, "commander")
    seen = _read(client, officer, phase_id)

    long_create = client.post(URL, json=_new_phase(city, 2, "长" * 501), headers=officer)
    long_edit = _edit(client, officer, seen, notes="x" * 501)
    nul_edit = _edit(client, officer, seen, notes="a\x00b")  # PostgreSQL would refuse it: 500

    assert long_create.status_code == 422
    assert "notes may be at most 500 characters, not 501" in long_create.text
    assert long_edit.status_code == 422 and "at most 500 characters" in long_edit.text
    assert nul_edit.status_code == 422 and "control characters" in nul_edit.text
    assert _stored(db) == [(1, None)]
    assert _edit(client, officer, seen, notes="长" * 500).status_code == 200


def test_editing_notes_is_compared_and_set_and_audited(
    client: TestClient, db: Session, city: City, vault: PersonalDataVault
) -> None:
    phase_id = add_phase(db, city)
    approved_application(db, city, vault, phase_id)  # a note changes nothing about approvals
    officer = login(client, "commander")
    seen = _read(client, officer, phase_id)

    first = _edit(client, officer, seen, notes=NOTE)
    stale = _edit(client, officer, seen, notes="另一位干部 another officer")

    assert first.status_code == 200 and first.json()["notes"] == NOTE
    assert stale.status_code == 409, stale.text
    assert f"changed by someone else meanwhile (now opens {_today()}" in stale.json()["detail"]
    assert f"notes: {NOTE}" in stale.json()["detail"]
    assert _stored(db) == [(1, NOTE)]
    [detail] = _audited(db, "enterprise:phase_edit")
    assert (detail["before"]["notes"], detail["after"]["notes"]) == (None, NOTE)

    now = _read(client, officer, phase_id)
    closed = client.post(f"{URL}/{phase_id}/close", json={"seen": now}, headers=officer)
    assert closed.status_code == 200 and closed.json()["notes"] == NOTE
    cleared = _edit(client, officer, closed.json(), notes="")
    assert cleared.status_code == 200 and cleared.json()["notes"] is None
    assert _stored(db) == [(1, None)]


def test_the_phases_page_creates_with_closing_day_and_notes_and_edits_them(
    client: TestClient, db: Session, city: City
) -> None:
    officer = login(client, "commander")
    closes = (_today() + timedelta(days=10)).isoformat()
    form = {
        "division_id": str(city.divisions["city"]),
        "number": "1",
        "opens_on": _today().isoformat(),
        "closes_on": closes,
        "categories": ["medical_supplies"],
    }
    page = client.get("/enterprises/phases", headers=officer).text
    assert 'id="phase-form"' in page and 'name="closes_on"' in page.split('id="phase-form"')[1]

    too_long = client.post("/enterprises/phases", data=form | {"notes": "x" * 501}, headers=officer)
    assert too_long.status_code == 422 and "at most 500 characters" in too_long.text
    assert _stored(db) == []
    made = client.post(
        "/enterprises/phases",
        data=form | {"notes": "<b>保障类</b> essential\r\nfirst"},
        headers=officer,
        follow_redirects=False,
    )
    assert made.status_code == 303 and "done=created" in made.headers["location"]
    [phase] = db.scalars(select(ResumptionPhase)).all()
    assert (phase.closes_on.isoformat() if phase.closes_on else None) == closes
    assert phase.notes == "<b>保障类</b> essential\nfirst"
    shown = client.get("/enterprises/phases", headers=officer).text
    assert "&lt;b&gt;保障类&lt;/b&gt; essential<br>first" in shown and "<b>保障类" not in shown
    assert 'name="seen_notes" value="&lt;b&gt;保障类&lt;/b&gt; essential\nfirst"' in shown

    # What a browser sends back: the hidden field's line end as CRLF.
    seen = {
        "seen_division_id": form["division_id"],
        "seen_number": "1",
        "seen_opens_on": form["opens_on"],
        "seen_closes_on": closes,
        "seen_categories": "medical_supplies",
        "seen_notes": "<b>保障类</b> essential\r\nfirst",
    }
    edit = seen | form | {"notes": NOTE}
    url = f"/enterprises/phases/{phase.id}/edit"
    done = client.post(url, data=edit, headers=officer, follow_redirects=False)
    assert done.status_code == 303 and "done=edited" in done.headers["location"]
    stale = client.post(url, data=edit | {"notes": "旧的 stale"}, headers=officer)
    assert stale.status_code == 409 and 'id="phase-error"' in stale.text
    assert _stored(db) == [(1, NOTE)]


def test_the_public_whitelist_shows_the_note_as_written_escaped_in_both_languages(
    client: TestClient, db: Session, city: City, vault: PersonalDataVault
) -> None:
    phase_id = add_phase(db, city)
    approved_application(db, city, vault, phase_id)
    add_phase(db, city, number=2)  # nothing approved in it: not on the whitelist
    officer = login(client, "commander")
    note = '<script>alert("x")</script> 保障类企业优先 & essential first'
    assert _edit(client, officer, _read(client, officer, phase_id), notes=note).status_code == 200

    listed = client.get("/api/public/resumption").json()
    assert [entry["phase_notes"] for entry in listed] == [note]
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 保障类企业优先 &amp; essential first"
    for language in ("zh", "en"):
        page = client.get(f"/public/resumption?lang={language}").text
        assert f'<p class="phase-notes">{escaped}</p>' in page, language
        assert "<script>alert" not in page
