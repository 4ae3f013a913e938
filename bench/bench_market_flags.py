"""Benchmark of the mask market flags on the inspectors' board, cached and not.

    .venv/bin/python bench/bench_market_flags.py --backend sqlite --reports 20000

A fresh store: a city of --districts districts (a street and a community each), --sellers
sellers spread over the communities and --reports reports over the last 14 days (9 in 10 price
reports, 1 in 10 complaints from 200 residents; one seller in 50 sells at three times the usual
price), and a ceiling per product. Timed, each in its own session as a request would have it,
--repeats times (the median and the range are printed):
- baseline: `flags.compute`, the uncached computation every board view made before the cache;
- fingerprint: `flag_cache.fingerprint`, what every view now reads first;
- first view: `board.flags_out` with an empty cache (fingerprint, computation, scope, names);
- repeat view: the same again, for the city's inspector and for a district's, reusing the city's
  flags (`flags.computations` is checked: a repeat view must not compute);
- view after a new report: one more report committed, then a view (it must compute);
- whole board: `board.board` (flags, sellers, the 60-day price chart, ceilings, cases), first and
  repeat, to show what of a board view the cache leaves.
Printed with the machine, the load average before and after, and the exact command.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.ingest_data import drop_pg_database, new_pg_database  # noqa: E402
from epicontrol.core.db import build_engine, session_factory  # noqa: E402
from epicontrol.core.deps import load_principal  # noqa: E402
from epicontrol.core.migrate import upgrade  # noqa: E402
from epicontrol.core.models import User  # noqa: E402
from epicontrol.core.policy import Role  # noqa: E402
from epicontrol.divisions.models import Division, DivisionLevel  # noqa: E402
from epicontrol.market import board, flag_cache, flags  # noqa: E402
from epicontrol.market.models import MarketReport, MarketSeller, ReferencePrice  # noqa: E402
from epicontrol.market.rules import FlagRules  # noqa: E402

TODAY = date(2020, 2, 10)
RULES = FlagRules(
    price_factor=1.5,
    price_window_days=14,
    min_reports_for_median=5,
    complaint_threshold=3,
    complaint_window_days=7,
)
USUAL_UNIT_FEN = {"n95": 1200, "kn95": 600, "surgical": 150, "disposable": 80}
RESIDENTS = 200


def _division(db: Session, parent: Division | None, level: DivisionLevel, code: str) -> Division:
    row = Division(code=code, name=code, level=level.value, parent_id=parent and parent.id)
    row.path = "/"
    db.add(row)
    db.flush()
    row.path = f"{parent.path if parent else '/'}{row.id}/"
    return row


def _city(db: Session, districts: int) -> tuple[Division, list[Division], list[int]]:
    """(the city, its districts, one community per district)."""
    province = _division(db, None, DivisionLevel.PROVINCE, "P")
    city = _division(db, province, DivisionLevel.CITY, "C")
    tops, communities = [], []
    for n in range(districts):
        district = _division(db, city, DivisionLevel.DISTRICT, f"D{n}")
        street = _division(db, district, DivisionLevel.STREET, f"S{n}")
        communities.append(_division(db, street, DivisionLevel.COMMUNITY, f"M{n}").id)
        tops.append(district)
    return city, tops, communities


def _user(db: Session, name: str, role: Role, division_id: int) -> int:
    user = User(username=name, password_hash="x", role=role.value, division_id=division_id)
    db.add(user)
    db.flush()
    return user.id


def build(url: str, *, sellers: int, reports: int, districts: int) -> tuple[int, int]:
    """Fill a migrated store; returns the user ids of the city's and a district's inspector."""
    rng = random.Random(7)
    engine = build_engine(url)
    with session_factory(engine)() as db:
        city, tops, communities = _city(db, districts)
        inspector = _user(db, "inspector", Role.MARKET_INSPECTOR, city.id)
        district_inspector = _user(db, "inspector_d0", Role.MARKET_INSPECTOR, tops[0].id)
        residents = [_user(db, f"r{n}", Role.RESIDENT, communities[0]) for n in range(RESIDENTS)]
        db.execute(
            insert(MarketSeller),
            [
                {"name": f"药房{n}", "kind": "pharmacy", "division_id": communities[n % districts]}
                for n in range(sellers)
            ],
        )
        seller_ids = [r for (r,) in db.execute(text("SELECT id FROM market_sellers ORDER BY id"))]
        rows = [_report(rng, seller_ids, residents) for _ in range(reports)]
        for start in range(0, len(rows), 5000):
            db.execute(insert(MarketReport), rows[start : start + 5000])
        for product, usual in USUAL_UNIT_FEN.items():
            db.add(
                ReferencePrice(
                    product=product,
                    division_id=city.id,
                    max_unit_fen=usual * 4,
                    valid_from=TODAY - timedelta(days=30),
                    set_by=inspector,
                )
            )
        db.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return inspector, district_inspector


def _report(rng: random.Random, seller_ids: list[int], residents: list[int]) -> dict[str, Any]:
    seller = rng.choice(seller_ids)
    observed = TODAY - timedelta(days=rng.randrange(14))
    if rng.random() < 0.1:
        return {
            "seller_id": seller,
            "kind": "complaint",
            "complaint_kind": rng.choice(["counterfeit", "substandard", "hoarding"]),
            "observed_on": observed,
            "reporter_user_id": rng.choice(residents),
            "text": "",
        }
    product = rng.choice(list(USUAL_UNIT_FEN))
    gouging = 3.0 if seller % 50 == 0 else 1.0
    unit = USUAL_UNIT_FEN[product] * gouging * rng.uniform(0.8, 1.25)
    pack = rng.choice([1, 5, 10, 50])
    return {
        "seller_id": seller,
        "kind": "price",
        "product": product,
        "pack_size": pack,
        "price_fen": max(1, round(unit * pack)),
        "observed_on": observed,
        "reporter_user_id": rng.choice(residents),
        "text": "",
    }


def _timed(action: Callable[[], Any], repeats: int) -> list[float]:
    spent = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        spent.append(time.perf_counter() - began)
    return spent


def _row(name: str, spent: list[float], note: str = "") -> None:
    median = statistics.median(spent) * 1000
    print(
        f"{name:<34} median {median:9.2f} ms  min {min(spent) * 1000:9.2f}  "
        f"max {max(spent) * 1000:9.2f}  (n={len(spent)}) {note}"
    )


def measure(url: str, inspectors: tuple[int, int], repeats: int) -> None:
    """Time each step and print it (module docstring)."""
    engine = build_engine(url)
    sessions = session_factory(engine)

    def in_session(work: Callable[[Session], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with sessions() as db:
                return work(db)

        return run

    with sessions() as db:
        city, district = (load_principal(db, user_id) for user_id in inspectors)
    assert city is not None and district is not None

    def view(who: Any) -> Callable[[Session], Any]:
        return lambda db: board.flags_out(db, principal=who, rules=RULES, today=TODAY)

    def first(work: Callable[[Session], Any]) -> Callable[[], Any]:
        def run() -> Any:
            flag_cache.clear()
            return in_session(work)()

        return run

    in_session(lambda db: flags.compute(db, rules=RULES, today=TODAY))()  # imports DuckDB
    baseline = _timed(in_session(lambda db: flags.compute(db, rules=RULES, today=TODAY)), repeats)
    _row("baseline: uncached computation", baseline)
    _row("fingerprint", _timed(in_session(flag_cache.fingerprint), repeats * 10))
    _row("first view (empty cache)", _timed(first(view(city)), repeats))
    in_session(view(city))()
    before = flags.computations
    repeat = _timed(in_session(view(city)), repeats * 10)
    _row("repeat view, city inspector", repeat)
    _row("repeat view, district inspector", _timed(in_session(view(district)), repeats * 10))
    assert flags.computations == before, "a repeat view computed the flags"
    with sessions() as db:
        shown = len(view(city)(db)), len(view(district)(db))
    print(f"flags shown: city {shown[0]}, district {shown[1]}")

    def new_report_then_view(db: Session) -> Any:
        db.execute(
            insert(MarketReport),
            [
                {
                    "seller_id": 1,
                    "kind": "complaint",
                    "complaint_kind": "substandard",
                    "observed_on": TODAY,
                    "text": "",
                }
            ],
        )
        db.commit()
        return view(city)(db)

    computed = flags.computations
    _row("view after a new report", _timed(in_session(new_report_then_view), repeats))
    assert flags.computations == computed + repeats, "a new report did not recompute"

    def whole_board(db: Session) -> Any:
        return board.board(db, principal=city, rules=RULES, today=TODAY)

    _row("whole board, first view", _timed(first(whole_board), repeats))
    in_session(whole_board)()
    _row("whole board, repeat view", _timed(in_session(whole_board), repeats * 2))
    engine.dispose()
    speed_up = statistics.median(baseline) / statistics.median(repeat)
    print(f"a repeat view against the uncached computation: {speed_up:.0f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--sellers", type=int, default=1_000)
    parser.add_argument("--districts", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {python}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("command: .venv/bin/python bench/bench_market_flags.py " + " ".join(sys.argv[1:]))
    with tempfile.TemporaryDirectory() as folder:
        url = (
            f"sqlite:///{folder}/market.db"
            if args.backend == "sqlite"
            else new_pg_database("bench_market")
        )
        try:
            upgrade(url)
            began = time.perf_counter()
            inspectors = build(
                url, sellers=args.sellers, reports=args.reports, districts=args.districts
            )
            print(
                f"store: {args.backend}, {args.reports} reports of {args.sellers} sellers in "
                f"{args.districts} districts, built in {time.perf_counter() - began:.1f} s"
            )
            measure(url, inspectors, args.repeats)
        finally:
            if args.backend == "postgresql":
                drop_pg_database(url)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
