"""Risk-status rules: each rule's colour with the exact records behind it, expiry, the worst
colour winning, recomputation in the committing transaction, and colours() for checkpoints."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.health_code import service, status
from epicontrol.health_code.models import RiskEvidence, RiskStatus
from epicontrol.health_code.rules import Colour, RiskRules
from epicontrol.health_code.triggers import sweep
from epicontrol.reports.models import SelfCheck
from epicontrol.tracing.models import Contact
from tests.factories import City
from tests.health_code.records import (
    add_arrival,
    add_case,
    add_contact,
    add_fever,
    add_risk_area,
)


def evidence(db: Session, resident_id: int) -> set[tuple[str, str, int, str]]:
    """(rule, table, id, colour) of every record stored behind a resident's status."""
    rows = db.scalars(select(RiskEvidence).where(RiskEvidence.resident_id == resident_id))
    return {(e.rule, e.source_table, e.source_id, Colour(e.level).label) for e in rows}


def stored_colour(db: Session, resident_id: int) -> str | None:
    db.expire_all()
    found = db.get(RiskStatus, resident_id)
    return found.colour if found else None


def test_open_case_is_red_with_the_case_as_evidence(db: Session, city: City) -> None:
    wang = city.residents["wang_father"]
    case = add_case(db, wang, "asymptomatic")
    db.commit()
    assert stored_colour(db, wang) == "red"
    assert evidence(db, wang) == {("case", "cases", case.id, "red")}
    assert "asymptomatic" in db.get(RiskStatus, wang).reason  # type: ignore[union-attr]


def test_close_contact_is_red_until_observation_ends(db: Session, city: City) -> None:
    case = add_case(db, city.residents["m2_resident"])
    zhang = city.residents["neighbour"]
    contact = add_contact(db, case, zhang)
    db.commit()
    assert stored_colour(db, zhang) == "red"
    assert evidence(db, zhang) == {("close_contact", "contacts", contact.id, "red")}
    row = db.get(RiskStatus, zhang)
    assert row is not None
    assert "Close contact" in row.reason and "测试小区东门" in row.reason
    assert f"observation ends on {contact.observation_ends_on}" in row.reason
    # The day after observation ends the contact no longer counts.
    later = status.combine(zhang, _findings(db, zhang, days=15), utcnow() + timedelta(days=15))
    assert later.colour == Colour.GREEN


def test_withdrawn_contact_does_not_count(db: Session, city: City) -> None:
    case = add_case(db, city.residents["m2_resident"])
    contact = add_contact(db, case, city.residents["neighbour"])
    db.commit()
    contact.withdrawn_at = utcnow()
    db.commit()
    assert stored_colour(db, city.residents["neighbour"]) == "green"
    assert evidence(db, city.residents["neighbour"]) == set()


def test_secondary_contact_is_yellow(db: Session, city: City) -> None:
    case = add_case(db, city.residents["m2_resident"])
    contact = add_contact(db, case, city.residents["wang_child"], degree=2)
    db.commit()
    assert stored_colour(db, city.residents["wang_child"]) == "yellow"
    assert evidence(db, city.residents["wang_child"]) == {
        ("secondary_contact", "contacts", contact.id, "yellow")
    }


def test_fever_report_is_yellow_until_cleared(db: Session, city: City) -> None:
    wang = city.residents["wang_mother"]
    check = add_fever(db, wang)
    db.commit()
    assert stored_colour(db, wang) == "yellow"
    assert evidence(db, wang) == {("fever_report", "self_checks", check.id, "yellow")}
    check.cleared_at = utcnow()
    check.cleared_by = "clinic_s1"
    db.commit()
    assert stored_colour(db, wang) == "green"
    assert evidence(db, wang) == set()


def test_fever_report_expires_after_its_window(db: Session, city: City) -> None:
    wang = city.residents["wang_mother"]
    add_fever(db, wang, at=utcnow() - timedelta(days=6, hours=23))
    db.commit()
    row = db.get(RiskStatus, wang)
    assert row is not None and row.colour == "yellow" and row.changes_at is not None
    # An hour and a bit later the window has passed: colours() already says green (it does not
    # trust a stale row), and the sweep rewrites the row.
    later = utcnow() + timedelta(hours=1, minutes=5)
    assert service.colours(db, [wang]) == {wang: "yellow"}
    assert status.colours(db, [wang], now=later) == {wang: "green"}
    assert sweep(db, now=later, last=None, rules=RiskRules()) == 1
    db.commit()
    assert stored_colour(db, wang) == "green"


def test_arrival_from_risk_area_is_yellow_for_seven_days(db: Session, city: City) -> None:
    zhang = city.residents["neighbour"]
    add_risk_area(db)
    arrival = add_arrival(db, zhang, origin="420102")
    add_arrival(db, city.residents["wang_father"], origin="110101")  # not a risk area
    db.commit()
    # Movements come in as Core inserts no session event sees: the sweep finds them.
    assert sweep(db, now=utcnow(), last=None, rules=RiskRules()) == 1
    db.commit()
    assert stored_colour(db, zhang) == "yellow"
    assert stored_colour(db, city.residents["wang_father"]) is None  # never had a status
    assert evidence(db, zhang) == {("risk_area_arrival", "movements", arrival.id, "yellow")}
    row = db.get(RiskStatus, zhang)
    assert row is not None and "武汉市" in row.reason
    assert status.colours(db, [zhang], now=utcnow() + timedelta(days=7)) == {zhang: "green"}


def test_declaring_a_risk_area_recomputes_earlier_arrivals(db: Session, city: City) -> None:
    zhang = city.residents["neighbour"]
    add_arrival(db, zhang, origin="420102")
    db.commit()
    add_risk_area(db, region_code="420102", name="武汉市江岸区")
    db.commit()
    assert stored_colour(db, zhang) == "yellow"


def test_worst_colour_wins_and_every_record_is_listed(db: Session, city: City) -> None:
    zhang = city.residents["neighbour"]
    fever = add_fever(db, zhang)
    case = add_case(db, city.residents["m3_resident"])
    close = add_contact(db, case, zhang)
    db.commit()
    assert stored_colour(db, zhang) == "red"
    assert evidence(db, zhang) == {
        ("close_contact", "contacts", close.id, "red"),
        ("fever_report", "self_checks", fever.id, "yellow"),
    }
    row = db.get(RiskStatus, zhang)
    assert row is not None and row.reason.startswith("Close contact")


def test_case_change_updates_status_in_the_same_transaction(db: Session, city: City) -> None:
    wang = city.residents["wang_father"]
    case = add_case(db, wang, "suspected")
    seen: list[str | None] = []

    def before_commit_ends(session: Session) -> None:
        seen.append(session.execute(select(RiskStatus.colour)).scalar())

    # Registered after health_code's own listener: sees what the committing transaction wrote.
    event.listen(db, "before_commit", before_commit_ends)
    db.commit()
    assert seen == ["red"]
    case.status = "recovered"
    db.commit()
    event.remove(db, "before_commit", before_commit_ends)
    assert seen == ["red", "green"]
    assert stored_colour(db, wang) == "green"


def test_rolled_back_change_leaves_the_status_alone(db: Session, city: City) -> None:
    wang = city.residents["wang_father"]
    add_case(db, wang)
    db.rollback()
    db.commit()
    assert stored_colour(db, wang) is None


def test_colours_returns_stored_colours_in_one_query(db: Session, city: City) -> None:
    case = add_case(db, city.residents["wang_father"])
    add_contact(db, case, city.residents["wang_child"], degree=2)
    db.commit()
    ids = [city.residents[n] for n in ("wang_father", "wang_child", "neighbour")]
    statements: list[str] = []
    engine = db.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = service.colours(db, ids)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert found == dict(zip(ids, ["red", "yellow", "green"], strict=True))
    assert len(statements) == 1


@pytest.mark.parametrize("bad", [{"fever_report_days": 0}, {"no_such_rule": 1}])
def test_rules_refuse_bad_configuration(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RiskRules.from_mapping(bad)


def test_rules_load_from_a_deployment_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "risk.toml"
    path.write_text('[risk_status]\nfever_report_days = 3\nsecondary_contact_colour = "red"\n')
    rules = RiskRules.from_file(path)
    assert rules.fever_report_days == 3 and rules.secondary_contact_colour == Colour.RED


def _findings(db: Session, resident_id: int, *, days: int) -> list[status.Finding]:
    from epicontrol.health_code import evaluate

    now = utcnow()
    return evaluate.findings(db, [resident_id], now=now, rules=RiskRules())[resident_id]


def test_sweep_catches_records_written_past_the_session(db: Session, city: City) -> None:
    wang, zhang = city.residents["wang_father"], city.residents["neighbour"]
    case = add_case(db, wang)
    fever = add_fever(db, zhang)
    db.commit()
    # Core statements on a connection of their own: no session event sees them.
    with db.get_bind().begin() as conn:
        conn.execute(Case.__table__.update().where(Case.id == case.id).values(status="recovered"))
        conn.execute(
            SelfCheck.__table__.insert().values(
                resident_id=city.residents["wang_mother"],
                fever=True,
                triage="home",
                submitted_at=utcnow(),
            )
        )
    assert stored_colour(db, wang) == "red"
    assert sweep(db, now=utcnow(), last=utcnow(), rules=RiskRules()) == 2
    assert stored_colour(db, wang) == "green"
    assert stored_colour(db, city.residents["wang_mother"]) == "yellow"
    assert evidence(db, zhang) == {("fever_report", "self_checks", fever.id, "yellow")}


def test_sweeper_thread_applies_rules_in_the_background(db: Session, city: City) -> None:
    from epicontrol.core.db import session_factory
    from epicontrol.health_code.triggers import start_risk_status_sweeper

    zhang = city.residents["neighbour"]
    add_risk_area(db)
    add_arrival(db, zhang)
    db.commit()
    sweeper = start_risk_status_sweeper(
        session_factory(db.get_bind()), interval_seconds=0.05, rules=RiskRules()
    )
    assert sweeper is not None
    try:
        deadline = time.monotonic() + 10
        while stored_colour(db, zhang) != "yellow" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweeper.stop()
    assert stored_colour(db, zhang) == "yellow"


def test_bulk_statements_through_the_session_recompute_too(db: Session, city: City) -> None:
    zhang, wang = city.residents["neighbour"], city.residents["wang_mother"]
    contact = add_contact(db, add_case(db, city.residents["m3_resident"]), zhang)
    add_fever(db, wang)
    db.commit()
    assert (stored_colour(db, zhang), stored_colour(db, wang)) == ("red", "yellow")
    # As tracing drops a stale contact, and as a clinic might clear checks in bulk.
    db.execute(delete(Contact).where(Contact.id == contact.id))
    db.execute(update(SelfCheck).where(SelfCheck.resident_id == wang).values(cleared_at=utcnow()))
    db.commit()
    assert (stored_colour(db, zhang), stored_colour(db, wang)) == ("green", "green")


def test_colours_of_thousands_of_residents_is_still_one_statement(db: Session, city: City) -> None:
    add_case(db, city.residents["wang_father"])
    db.commit()
    statements: list[str] = []
    engine = db.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    wanted = [city.residents["wang_father"], *range(10_000, 12_500)]  # most are unknown: green
    try:
        found = service.colours(db, wanted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert found[city.residents["wang_father"]] == "red" and found[10_000] == "green"
