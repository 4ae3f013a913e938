"""Cases: reporting in scope, status transitions (the table and nothing else), isolation,
roles, and the audit of every write."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import service
from epicontrol.cases.models import TRANSITIONS, Case, CaseStatus
from epicontrol.cases.schemas import CaseIn, StatusChange
from epicontrol.core.errors import InvalidInput
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.tracing.models import TracingRun
from tests.factories import City
from tests.tracing.store_scenario import NOW, bearer, principal


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: these tests look at the queue of runs, not at what it produces."""
    return settings.model_copy(update={"tracing_in_background": False})


def _report(
    client: TestClient, headers: dict[str, str], resident_id: int, **fields: object
) -> dict[str, object]:
    body = {"resident_id": resident_id, "onset_date": "2026-02-10", **fields}
    response = client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_reported_case_gets_a_number_and_the_residents_grid(
    client: TestClient, city: City, db: Session
) -> None:
    case = _report(client, bearer(db, "epidemiologist"), city.residents["neighbour"])
    assert re.fullmatch(r"C\d{4}-\d{6}", str(case["case_number"]))
    assert case["status"] == "suspected"
    assert case["division_id"] == city.divisions["g1"]


def test_clinic_reports_in_its_scope_only(client: TestClient, city: City, db: Session) -> None:
    headers = bearer(db, "clinic_s1")
    _report(client, headers, city.residents["wang_father"])
    outside = client.post(
        "/api/cases",
        json={"resident_id": city.residents["m3_resident"], "onset_date": "2026-02-10"},
        headers=headers,
    )
    assert outside.status_code == 403
    assert "outside your scope" in outside.json()["detail"]
    db.expire_all()
    denial = db.scalar(select(AuditEntry).where(AuditEntry.outcome == "denied"))
    assert denial is not None and denial.actor == "clinic_s1"


def test_one_open_case_per_resident(client: TestClient, city: City, db: Session) -> None:
    headers = bearer(db, "epidemiologist")
    _report(client, headers, city.residents["neighbour"])
    again = client.post(
        "/api/cases", json={"resident_id": city.residents["neighbour"]}, headers=headers
    )
    assert again.status_code == 409
    assert "already has an open case" in again.json()["detail"]


WALK = {
    CaseStatus.SUSPECTED: [],
    CaseStatus.ASYMPTOMATIC: [CaseStatus.ASYMPTOMATIC],
    CaseStatus.CONFIRMED: [CaseStatus.CONFIRMED],
    CaseStatus.RECOVERED: [CaseStatus.CONFIRMED, CaseStatus.RECOVERED],
    CaseStatus.DECEASED: [CaseStatus.CONFIRMED, CaseStatus.DECEASED],
    CaseStatus.DISCARDED: [CaseStatus.DISCARDED],
}


def test_status_changes_follow_the_transition_table(db: Session, city: City) -> None:
    epidemiologist = principal(db, "epidemiologist")
    for start in CaseStatus:
        for target in CaseStatus:
            if target == start:
                continue
            data = CaseIn(resident_id=city.residents["neighbour"], sampling_date=date(2026, 2, 11))
            case = service.create(db, principal=epidemiologist, data=data, now=NOW).case
            for step in WALK[start]:
                service.change_status(
                    db,
                    principal=epidemiologist,
                    case_id=case.id,
                    change=StatusChange(status=step),
                    now=NOW,
                )
            change = StatusChange(status=target)
            if target in TRANSITIONS[start]:
                service.change_status(
                    db, principal=epidemiologist, case_id=case.id, change=change, now=NOW
                )
                assert case.status == target
            else:
                with pytest.raises(InvalidInput, match=f"cannot become {target}; allowed:"):
                    service.change_status(
                        db, principal=epidemiologist, case_id=case.id, change=change, now=NOW
                    )
            case.status = CaseStatus.RECOVERED.value  # closed: the next case may be opened
            db.flush()


def test_an_invalid_transition_is_a_422_with_the_allowed_moves(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"])
    response = client.post(
        f"/api/cases/{case['id']}/status", json={"status": "recovered"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"case {case['case_number']} is suspected: it cannot become recovered; "
        "allowed: asymptomatic, confirmed, discarded"
    )


def test_confirming_needs_a_date_to_trace_from(client: TestClient, city: City, db: Session) -> None:
    headers = bearer(db, "epidemiologist")
    response = client.post(
        "/api/cases", json={"resident_id": city.residents["neighbour"]}, headers=headers
    )
    case_id = response.json()["id"]
    refused = client.post(
        f"/api/cases/{case_id}/status", json={"status": "asymptomatic"}, headers=headers
    )
    assert refused.status_code == 422
    assert "sampling_date" in refused.json()["detail"]
    accepted = client.post(
        f"/api/cases/{case_id}/status",
        json={"status": "asymptomatic", "sampling_date": "2026-02-11"},
        headers=headers,
    )
    assert accepted.status_code == 200
    assert accepted.json()["sampling_date"] == "2026-02-11"


def test_becoming_an_infection_or_changing_isolation_queues_one_run(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"])
    case_id = case["id"]

    def runs() -> list[TracingRun]:
        db.expire_all()
        return list(db.scalars(select(TracingRun).where(TracingRun.case_id == case_id)))

    assert runs() == []  # a suspected case is not traced
    client.post(f"/api/cases/{case_id}/status", json={"status": "confirmed"}, headers=headers)
    [run] = runs()
    assert (run.status, run.reason) == ("queued", "suspected -> confirmed")
    isolation = {"isolated_at": "2026-02-11T12:00:00+08:00"}
    response = client.post(f"/api/cases/{case_id}/isolation", json=isolation, headers=headers)
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["isolated_at"]) == datetime(
        2026, 2, 11, 4, tzinfo=UTC
    )
    assert len(runs()) == 1, "the queued run covers the new isolation time too"


def test_isolation_in_the_future_is_refused(client: TestClient, city: City, db: Session) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"])
    response = client.post(
        f"/api/cases/{case['id']}/isolation",
        json={"isolated_at": "2999-01-01T00:00:00+00:00"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "in the future" in response.json()["detail"]


def test_who_may_read_and_change_cases(client: TestClient, city: City, db: Session) -> None:
    case = _report(client, bearer(db, "epidemiologist"), city.residents["neighbour"])
    readers = {"commander": 200, "officer_m1": 403, "gridworker_g1": 403, "resident_wang": 403}
    for username, status in readers.items():
        headers = bearer(db, username)
        response = client.get(f"/api/cases/{case['id']}", headers=headers)
        assert response.status_code == status, (username, response.text)
        if username == "commander":
            change = client.post(
                f"/api/cases/{case['id']}/status", json={"status": "confirmed"}, headers=headers
            )
            assert change.status_code == 403
            assert "may not case write" in change.json()["detail"]


def test_epidemiologist_sees_only_cases_of_their_division(
    client: TestClient, city: City, db: Session
) -> None:
    _report(client, bearer(db, "admin"), city.residents["m3_resident"])  # district d2
    own = _report(client, bearer(db, "epidemiologist"), city.residents["neighbour"])
    headers = bearer(db, "epidemiologist")
    listed = client.get("/api/cases", headers=headers)
    assert [c["id"] for c in listed.json()] == [own["id"]]


def test_every_write_is_audited(client: TestClient, city: City, db: Session) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"])
    client.post(f"/api/cases/{case['id']}/status", json={"status": "confirmed"}, headers=headers)
    client.post(
        f"/api/cases/{case['id']}/isolation",
        json={"isolated_at": "2026-02-11T12:00:00+08:00"},
        headers=headers,
    )
    db.expire_all()
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "case", AuditEntry.entity_id == str(case["id"]))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "status", "isolate"]


def test_a_discarded_suspected_case_is_closed_and_the_resident_may_be_reported_again(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"])
    url = f"/api/cases/{case['id']}/status"
    discarded = client.post(url, json={"status": "discarded"}, headers=headers)
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    closed = client.post(url, json={"status": "confirmed"}, headers=headers)
    assert closed.status_code == 422
    assert closed.json()["detail"].endswith("allowed: none (it is closed)")
    _report(client, headers, city.residents["neighbour"])  # no longer an open case


IMPOSSIBLE = [
    ({"onset_date": "2026-02-13", "report_date": "2026-02-12"}, "after the report_date"),
    ({"sampling_date": "2026-02-13", "report_date": "2026-02-12"}, "after the report_date"),
    ({"onset_date": "2999-01-01"}, "onset_date 2999-01-01 is in the future"),
    ({"report_date": "2999-01-01"}, "report_date 2999-01-01 is in the future"),
    ({"onset_date": "2016-02-10"}, "before 2019-12-01"),
    ({"isolated_at": "2999-01-01T00:00:00+08:00"}, "in the future"),
]


def test_impossible_dates_are_refused_and_nothing_is_stored(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    for fields, message in IMPOSSIBLE:
        body = {"resident_id": city.residents["neighbour"], "onset_date": "2026-02-10", **fields}
        response = client.post("/api/cases", json=body, headers=headers)
        assert response.status_code == 422, fields
        assert message in response.json()["detail"]
    db.expire_all()
    assert db.scalar(select(Case.id)) is None


def test_correcting_the_onset_of_a_traced_case_queues_tracing(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    case = _report(client, headers, city.residents["neighbour"], status="confirmed")
    db.expire_all()
    [run] = db.scalars(select(TracingRun).where(TracingRun.case_id == case["id"]))
    run.status = "done"
    db.commit()
    url = f"/api/cases/{case['id']}/dates"
    wrong = client.post(url, json={"onset_date": "2999-01-01"}, headers=headers)
    assert wrong.status_code == 422
    moved = client.post(url, json={"onset_date": "2026-02-08"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["onset_date"] == "2026-02-08"
    db.expire_all()
    runs = db.scalars(select(TracingRun.reason).where(TracingRun.status == "queued")).all()
    assert runs == ["dates corrected"]
    assert client.post(url, json={"report_date": None}, headers=headers).status_code == 422
