"""Demo figures for the feed: a plausible, fictional month of a few provinces and the nation.

`seed_demo` stores them in the demo store; `sample_csv` writes the same kind of file as
`epicontrol/portal/data/feed_sample.csv` (made with `python -m epicontrol.portal.feed_demo`).
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date, timedelta

from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.portal import feed

SOURCE = "示例数据 sample data (not real figures)"
NATION = ("CN", "全国")
# The demo city's province (demo/geography.py, names.py) first, then a few real codes.
PROVINCES = (
    ("390000", "江南省", 40),
    ("420000", "湖北省", 120),
    ("440000", "广东省", 30),
    ("330000", "浙江省", 25),
    ("110000", "北京市", 10),
)
DAYS = 30


def _series(rng: random.Random, days: int, peak: int) -> list[dict[str, int]]:
    """Cumulative figures of one region over `days` days: an epidemic wave that peaks and falls."""
    rows: list[dict[str, int]] = []
    confirmed = cured = deaths = 0
    for offset in range(days):
        wave = max(0.0, 1.0 - abs(offset - days * 0.4) / (days * 0.45))
        new = int(rng.gauss(peak * wave, 1 + peak * wave * 0.15))
        confirmed += max(new, 0)
        cured = min(confirmed - deaths, cured + int(confirmed * 0.04 * offset / days))
        deaths = min(confirmed - cured, deaths + (1 if rng.random() < wave * 0.2 else 0))
        suspected = max(0, int(peak * wave * 0.6 + rng.gauss(0, 2)))
        asymptomatic = max(0, int(peak * wave * 0.3 + rng.gauss(0, 2)))
        rows.append(
            {
                "confirmed": confirmed,
                "suspected": suspected,
                "asymptomatic": asymptomatic,
                "cured": cured,
                "deaths": deaths,
            }
        )
    return rows


def demo_rows(*, end: date, days: int = DAYS, seed: int = 2020) -> list[dict[str, object]]:
    """Feed rows (feed.COLUMNS) for the `days` days up to `end`; the same seed, the same rows."""
    rng = random.Random(seed)
    start = end - timedelta(days=days - 1)
    rows: list[dict[str, object]] = []
    regional = [
        (feed_level, code, name, _series(rng, days, peak))
        for feed_level, (code, name, peak) in (("province", p) for p in PROVINCES)
    ]
    nation = [{k: sum(r[3][i][k] * 9 for r in regional) for k in feed.COUNTS} for i in range(days)]
    regional.append(("nation", *NATION, nation))
    for level, code, name, series in regional:
        for offset, counts in enumerate(series):
            day = (start + timedelta(days=offset)).isoformat()
            base = {"level": level, "region_code": code, "region_name": name, "day": day}
            rows.append({**base, **counts, "source": SOURCE})
    return rows


def sample_csv(*, end: date, days: int = DAYS, seed: int = 2020) -> bytes:
    """demo_rows as a feed CSV file."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=feed.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(demo_rows(end=end, days=days, seed=seed))
    return out.getvalue().encode()


def seed_demo(db: Session, *, today: date | None = None, seed: int = 2020) -> None:
    """Store a month of demo feed figures ending `today` (China date); the caller commits."""
    now = utcnow()
    data = sample_csv(end=today or local_date(now), seed=seed)
    report = feed.import_feed(db, actor="demo", data=data, file_name="demo-feed.csv", now=now)
    assert report.committed, report.errors[:3]


if __name__ == "__main__":
    sys.stdout.buffer.write(sample_csv(end=date(2026, 11, 30)))
