"""The public situation: local figures equal an independent SQL count; feed figures and trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.portal.feed_demo import seed_demo
from epicontrol.reports.monitoring_models import Observation
from tests.factories import City

# status, onset (days before today or None), report (days before today)
CASES = (
    ("confirmed", 3, 0),
    ("confirmed", 5, 2),
    ("confirmed", 40, 35),  # before the 30-day trend
    ("deceased", 9, 8),
    ("recovered", 12, 10),  # with an onset: was confirmed
    ("recovered", None, 11),  # without: was asymptomatic
    ("asymptomatic", None, 0),
    ("asymptomatic", None, 1),
    ("suspected", None, 0),
    ("suspected", None, 4),
    ("discarded", None, 0),  # ruled out: never counted
    ("confirmed", 0, -1),  # reported tomorrow (a clock ahead): not yet counted
)
# reason, starts (days before today), ends (days after today), closed
OBSERVATIONS = (
    ("close_contact", 0, 13, False),
    ("close_contact", 3, 10, False),
    ("secondary_contact", 1, 12, False),
    ("close_contact", 2, 11, True),  # closed yesterday
    ("close_contact", 20, -6, False),  # over
    ("risk_area_arrival", 0, 13, False),  # not a contact
)

INDEPENDENT = """
SELECT
  sum(CASE WHEN (status IN ('confirmed', 'deceased') OR (status = 'recovered'
      AND onset_date IS NOT NULL)) AND report_date <= :day THEN 1 ELSE 0 END),
  sum(CASE WHEN (status IN ('confirmed', 'deceased') OR (status = 'recovered'
      AND onset_date IS NOT NULL)) AND report_date = :day THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'suspected' AND report_date <= :day THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'suspected' AND report_date = :day THEN 1 ELSE 0 END),
  sum(CASE WHEN (status = 'asymptomatic' OR (status = 'recovered' AND onset_date IS NULL))
      AND report_date <= :day THEN 1 ELSE 0 END),
  sum(CASE WHEN (status = 'asymptomatic' OR (status = 'recovered' AND onset_date IS NULL))
      AND report_date = :day THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'recovered' AND report_date <= :day THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'deceased' AND report_date <= :day THEN 1 ELSE 0 END)
FROM cases
"""
OBSERVED = """
SELECT count(DISTINCT resident_id) FROM observations
WHERE reason IN ('close_contact', 'secondary_contact') AND starts_on <= :day
  AND ends_on >= :day AND closed_at IS NULL
"""


def _arrange(db: Session, city: City, today: date) -> None:
    residents = list(city.residents.values())
    grid = city.divisions["g1"]
    for number, (status, onset, report) in enumerate(CASES):
        db.add(
            Case(
                case_number=f"C-T{number:03d}",
                resident_id=residents[number % len(residents)],
                division_id=grid,
                status=status,
                onset_date=None if onset is None else today - timedelta(days=onset),
                report_date=today - timedelta(days=report),
                created_by="test",
            )
        )
    for number, (reason, starts, ends, closed) in enumerate(OBSERVATIONS):
        db.add(
            Observation(
                resident_id=residents[number % len(residents)],
                division_id=grid,
                reason=reason,
                starts_on=today - timedelta(days=starts),
                ends_on=today + timedelta(days=ends),
                last_exposure_at=datetime(2026, 1, 1, tzinfo=UTC),
                closed_at=utcnow() - timedelta(days=1) if closed else None,
            )
        )
    db.commit()


def test_local_figures_equal_an_independent_count(
    client: TestClient, city: City, db: Session
) -> None:
    today = local_date(utcnow())
    _arrange(db, city, today)
    expected = [int(n) for n in db.execute(text(INDEPENDENT), {"day": today}).one()]
    observed = db.scalar(text(OBSERVED), {"day": today})
    assert expected == [5, 1, 2, 1, 3, 1, 2, 1]  # the arrangement is what the test thinks it is

    local = client.get("/api/public/situation").json()["local"]
    got = [
        value
        for name in ("confirmed", "suspected", "asymptomatic")
        for value in (local[name]["total"], local[name]["new"])
    ] + [local["recovered"]["total"], local["deaths"]["total"]]
    assert got == expected
    assert local["under_observation"]["total"] == observed == 3
    assert local["under_observation"]["new"] == 1
    assert local["area_name"] == "测试city"

    trend = {point["day"]: point for point in local["trend"]}
    assert len(trend) == 30 and max(trend) == today.isoformat()
    assert trend[today.isoformat()] == {"day": today.isoformat(), "confirmed": 1, "asymptomatic": 1}
    assert sum(p["confirmed"] for p in trend.values()) == 4  # not the one 35 days ago
    assert sum(p["asymptomatic"] for p in trend.values()) == 3
    assert "name" not in str(local).replace("area_name", "")  # aggregates only


def test_feed_figures_trends_and_pages_in_both_languages(
    client: TestClient, city: City, db: Session
) -> None:
    today = local_date(utcnow())
    seed_demo(db, today=today)
    db.commit()
    data = client.get("/api/public/situation").json()
    assert data["province"] is None  # the test city's province (410000) is not in the feed
    nation = data["nation"]
    assert nation["region_code"] == "CN" and nation["day"] == today.isoformat()
    rows = db.execute(
        text(
            "SELECT confirmed FROM portal_feed_figures WHERE level = 'nation' ORDER BY day DESC"
            " LIMIT 2"
        )
    ).scalars()
    latest, before = list(rows)
    assert nation["confirmed"] == {"total": latest, "new": latest - before}
    assert len(nation["trend"]) == 29  # 30 days imported: 29 day-on-day changes
    assert [p["region_code"] for p in data["provinces"]][0] == "420000"  # most confirmed first

    english = client.get("/public/situation?lang=en")
    assert english.status_code == 200
    assert "Epidemic situation" in english.text and "ceshi city" in english.text
    assert 'id="figure-nation"' in english.text and "示例数据" in english.text
    chinese = client.get("/public/situation?lang=zh").text
    assert "实时疫情" in chinese and "测试city" in chinese and "全国" in chinese
    home = client.get("/public?lang=en").text
    assert 'href="/public/clinics"' in home and "Reserve masks for your household" in home
    assert "为家庭预约口罩" in client.get("/public?lang=zh").text
