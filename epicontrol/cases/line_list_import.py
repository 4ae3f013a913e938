"""Import of a case line list (病例一览表) from CSV or xlsx: every row checked first, then all
cases opened in the caller's transaction, or none if any row is bad.

Files are read by the resident-register readers (people/import_read.py), so encodings (UTF-8,
GB 18030), blank lines and spreadsheet cells are handled the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import rules, service
from epicontrol.cases.models import INITIAL_STATUSES, OPEN_STATUSES, Case, CaseStatus
from epicontrol.cases.schemas import CaseIn
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, parse_resident_id
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.divisions.models import Division
from epicontrol.people import import_read
from epicontrol.people.models import Resident

REQUIRED_COLUMNS = ("id_number", "status")
_ALIASES: dict[str, str] = {
    "id_number": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "status": "status",
    "状态": "status",
    "病例类型": "status",
    "onset_date": "onset_date",
    "发病日期": "onset_date",
    "sampling_date": "sampling_date",
    "采样日期": "sampling_date",
    "report_date": "report_date",
    "报告日期": "report_date",
    "isolated_at": "isolated_at",
    "隔离时间": "isolated_at",
    "case_number": "case_number",
    "病例编号": "case_number",
}
_STATUS_WORDS: dict[str, CaseStatus] = {
    **{s.value: s for s in CaseStatus},
    "疑似": CaseStatus.SUSPECTED,
    "疑似病例": CaseStatus.SUSPECTED,
    "确诊": CaseStatus.CONFIRMED,
    "确诊病例": CaseStatus.CONFIRMED,
    "无症状": CaseStatus.ASYMPTOMATIC,
    "无症状感染者": CaseStatus.ASYMPTOMATIC,
}
_CASE_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,24}$")


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem of one row (the row number a person sees in the file; the header is row 1)."""

    row: int
    column: str
    message: str


@dataclass
class LineListReport:
    """What an import did: cases opened (committed) or, if any row was bad, the errors."""

    file_name: str
    rows_total: int
    errors: list[RowError] = field(default_factory=list)
    changes: list[service.CaseChange] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        """Whether the cases were written (in the caller's transaction)."""
        return not self.errors


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    resident: Resident | None = None
    data: CaseIn | None = None


def _table(data: bytes, file_name: str) -> tuple[list[str], list[list[str]], list[int]]:
    # The register readers, without the register's own column check (import_read.read_register).
    suffix = import_read._suffix(file_name)
    if not data.strip():
        raise InvalidInput(f"{file_name} is empty")
    if suffix == ".csv":
        return import_read._read_csv(data, file_name)
    return import_read._read_xlsx(data, file_name)


def _columns(header: list[str], file_name: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, label in enumerate(header):
        key = _ALIASES.get(label.strip().lower().replace(" ", "_"))
        if key is not None and key not in columns:
            columns[key] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InvalidInput(
            f"{file_name} is missing required column(s): {', '.join(missing)} "
            f"(found: {', '.join(label for label in header if label) or 'none'})"
        )
    return columns


def _date(text: str) -> date | None:
    if not text:
        return None
    # xlsx cells come back as ISO datetimes; people type 2026/2/9 or 2026.2.9.
    parts = re.split(r"[-/.]", text.split("T")[0].split(" ")[0])
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _moment(text: str) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("/", "-"))
    # A time without a zone in a Chinese line list is China time.
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)


def _parse(row: _Row, errors: list[RowError]) -> tuple[str, CaseStatus, dict[str, object]] | None:
    """The row's ID number, status and other fields, or None with its errors added."""
    found: list[RowError] = []
    cells = row.cells
    number = ""
    try:
        number = parse_resident_id(cells.get("id_number", "")).number
    except InvalidInput as error:
        found.append(RowError(row.number, "id_number", error.message))
    status = _STATUS_WORDS.get(cells.get("status", "").strip().lower())
    if status not in INITIAL_STATUSES:
        allowed = ", ".join(sorted(INITIAL_STATUSES))
        found.append(RowError(row.number, "status", f"status must be one of {allowed}"))
    fields: dict[str, object] = {}
    for name, parse in (
        ("onset_date", _date),
        ("sampling_date", _date),
        ("report_date", _date),
        ("isolated_at", _moment),
    ):
        try:
            fields[name] = parse(cells.get(name, "").strip())
        except ValueError as error:
            found.append(RowError(row.number, name, f"not a valid {name}: {error}"))
    case_number = cells.get("case_number", "").strip()
    if case_number and not _CASE_NUMBER.match(case_number):
        found.append(RowError(row.number, "case_number", "letters, digits and '-', 24 at most"))
    fields["case_number"] = case_number or None
    errors.extend(found)
    if found or status is None:
        return None
    return number, status, fields


def _residents(
    db: Session, vault: PersonalDataVault, numbers: set[str]
) -> dict[str, tuple[Resident, str]]:
    by_hash = {vault.lookup_hash("id", n): n for n in numbers}
    found: dict[str, tuple[Resident, str]] = {}
    hashes = sorted(by_hash)
    for start in range(0, len(hashes), 500):
        query = (
            select(Resident, Division.path)
            .join(Division, Division.id == Resident.division_id)
            .where(Resident.id_number_hash.in_(hashes[start : start + 500]))
        )
        for resident, path in db.execute(query):
            found[by_hash[resident.id_number_hash]] = (resident, path)
    return found


def _taken(db: Session, residents: list[int], numbers: list[str]) -> tuple[set[int], set[str]]:
    """Residents among these with an open case, and case numbers among these already used."""
    open_ones: set[int] = set()
    used: set[str] = set()
    for start in range(0, max(len(residents), len(numbers)), 500):
        if chunk := residents[start : start + 500]:
            open_ones |= set(
                db.scalars(
                    select(Case.resident_id).where(
                        Case.resident_id.in_(chunk),
                        Case.status.in_([s.value for s in OPEN_STATUSES]),
                    )
                )
            )
        if chunk_numbers := numbers[start : start + 500]:
            used |= set(
                db.scalars(select(Case.case_number).where(Case.case_number.in_(chunk_numbers)))
            )
    return open_ones, used


def _check(
    db: Session, principal: Principal, vault: PersonalDataVault, rows: list[_Row], now: datetime
) -> list[RowError]:
    """Every row checked against the file, the store and the date rules; rows filled in."""
    errors: list[RowError] = []
    parsed = {row.number: _parse(row, errors) for row in rows}
    numbers = {p[0] for p in parsed.values() if p}
    residents = _residents(db, vault, numbers)
    seen_residents: dict[int, int] = {}
    seen_numbers: dict[str, int] = {}
    today = local_date(now)
    for row in rows:
        item = parsed[row.number]
        if item is None:
            continue
        number, status, fields = item
        if number not in residents:
            errors.append(RowError(row.number, "id_number", "no resident has this ID number"))
            continue
        resident, path = residents[number]
        if not principal.covers(path):
            errors.append(
                RowError(row.number, "id_number", "the resident lives outside your scope")
            )
            continue
        if resident.id in seen_residents:
            message = f"the same person as row {seen_residents[resident.id]}"
            errors.append(RowError(row.number, "id_number", message))
            continue
        seen_residents[resident.id] = row.number
        case_number = fields["case_number"]
        if isinstance(case_number, str):
            if case_number in seen_numbers:
                message = f"case number repeated from row {seen_numbers[case_number]}"
                errors.append(RowError(row.number, "case_number", message))
            seen_numbers.setdefault(case_number, row.number)
        try:
            data = CaseIn(resident_id=resident.id, status=status, **fields)  # type: ignore[arg-type]
            report = data.report_date or today
            service.check_dates(status, data.onset_date, data.sampling_date, report, today=today)
            if data.isolated_at is not None and data.isolated_at > now + service.MAX_CLOCK_SKEW:
                raise InvalidInput(f"isolated_at {data.isolated_at.isoformat()} is in the future")
        except (InvalidInput, ValueError) as error:
            message = error.message if isinstance(error, InvalidInput) else str(error)
            errors.append(RowError(row.number, "dates", message))
            continue
        row.resident, row.data = resident, data
    ready = [row for row in rows if row.data is not None and row.resident is not None]
    open_ones, used = _taken(db, [r.resident.id for r in ready if r.resident], sorted(seen_numbers))
    for row in ready:
        assert row.resident is not None and row.data is not None
        if row.resident.id in open_ones:
            errors.append(RowError(row.number, "id_number", "this person already has an open case"))
        if row.data.case_number in used:
            errors.append(RowError(row.number, "case_number", "this case number is already taken"))
    return sorted(errors, key=lambda e: (e.row, e.column))


def import_line_list(
    db: Session,
    *,
    principal: Principal,
    data: bytes,
    file_name: str,
    vault: PersonalDataVault,
    now: datetime,
) -> LineListReport:
    """Open a case for every row of a line list, or none if any row is bad (the report lists
    every error). The caller commits, and hands each change to tracing."""
    header, cells, row_numbers = _table(data, file_name)
    columns = _columns(header, file_name)
    if not cells:
        raise InvalidInput(f"{file_name} has a header but no case rows")
    if len(cells) > rules.MAX_IMPORT_ROWS:
        raise InvalidInput(f"{file_name} has {len(cells)} rows; at most {rules.MAX_IMPORT_ROWS}")
    rows = [
        _Row(number, {name: (r[i] if i < len(r) else "").strip() for name, i in columns.items()})
        for number, r in zip(row_numbers, cells, strict=True)
    ]
    report = LineListReport(file_name=file_name, rows_total=len(rows))
    report.errors = _check(db, principal, vault, rows, now)
    if report.errors:
        return report
    for row in rows:
        assert row.resident is not None and row.data is not None
        report.changes.append(
            service.open_case(
                db,
                actor=principal,
                resident=row.resident,
                data=row.data,
                now=now,
                purpose="line list import",
            )
        )
    audit.record(
        db,
        actor=principal,
        action="import",
        entity="case",
        purpose="line list import",
        detail={"file": file_name, "cases": len(report.changes)},
    )
    return report
