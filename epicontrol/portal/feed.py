"""Import of the provincial and national figures feed (CSV): every row checked, all or nothing.

A file with any bad row stores nothing; the report lists each problem with its row number
(the header is row 1, as a spreadsheet shows it). A row for a (level, region, day) already
stored replaces it, so importing the same file again changes nothing. The caller commits.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import IN_LIST_LIMIT
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import local_date
from epicontrol.portal.feed_models import FeedFigure, FeedLevel

COLUMNS = (
    "level",
    "region_code",
    "region_name",
    "day",
    "confirmed",
    "suspected",
    "asymptomatic",
    "cured",
    "deaths",
    "source",
)
COUNTS = ("confirmed", "suspected", "asymptomatic", "cured", "deaths")
MAX_IMPORT_BYTES = 5_000_000
MAX_ROWS = 50_000
MAX_COUNT = 2_000_000_000  # fits the Integer columns on every backend
# A province's GB/T 2260 code ends in 0000; the nation's is any short code ("CN", "000000").
PROVINCE_CODE = re.compile(r"^[1-9][0-9]0000$")
NATION_CODE = re.compile(r"^[A-Za-z0-9]{2,12}$")
MAX_NAME, MAX_SOURCE = 80, 200
# Three bound parameters per key: under SQLite's limit (core.db.IN_LIST_LIMIT).
KEYS_PER_QUERY = IN_LIST_LIMIT // 3


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row (`row` counts the header as 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass
class FeedReport:
    """What an import did; `committed` false means nothing was stored."""

    file_name: str
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        return not self.errors


def _table(data: bytes, file_name: str) -> tuple[list[str], list[list[str]]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{file_name} is larger than the limit of {MAX_IMPORT_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")  # spreadsheets save UTF-8 with a byte-order mark
    except UnicodeDecodeError:
        raise InvalidInput(f"{file_name} is not UTF-8 text") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise InvalidInput(f"{file_name} is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name[:40] for name in header if name not in COLUMNS][:10]
    if missing or unknown or len(set(header)) != len(header):
        raise InvalidInput(
            f"{file_name}: the header must name the columns {', '.join(COLUMNS)} once each"
            f" (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})"
        )
    if len(rows) == 1:
        raise InvalidInput(f"{file_name} has a header but no rows")
    if len(rows) - 1 > MAX_ROWS:
        raise InvalidInput(f"{file_name} has {len(rows) - 1} rows; at most {MAX_ROWS}")
    return header, rows[1:]


def _count(value: str, column: str, number: int, errors: list[RowError]) -> int:
    if not value.isdigit():
        errors.append(RowError(number, column, f"'{value}' is not a whole number >= 0"))
        return 0
    if int(value) > MAX_COUNT:
        errors.append(RowError(number, column, f"{value} is implausibly large"))
        return 0
    return int(value)


def _day(value: str, number: int, today: date, errors: list[RowError]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(number, "day", f"'{value}' is not a date (YYYY-MM-DD)"))
        return None
    if day > today:
        errors.append(RowError(number, "day", f"{value} is in the future"))
        return None
    return day


def _region(cells: dict[str, str], number: int, errors: list[RowError]) -> None:
    level, code, name = cells["level"], cells["region_code"], cells["region_name"]
    if level not in {item.value for item in FeedLevel}:
        errors.append(RowError(number, "level", f"'{level}' is not province or nation"))
    elif level == FeedLevel.PROVINCE and not PROVINCE_CODE.match(code):
        errors.append(RowError(number, "region_code", f"'{code}' is not a province code"))
    elif level == FeedLevel.NATION and not NATION_CODE.match(code):
        errors.append(RowError(number, "region_code", f"'{code}' is not a region code"))
    if not name or len(name) > MAX_NAME:
        errors.append(RowError(number, "region_name", f"must be 1 to {MAX_NAME} characters"))
    if not cells["source"] or len(cells["source"]) > MAX_SOURCE:
        errors.append(RowError(number, "source", f"must be 1 to {MAX_SOURCE} characters"))


def _check_row(
    cells: dict[str, str], number: int, today: date, errors: list[RowError]
) -> dict[str, Any]:
    """The row's values; problems are appended to `errors`."""
    _region(cells, number, errors)
    values: dict[str, Any] = {name: cells[name] for name in ("level", "region_code")}
    values |= {"region_name": cells["region_name"], "source": cells["source"]}
    values["day"] = _day(cells["day"], number, today, errors)
    for column in COUNTS:
        values[column] = _count(cells[column], column, number, errors)
    # Cured and dead are among the cumulative confirmed (NHC counts both of confirmed cases).
    if values["cured"] + values["deaths"] > values["confirmed"]:
        errors.append(RowError(number, "cured", "cured plus deaths exceed confirmed"))
    return values


def parse(data: bytes, *, file_name: str, today: date) -> tuple[list[dict[str, Any]], FeedReport]:
    """The file's rows as column values, and a report carrying every problem found."""
    header, cells = _table(data, file_name)
    report = FeedReport(file_name=file_name, rows_total=len(cells))
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, date], int] = {}
    for offset, raw in enumerate(cells):
        number = offset + 2
        if len(raw) != len(header):
            report.errors.append(
                RowError(number, "*", f"{len(raw)} cells where the header has {len(header)}")
            )
            continue
        values = _check_row(
            {name: cell.strip() for name, cell in zip(header, raw, strict=True)},
            number,
            today,
            report.errors,
        )
        key = (values["level"], values["region_code"], values["day"])
        if values["day"] is not None and key in seen:
            message = f"the same region and day as row {seen[key]}"
            report.errors.append(RowError(number, "day", message))
        seen.setdefault(key, number)
        rows.append(values)
    return rows, report


def _store(db: Session, rows: list[dict[str, Any]], report: FeedReport, by: str) -> None:
    """Insert new (level, region, day) rows and replace stored ones that differ."""
    keys = [(r["level"], r["region_code"], r["day"]) for r in rows]
    stored: dict[tuple[str, str, date], FeedFigure] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        query = select(FeedFigure).where(
            tuple_(FeedFigure.level, FeedFigure.region_code, FeedFigure.day).in_(chunk)
        )
        stored |= {(f.level, f.region_code, f.day): f for f in db.scalars(query)}
    for values, key in zip(rows, keys, strict=True):
        figure = stored.get(key)
        if figure is None:
            db.add(FeedFigure(**values, imported_by=by))
            report.inserted += 1
        elif any(getattr(figure, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(figure, name, value)
            figure.imported_by = by
            report.updated += 1
        else:
            report.unchanged += 1


def import_feed(
    db: Session, *, actor: Principal | str, data: bytes, file_name: str, now: datetime
) -> FeedReport:
    """Check every row of a feed file and store them all, or none if any row is bad.

    `actor` is the signed-in principal (API) or a name (the CLI's `--by`). Audited either way.
    """
    rows, report = parse(data, file_name=file_name, today=local_date(now))
    by = actor if isinstance(actor, str) else actor.username
    if report.committed:
        _store(db, rows, report, by)
        db.flush()
    audit.record(
        db,
        actor=actor,
        action="import",
        entity="portal_feed",
        purpose="public situation feed",
        outcome="allowed" if report.committed else "refused",
        detail={
            "file": file_name,
            "rows": report.rows_total,
            "inserted": report.inserted,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return report
