"""Benchmark of the resident register import (CSV and xlsx) on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py --backend both --rows 1000000 --xlsx-rows 100000

Generates a valid register (GB 11643 check digits, grids created in a fresh database), times
`import_residents_file` plus the commit, and in the same run two baselines: reading the CSV with
the csv module only (the floor for any Python import) and a naive ORM import (session.add per
resident, same hashing and encryption) timed on a sample and extrapolated.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import sqlite3
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from epicontrol.core.crypto import id_check_char, mask_name, vault_for
from epicontrol.core.db import build_engine, session_factory
from epicontrol.core.migrate import upgrade
from epicontrol.divisions.models import Division
from epicontrol.people.importer import import_residents_file
from epicontrol.people.models import Resident

HEADER = ["id_number", "name", "phone", "division_code", "household_ref", "address", "occupation"]
GRIDS = 400
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"]
OCCUPATIONS = ["教师", "医生", "工人", "农民", "学生", "个体经营", "公务员", "退休", ""]
REGIONS = ["420102", "420103", "420104", "420105", "420106", "420111", "420112", "420113"]
VAULT = vault_for("bench-import-secret")
BENCH_DATABASE = "epicontrol_bench_import"


def register_rows(count: int, seed: int = 0) -> Iterator[list[str]]:
    """Valid, distinct register rows; about three people per household, households per grid."""
    first_birth = date(1940, 1, 1)
    for number in range(count):
        key = number + seed * count
        # (birth date, sequence) is unique per key below 1,034,000 keys per region.
        birth = first_birth + timedelta(days=(key // 1000) * 29 % 30000)
        first17 = f"{REGIONS[key % len(REGIONS)]}{birth:%Y%m%d}{key % 1000:03d}"
        household = number // 3
        grid = household % GRIDS
        yield [
            first17 + id_check_char(first17),
            SURNAMES[key % len(SURNAMES)] + GIVEN[key % len(GIVEN)],
            f"1{3 + key % 7}{key % 1_000_000_000:09d}",
            f"G{grid:04d}",
            f"H{household}",
            f"幸福路{household % 500}号{household % 30}栋{household % 6 + 1}0{household % 4 + 1}",
            OCCUPATIONS[key % len(OCCUPATIONS)],
        ]


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(register_rows(rows, seed))


def write_xlsx(path: Path, rows: int, seed: int) -> None:
    """An xlsx as Excel writes it: text in a shared-string table, a <dimension> element.

    openpyxl would write every string inline instead, which is not what a city's file holds.
    """
    strings: dict[str, int] = {}
    sheet_rows: list[str] = []
    for number, row in enumerate([HEADER, *register_rows(rows, seed)], start=1):
        cells = "".join(
            f'<c r="{column}{number}" t="s"><v>{strings.setdefault(escape(value), len(strings))}'
            "</v></c>"
            for column, value in zip("ABCDEFG", row, strict=True)
        )
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{office}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}/relationships"><Relationship Id="rId1" '
            f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relationships}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><dimension ref="A1:G{rows + 1}"/><sheetData>'
            + "".join(sheet_rows)
            + "</sheetData></worksheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{text}</t></si>" for text in strings)
            + "</sst>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)


def _postgres_admin(postgres_url: str) -> psycopg.Connection[Any]:
    admin = make_url(postgres_url).set(drivername="postgresql")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def drop_postgres_database(postgres_url: str) -> None:
    """Drop the benchmark database (a million residents take about 1 GB of the server)."""
    with _postgres_admin(postgres_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


def fresh_database(backend: str, workdir: Path, postgres_url: str) -> str:
    """URL of a new, migrated store holding a division tree with GRIDS grids."""
    if backend == "sqlite":
        db_file = workdir / "bench_import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db_file}"
    else:
        drop_postgres_database(postgres_url)
        with _postgres_admin(postgres_url) as conn:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        bench_url = make_url(postgres_url).set(database=BENCH_DATABASE)
        url = bench_url.render_as_string(hide_password=False)
    upgrade(url)
    engine = build_engine(url)
    with session_factory(engine)() as session:
        path = "/"
        for number, level in enumerate(["province", "city", "district", "street", "community"], 1):
            path += f"{number}/"
            session.add(
                Division(
                    id=number,
                    code=f"D{number}",
                    name=level,
                    level=level,
                    path=path,
                    parent_id=number - 1 or None,
                )
            )
            session.flush()
        session.add_all(
            Division(
                id=10 + grid,
                code=f"G{grid:04d}",
                name=f"网格{grid}",
                level="grid",
                parent_id=5,
                path=f"{path}{10 + grid}/",
            )
            for grid in range(GRIDS)
        )
        session.commit()
    engine.dispose()
    return url


@dataclass
class Timing:
    """Seconds an import took, wall and this process's CPU, and when its phases ended."""

    wall: float
    cpu: float  # this process only: PostgreSQL's own work runs in the server
    read: float  # file read and parsed (the importer's first progress call)
    checked: float  # checks done, households written, first 10,000 residents sent
    stored: int


def time_import(url: str, path: Path) -> Timing:
    """Import `path` into the store at `url` and commit, timing it."""
    engine = build_engine(url)
    marks: dict[str, float] = {}
    with session_factory(engine)() as session:
        start, cpu_start = time.perf_counter(), time.process_time()

        def progress(done: int, total: int) -> None:
            marks.setdefault("read" if done == 0 else "checked", time.perf_counter() - start)

        report = import_residents_file(
            session, path, vault=VAULT, imported_by="bench", progress=progress
        )
        session.commit()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        assert report.committed and not report.errors, report.errors[:5]
        stored = session.scalar(select(func.count()).select_from(Resident)) or 0
    engine.dispose()
    return Timing(wall, cpu, marks.get("read", wall), marks.get("checked", wall), stored)


def time_csv_read_only(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as file:
        rows = sum(1 for _ in csv.reader(file))
    assert rows > 1
    return time.perf_counter() - start


def time_naive_orm(url: str, rows: int) -> float:
    """Seconds for `rows` residents added one ORM object at a time (no validation)."""
    engine = build_engine(url)
    with session_factory(engine)() as session:
        grids = {code: id_ for code, id_ in session.execute(select(Division.code, Division.id))}
        start = time.perf_counter()
        for row in register_rows(rows, seed=7):
            session.add(_naive_resident(row, grids[row[3]]))
        session.commit()
        elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def _naive_resident(row: list[str], division_id: int) -> Resident:
    number, name, phone = row[0], row[1], row[2]
    return Resident(
        division_id=division_id,
        id_number_hash=VAULT.lookup_hash("id", number),
        id_number_enc=VAULT.encrypt(number),
        name_enc=VAULT.encrypt(name),
        name_masked=mask_name(name),
        phone_hash=VAULT.lookup_hash("phone", phone),
        phone_enc=VAULT.encrypt(phone),
        sex="M" if int(number[16]) % 2 else "F",
        birth_year=int(number[6:10]),
        occupation=row[6],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="0 skips the xlsx run")
    parser.add_argument("--naive-rows", type=int, default=20_000, help="0 skips that baseline")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench_import"))
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "EPICONTROL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    args.workdir.mkdir(parents=True, exist_ok=True)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    csv_path = args.workdir / f"register_{args.rows}.csv"
    start = time.perf_counter()
    write_csv(csv_path, args.rows)
    print(
        f"generated {args.rows:,} rows, {csv_path.stat().st_size / 2**20:.0f} MiB in "
        f"{time.perf_counter() - start:.1f} s"
    )
    read_only = time_csv_read_only(csv_path)
    print(
        f"baseline   csv module reading only  {read_only:6.1f} s "
        f"{args.rows / read_only:>9,.0f} rows/s"
    )

    for backend in backends:
        url = fresh_database(backend, args.workdir, args.postgres_url)
        timing = time_import(url, csv_path)
        assert timing.stored == args.rows, (timing.stored, args.rows)
        print(
            f"{backend:<10} import CSV  {args.rows:>9,} rows  {timing.wall:6.1f} s "
            f"{args.rows / timing.wall:>9,.0f} rows/s  cpu {timing.cpu:5.1f} s  "
            f"(read {timing.read:.1f} s, checked+households {timing.checked:.1f} s)  "
            f"load {os.getloadavg()[0]:.1f}"
        )
        if args.naive_rows:
            url = fresh_database(backend, args.workdir, args.postgres_url)
            naive = time_naive_orm(url, args.naive_rows)
            print(
                f"{backend:<10} baseline naive ORM {args.naive_rows:,} rows  {naive:6.1f} s "
                f"{args.naive_rows / naive:>9,.0f} rows/s  (scaled to {args.rows:,} rows: "
                f"~{args.rows * naive / args.naive_rows:.0f} s, no validation)"
            )
        if args.xlsx_rows:
            xlsx_path = args.workdir / f"register_{args.xlsx_rows}.xlsx"
            if not xlsx_path.exists():
                write_xlsx(xlsx_path, args.xlsx_rows, seed=3)
            url = fresh_database(backend, args.workdir, args.postgres_url)
            timing = time_import(url, xlsx_path)
            assert timing.stored == args.xlsx_rows
            print(
                f"{backend:<10} import xlsx {args.xlsx_rows:>9,} rows  {timing.wall:6.1f} s "
                f"{args.xlsx_rows / timing.wall:>9,.0f} rows/s  cpu {timing.cpu:5.1f} s  "
                f"(read {timing.read:.1f} s)  load {os.getloadavg()[0]:.1f}"
            )
    if "postgresql" in backends:
        drop_postgres_database(args.postgres_url)
    (args.workdir / "bench_import.db").unlink(missing_ok=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory of this process: {peak:.1f} GiB")


if __name__ == "__main__":
    main()
