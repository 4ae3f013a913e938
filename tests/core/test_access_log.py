"""A resident sees who accessed their record and why: role, office and purpose, no usernames."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit, audit_chain
from epicontrol.core.audit_seal import seed_demo
from epicontrol.core.deps import load_principal
from epicontrol.core.models import AuditEntry, User
from tests.factories import TEST_SECRET, City, login


def _read_status(client: TestClient, city: City, user: str, resident: str, purpose: str) -> int:
    response = client.get(
        f"/api/residents/{city.residents[resident]}/risk-status",
        headers={**login(client, user), "X-Purpose": purpose},
    )
    return response.status_code


def test_resident_sees_staff_reads_of_their_record_and_nobody_elses(
    client: TestClient, city: City, db: Session
) -> None:
    assert _read_status(client, city, "gridworker_g1", "wang_father", "fever follow-up") == 200
    assert _read_status(client, city, "officer_m3", "wang_father", "curiosity") == 403
    assert _read_status(client, city, "gridworker_g1", "neighbour", "contact tracing") == 200

    response = client.get("/api/me/access-log", headers=login(client, "resident_wang"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    log = response.json()
    staff = [a for a in log if not a["is_self"]]
    # Newest first: the refused read by the m3 officer, then the grid worker's.
    assert [(a["role"], a["purpose"], a["outcome"]) for a in staff] == [
        ("community_officer", "curiosity", "denied"),
        ("grid_worker", "fever follow-up", "allowed"),
    ]
    assert (staff[1]["organisation"], staff[1]["organisation_level"]) == ("测试g1", "grid")
    assert (staff[0]["organisation"], staff[0]["organisation_level"]) == ("测试m3", "community")
    assert "gridworker_g1" not in response.text and "officer_m3" not in response.text
    assert "contact tracing" not in response.text  # the neighbour's record is not wang's

    # Reading one's own access log is itself audited.
    read = db.scalar(select(AuditEntry).where(AuditEntry.entity == "access_log"))
    assert read is not None and read.entity_id == str(city.residents["wang_father"])


def test_only_residents_have_an_access_log(client: TestClient, city: City) -> None:
    assert client.get("/api/me/access-log").status_code == 401
    assert client.get("/api/me/access-log", headers=login(client, "admin")).status_code == 403
    page = client.get(
        "/public/me/access-log", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")


def test_access_log_page_in_chinese_and_english(client: TestClient, city: City) -> None:
    assert _read_status(client, city, "gridworker_g1", "wang_father", "fever follow-up") == 200
    headers = login(client, "resident_wang")
    english = client.get("/public/me/access-log?lang=en", headers=headers)
    assert english.status_code == 200
    assert "Who accessed my record" in english.text and "Grid worker" in english.text
    assert "fever follow-up" in english.text
    chinese = client.get("/public/me/access-log?lang=zh", headers=headers)
    assert "谁查看了我的信息" in chinese.text and "网格员" in chinese.text
    assert "发热随访" in chinese.text  # a known purpose shown in the page's language
    for page in (english, chinese):
        assert "gridworker_g1" not in page.text
        assert page.headers["cache-control"] == "no-store"


def test_demo_seed_gives_the_demo_resident_an_access_log_and_seals_it(
    db: Session, city: City
) -> None:
    for test_name, demo_name in (("resident_wang", "resident"), ("gridworker_g1", "gridworker")):
        db.execute(update(User).where(User.username == test_name).values(username=demo_name))
    db.commit()
    seed_demo(db, secret=TEST_SECRET)
    result = audit_chain.verify(db, key=audit_chain.chain_key(TEST_SECRET))
    assert result.is_intact and result.unsealed == 0 and result.checked == 3
    resident = load_principal(db, db.scalar(select(User.id).where(User.username == "resident")))
    assert resident is not None
    log = audit.access_log(db, principal=resident)
    assert [(a.role, a.purpose) for a in log] == [
        ("epidemiologist", "contact tracing"),
        ("epidemiologist", "epidemiological investigation"),
        ("grid_worker", "fever follow-up"),
    ]  # the test city has no "officer": that read is skipped


def test_lists_naming_a_division_are_not_taken_for_the_resident(
    client: TestClient, db: Session, city: City
) -> None:
    """Some entries carry a division's or a case's id in entity_id: a number that may equal
    the resident's id must not put a stranger's list into their log."""
    wang = city.residents["wang_father"]
    audit.record(db, actor="x", action="list", entity="observation", entity_id=wang, purpose="l")
    audit.record(db, actor="x", action="export", entity="contact", entity_id=wang, purpose="e")
    db.commit()
    response = client.get("/api/me/access-log", headers=login(client, "resident_wang"))
    assert [a["purpose"] for a in response.json() if not a["is_self"]] == []


def test_a_contact_sees_the_export_of_their_case_s_contacts_and_the_case_its_tracing(
    client: TestClient, db: Session, city: City
) -> None:
    from epicontrol.tracing import service as tracing
    from tests.tracing.store_scenario import NOW, bearer, build

    scenario = build(db, city)  # wang_father is the case; neighbour one of his close contacts
    tracing.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    exported = client.get(
        f"/api/cases/{scenario.case_id}/contacts.csv",
        params={"purpose": "电话排查 calls"},
        headers=bearer(db, "epidemiologist"),
    )
    assert exported.status_code == 200

    def staff_log(username: str) -> list[tuple[str, str, str]]:
        log = client.get("/api/me/access-log", headers=bearer(db, username)).json()
        return [(a["role"], a["action"], a["entity"]) for a in log if not a["is_self"]]

    assert ("epidemiologist", "export", "contact") in staff_log("resident_zhang")
    assert ("epidemiologist", "export", "contact") not in staff_log("resident_wang")
    assert any(entity == "case" for _, _, entity in staff_log("resident_wang"))
