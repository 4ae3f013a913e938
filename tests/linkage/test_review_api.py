"""Upload, run, clerical review and decisions over HTTP; bad files store nothing; only
LINKAGE_REVIEW roles get in, and only to their own division."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage import intake, review, service
from epicontrol.cases.linkage.models import LinkageRecord
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from tests.factories import City, login
from tests.linkage.conftest import Person
from tests.linkage.test_linking import principal

HEADER = "ref,name,id_number,phone,sex,birth_date\n"


def csv_of(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def upload(client: TestClient, headers: dict[str, str], data: bytes, source: str = "inspection"):
    return client.post(
        "/api/linkage/records",
        files={"file": ("records.csv", data, "text/csv")},
        data={"source": source},
        headers=headers,
    )


def stored_records(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(LinkageRecord)) or 0


def test_uncertain_pair_is_queued_with_its_weights_and_a_decision_is_audited(
    client: TestClient, db: Session, register: dict[str, Person]
) -> None:
    wang, extra = register["wang_father"], register["extra5"]
    headers = login(client, "epidemiologist")
    data = csv_of(
        f"v-1,{wang.name},{wang.id_number},{wang.phone},,",
        # right name, wrong birth date, nothing else: plausible, not certain
        f"v-2,{extra.name},,,,1999-09-09",
    )
    response = upload(client, headers, data)
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 2

    run = client.post("/api/linkage/runs", headers=headers)
    assert run.status_code == 201, run.text
    assert (run.json()["auto_linked"], run.json()["queued_for_review"]) == (1, 1)

    queue = client.get("/api/linkage/review", headers=headers).json()
    [pair] = [p for p in queue if p["resident_id"] == extra.resident_id]
    assert pair["source_ref"] == "v-2"
    assert 0.2 <= pair["match_probability"] < 0.99
    weights = {w["comparison"]: w for w in pair["weights"]}
    assert weights["name"]["level"] == "exact" and weights["name"]["weight"] > 0
    assert weights["birth_date"]["weight"] < 0
    assert weights["id_number"]["level"] == "missing"
    total = pair["prior_weight"] + sum(w["weight"] for w in pair["weights"])
    assert total == pytest.approx(pair["match_weight"], abs=0.01)
    assert pair["resident"]["name"] == extra.name

    page = client.get("/linkage/review", headers=headers)
    assert page.status_code == 200
    assert f'data-pair="{pair["id"]}"' in page.text

    decided = client.post(
        f"/api/linkage/pairs/{pair['id']}/decision", json={"decision": "accept"}, headers=headers
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "accepted"
    record = client.get(f"/api/linkage/records/{pair['record_id']}", headers=headers).json()
    assert (record["status"], record["resident_id"], record["linked_by"]) == (
        "linked",
        extra.resident_id,
        "review",
    )
    again = client.post(
        f"/api/linkage/pairs/{pair['id']}/decision", json={"decision": "reject"}, headers=headers
    )
    assert again.status_code == 409

    db.expire_all()
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "accept",
            AuditEntry.entity == "linkage_pair",
            AuditEntry.entity_id == str(pair["id"]),
        )
    )
    assert entry is not None and entry.actor == "epidemiologist" and entry.at is not None
    assert str(extra.resident_id) in entry.detail
    reads = db.scalars(select(AuditEntry).where(AuditEntry.action == "decrypt")).all()
    assert {r.entity for r in reads} >= {"resident", "linkage_record", "linkage_pair"}


def test_reject_from_the_page_leaves_the_record_unmatched(
    client: TestClient, db: Session, register: dict[str, Person]
) -> None:
    extra = register["extra9"]
    headers = login(client, "epidemiologist")
    sent = client.post(
        "/linkage/upload",
        files={"file": ("p.csv", csv_of(f"p-1,{extra.name},,,,1999-09-09"), "text/csv")},
        data={"source": "inspection"},
        headers=headers,
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/linkage/review?stored=1")
    assert client.post("/linkage/run", headers=headers, follow_redirects=False).status_code == 303
    [pair] = client.get("/api/linkage/review", headers=headers).json()
    answer = client.post(
        f"/linkage/review/{pair['id']}",
        data={"decision": "reject"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    record = client.get(f"/api/linkage/records/{pair['record_id']}", headers=headers).json()
    assert (record["status"], record["resident_id"]) == ("unmatched", None)
    assert client.get("/api/linkage/review", headers=headers).json() == []


BAD_FILES = [
    (csv_of("a,王建国,410102197003120119,,,", "b,李四,4101X2,,,"), "inspection", "row 3"),
    (csv_of("a,王建国,,,,2999-01-01"), "inspection", "birth_date"),
    (csv_of("a,王建国,,,,"), "inspection", "at least two"),
    (csv_of("a,王建国,,13800001111,unknown,"), "inspection", "sex"),
    (b"name,id_number\n\xe7\x8e\x8b,410102197003120119\n", "inspection", "reference"),
    (b"\xff\xfe\x00bad", "inspection", "UTF-8"),
    (HEADER.encode(), "inspection", "no rows"),
    (csv_of("a,王建国,410102197003120119,,,"), "gossip", "source"),
    (HEADER.encode() + b"x" * 2_000_001, "inspection", "larger"),
]


def test_a_bad_upload_stores_nothing(client: TestClient, db: Session, city: City) -> None:
    headers = login(client, "epidemiologist")
    for data, source, message in BAD_FILES:
        response = upload(client, headers, data, source)
        assert response.status_code == 422, (message, response.text)
        assert message in response.json()["detail"]
    assert stored_records(db) == 0


def test_a_repeated_upload_is_refused(client: TestClient, db: Session, city: City) -> None:
    headers = login(client, "epidemiologist")
    data = csv_of("a,王建国,410102197003120119,,,")
    assert upload(client, headers, data).status_code == 201
    assert upload(client, headers, data).status_code == 409
    assert stored_records(db) == 1


def test_only_linkage_reviewers_may_upload_run_or_review(
    client: TestClient, db: Session, city: City
) -> None:
    decision = {"decision": "accept"}
    for username in ("officer_m1", "clinic_s1", "gridworker_g1", "commander", "resident_wang"):
        headers = login(client, username)
        data = csv_of("a,王建国,410102197003120119,,,")
        assert upload(client, headers, data).status_code == 403, username
        assert client.post("/api/linkage/runs", headers=headers).status_code == 403
        assert client.get("/api/linkage/review", headers=headers).status_code == 403
        assert client.get("/linkage/review", headers=headers).status_code == 403
        answer = client.post("/api/linkage/pairs/1/decision", json=decision, headers=headers)
        assert answer.status_code == 403
    assert stored_records(db) == 0
    assert client.get("/api/linkage/review", headers=login(client, "admin")).status_code == 200


def test_pairs_of_another_division_are_neither_shown_nor_decidable(
    client: TestClient,
    db: Session,
    city: City,
    vault: PersonalDataVault,
    register: dict[str, Person],
) -> None:
    far = register["m3_resident"]
    admin = principal(db, "admin")
    intake.enqueue(
        db,
        source="medical_record",
        source_id=77,
        records=[{"source_ref": "emr-77", "name": far.name, "birth_date": "1999-09-09"}],
        division_id=city.divisions["m3"],
        vault=vault,
        actor=admin,
    )
    service.run(db, principal=admin, vault=vault, now=utcnow())
    db.commit()
    [pair] = review.review_queue(db, principal=admin, vault=vault)
    db.commit()
    headers = login(client, "epidemiologist")
    assert client.get("/api/linkage/review", headers=headers).json() == []
    answer = client.post(
        f"/api/linkage/pairs/{pair.id}/decision", json={"decision": "accept"}, headers=headers
    )
    assert answer.status_code == 404
    admin_headers = login(client, "admin")
    accepted = client.post(
        f"/api/linkage/pairs/{pair.id}/decision", json={"decision": "accept"}, headers=admin_headers
    )
    assert accepted.status_code == 200


def test_a_csv_the_csv_module_cannot_read_is_a_422_and_stores_nothing(
    client: TestClient, db: Session, register: dict[str, Person]
) -> None:
    """Found by fuzzing: csv.Error (a carriage return in an unquoted field, a field beyond
    the csv module's limit) was a 500."""
    headers = login(client, "epidemiologist")
    wang = register["wang_father"]
    huge = upload(client, headers, csv_of(f"v-1,{'王' * 200_000},{wang.id_number},,,"))
    assert huge.status_code == 422, huge.text
    assert "not a readable CSV" in huge.json()["detail"]
    split = upload(client, headers, csv_of(f"v-2,{wang.name}\r,{wang.id_number},,,"))
    assert split.status_code == 422, split.text
    assert stored_records(db) == 0
