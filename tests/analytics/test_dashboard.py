"""The command dashboard's figures equal independent counts made with plain SQL in the test,
for the city and for a subdivision, on SQLite and PostgreSQL; outside one's scope it is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from epicontrol.core.db import UTCDateTime
from epicontrol.core.models import AuditEntry
from epicontrol.divisions.models import Division
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.places.models import Place
from tests.analytics.dashboard_scenario import DAY, build
from tests.factories import City
from tests.tasks.monitoring_fixtures import local, login

INFECTION = (
    "(c.status IN ('confirmed', 'deceased', 'asymptomatic')"
    " OR c.status = 'recovered')"  # every class but suspected; discarded excluded below
)
CONFIRMED = (
    "(c.status IN ('confirmed', 'deceased')"
    " OR (c.status = 'recovered' AND c.onset_date IS NOT NULL))"
)
ASYMPTOMATIC = "(c.status = 'asymptomatic' OR (c.status = 'recovered' AND c.onset_date IS NULL))"
CASES_OF_SUBTREE = """
SELECT count(*) FROM cases c JOIN divisions d ON d.id = c.division_id
WHERE d.path LIKE :prefix AND c.report_date <= :day AND {where}
"""


def _count(db: Session, sql: str, **params: Any) -> int:
    """A count by a text() query; dates and times bound with the store's own column types."""
    statement = text(sql).bindparams(
        *[bindparam(name, type_=Date()) for name in ("day", "other") if f":{name}" in sql],
        *[bindparam(name, type_=UTCDateTime()) for name in ("start", "end") if f":{name}" in sql],
    )
    return int(db.execute(statement, params).scalar_one())


def _expected(db: Session, division: Division, day: date) -> dict[str, Any]:
    """Every headline of `division` on `day`, counted independently of the service."""
    prefix = division.path + "%"
    start, end = local(day, 0), local(day + timedelta(days=1), 0)

    def cases(where: str, **extra: Any) -> int:
        return _count(db, CASES_OF_SUBTREE.format(where=where), prefix=prefix, day=day, **extra)

    def observed(where: str = "1 = 1") -> int:
        sql = (
            "SELECT count(DISTINCT o.resident_id) FROM observations o"
            " JOIN divisions d ON d.id = o.division_id WHERE d.path LIKE :prefix"
            " AND o.reason IN ('close_contact', 'secondary_contact')"
            " AND o.starts_on <= :day AND o.ends_on >= :day"
            f" AND (o.closed_at IS NULL OR o.closed_at >= :start) AND {where}"
        )
        return _count(db, sql, prefix=prefix, day=day, start=start)

    return {
        "confirmed": (cases(CONFIRMED), cases(f"{CONFIRMED} AND c.report_date = :day")),
        "asymptomatic": (cases(ASYMPTOMATIC), cases(f"{ASYMPTOMATIC} AND c.report_date = :day")),
        "suspected": (
            cases("c.status = 'suspected'"),
            cases("c.status = 'suspected' AND c.report_date = :day"),
        ),
        "under_observation": (observed(), observed("o.starts_on = :day")),
        "fever_reports": _fever(db, prefix, start, end),
        "risk_area_arrivals": _risk_arrivals(db, prefix, start, end),
        "recovered": cases("c.status = 'recovered'"),
        "infections": cases(INFECTION),
    }


def _fever(db: Session, prefix: str, start: datetime, end: datetime) -> int:
    checks = _count(
        db,
        "SELECT count(*) FROM self_checks s JOIN residents r ON r.id = s.resident_id"
        " JOIN divisions d ON d.id = r.division_id WHERE d.path LIKE :prefix"
        " AND s.fever = :yes AND s.submitted_at >= :start AND s.submitted_at < :end",
        prefix=prefix,
        start=start,
        end=end,
        yes=True,
    )
    clinics = _count(
        db,
        "SELECT count(*) FROM clinic_registrations g JOIN divisions d ON d.id = g.division_id"
        " WHERE d.path LIKE :prefix AND g.arrived_at >= :start AND g.arrived_at < :end",
        prefix=prefix,
        start=start,
        end=end,
    )
    return checks + clinics


def _risk_arrivals(db: Session, prefix: str, start: datetime, end: datetime) -> int:
    """ "In" scans of the day at the subtree's places from an origin inside a declared risk
    area with no earlier record of the person (the scenario's arrivals have none)."""
    return _count(
        db,
        "SELECT count(DISTINCT m.resident_id) FROM movements m"
        " JOIN places p ON p.id = m.place_id JOIN divisions d ON d.id = p.division_id"
        " JOIN risk_areas a ON substr(m.origin, 1, length(a.region_code)) = a.region_code"
        " WHERE d.path LIKE :prefix AND m.direction = 'in'"
        " AND m.occurred_at >= :start AND m.occurred_at < :end",
        prefix=prefix,
        start=start,
        end=end,
    )


def _dashboard(client: TestClient, user: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/dashboard", params=params, headers=login(client, user))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_headlines(data: dict[str, Any], expected: dict[str, Any]) -> None:
    tiles = data["headlines"]
    for key in ("confirmed", "asymptomatic", "suspected", "under_observation"):
        assert (tiles[key]["total"], tiles[key]["new"]) == expected[key], key
    for key in ("fever_reports", "risk_area_arrivals"):
        assert tiles[key]["total"] == tiles[key]["new"] == expected[key], key
    assert tiles["recovered"] == expected["recovered"]
    assert sum(point["total"] for point in data["curve_by_report"]) == expected["infections"]
    onsets = sum(point["total"] for point in data["curve_by_onset"])
    assert onsets + data["undated_onsets"] == expected["infections"]
    assert sum(b["male"] + b["female"] for b in data["age_pyramid"]) == expected["infections"]
    assert sum(data["sex_split"].values()) == expected["infections"]


def test_dashboard_figures_equal_sql_counts_for_the_city_and_a_district(
    client: TestClient, db: Session, city: City
) -> None:
    build(db, city)
    whole = db.get_one(Division, city.divisions["city"])
    district = db.get_one(Division, city.divisions["d1"])

    data = _dashboard(client, "commander", division_id=whole.id, day=DAY.isoformat())
    expected = _expected(db, whole, DAY)
    _assert_headlines(data, expected)
    # The scenario's own numbers, so a wrong SQL above cannot agree with a wrong service.
    assert expected["confirmed"] == (3, 1) and expected["asymptomatic"] == (1, 1)
    assert expected["under_observation"] == (3, 2) and expected["fever_reports"] == 3
    assert expected["risk_area_arrivals"] == 1
    by_onset = {point["day"]: point for point in data["curve_by_onset"] if point["total"]}
    assert {day: (p["confirmed"], p["asymptomatic"]) for day, p in by_onset.items()} == {
        str(DAY - timedelta(days=14)): (1, 0),  # the recovered case, by onset
        str(DAY - timedelta(days=9)): (1, 0),
        str(DAY - timedelta(days=3)): (1, 0),
        str(DAY - timedelta(days=1)): (0, 1),  # the asymptomatic infection, by sampling
    }

    subdivisions = {sub["name"]: sub for sub in data["subdivisions"]}
    assert sorted(subdivisions) == ["测试d1", "测试d2"]
    for sub in data["subdivisions"]:
        part = db.get_one(Division, sub["division_id"])
        assert sub["cases"] == _expected(db, part, DAY)["infections"]
    assert subdivisions["测试d1"]["population"] == 5 and subdivisions["测试d2"]["population"] == 1
    assert subdivisions["测试d1"]["risk_area_arrivals"] == 1
    assert [(e["name"], e["cases"]) for e in data["estates"]] == [("测试花园", 2)]

    drilled = _dashboard(client, "commander", division_id=district.id, day=DAY.isoformat())
    _assert_headlines(drilled, _expected(db, district, DAY))
    assert drilled["headlines"]["confirmed"]["total"] < data["headlines"]["confirmed"]["total"]
    assert [c["name"] for c in drilled["breadcrumb"]] == ["测试city", "测试d1"]
    assert [s["name"] for s in drilled["subdivisions"]] == ["测试s1"]


def test_rt_and_forecast_come_from_the_report_date_curve(
    client: TestClient, db: Session, city: City
) -> None:
    build(db, city)
    data = _dashboard(client, "commander", day=DAY.isoformat())
    curve = data["curve_by_report"]
    assert curve[-1]["day"] == DAY.isoformat() and len(curve) >= 28
    assert all(p["lower"] <= p["median"] <= p["upper"] for p in data["rt"])
    assert [f["day"] for f in data["forecast"]] == [
        (DAY + timedelta(days=h)).isoformat() for h in range(1, 8)
    ]
    assert data["serial_interval_mean_days"] == pytest.approx(4.7)


def test_a_past_day_counts_only_what_was_reported_by_then(
    client: TestClient, db: Session, city: City
) -> None:
    build(db, city)
    earlier = DAY - timedelta(days=5)
    data = _dashboard(client, "commander", day=earlier.isoformat())
    whole = db.get_one(Division, city.divisions["city"])
    _assert_headlines(data, _expected(db, whole, earlier))
    assert data["headlines"]["confirmed"]["total"] == 2  # wang_father and the recovered case


@pytest.mark.parametrize(
    ("user", "division", "status"),
    [
        ("officer_m3", "d1", 403),  # another district
        ("epidemiologist", "city", 403),  # above one's own division
        ("gridworker_g1", "g1", 403),  # no dashboard permission
    ],
)
def test_outside_ones_scope_the_dashboard_is_refused(
    client: TestClient, db: Session, city: City, user: str, division: str, status: int
) -> None:
    build(db, city)
    params = {"division_id": city.divisions[division], "day": DAY.isoformat()}
    response = client.get("/api/dashboard", params=params, headers=login(client, user))
    assert response.status_code == status
    page = client.get("/dashboard", params=params, headers=login(client, user))
    assert page.status_code == status


def test_unknown_division_is_404_and_reads_are_audited(
    client: TestClient, db: Session, city: City
) -> None:
    headers = login(client, "officer_m1")
    assert client.get("/api/dashboard?division_id=999999", headers=headers).status_code == 404
    future = client.get("/api/dashboard?day=2999-01-01", headers=headers)
    assert future.status_code == 422 and "in the future" in future.text
    own = client.get("/api/dashboard", headers=headers)
    assert own.status_code == 200 and own.json()["division_id"] == city.divisions["m1"]
    db.expire_all()
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "dashboard:read").order_by(AuditEntry.id)
    ).all()[-1]
    assert (entry.actor, entry.entity_id) == ("officer_m1", str(city.divisions["m1"]))
    assert "resident" not in own.text  # aggregates only


def test_the_page_shows_tiles_charts_and_drill_down_links(
    client: TestClient, db: Session, city: City
) -> None:
    build(db, city)
    headers = login(client, "commander")
    page = client.get(f"/dashboard?day={DAY.isoformat()}", headers=headers)
    assert page.status_code == 200
    html = page.text
    for chart in ("curve-report", "curve-onset", "rt", "pyramid", "sex", "map"):
        assert f'id="chart-{chart}"' in html
    assert 'id="tile-confirmed" data-total="3" data-new="1"' in html
    assert f'href="/dashboard?division_id={city.divisions["d1"]}&day={DAY}"' in html
    assert "/static/vendor/plotly.min.js" in html and "cdn.plot.ly" not in html
    menu = client.get("/", headers=headers).text
    assert 'href="/dashboard"' in menu


def test_a_risk_area_inside_the_city_flags_arrivals_by_their_previous_place(
    client: TestClient, db: Session, city: City
) -> None:
    """With district d2 declared at risk, someone scanned in d2 and then entering m1 (no
    origin) arrived in d1 from a risk area, but did not arrive in the city: they were in it."""
    build(db, city)
    db.add(RiskArea(region_code="410103", name="测试d2", starts_on=DAY, created_by="commander"))
    market = Place(code="MKT-M3", name="测试菜场", kind="market", division_id=city.divisions["m3"])
    db.add(market)
    db.flush()
    gate = db.scalars(select(Place.id).where(Place.code == "GATE-M1")).one()
    for place, hour in ((market.id, 8), (gate, 12)):
        at = local(DAY, hour)
        db.add(
            Movement(
                client_uuid=str(uuid4()),
                kind="scan",
                direction="in",
                resident_id=city.residents["m3_resident"],
                place_id=place,
                occurred_at=at,
                day=at.astimezone(UTC).date(),
            )
        )
    db.commit()

    def arrivals(division: str) -> int:
        params = {"division_id": city.divisions[division], "day": DAY.isoformat()}
        data = _dashboard(client, "commander", **params)
        return int(data["headlines"]["risk_area_arrivals"]["total"])

    assert arrivals("city") == 1  # the neighbour from Wuhan only
    assert arrivals("d1") == 2
    assert arrivals("m1") == 2
    assert arrivals("d2") == 0  # the market scan: an arrival, but from nowhere known at risk
