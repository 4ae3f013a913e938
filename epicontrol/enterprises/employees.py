"""A company's employee list: CSV upload (ID numbers hashed like the residents'), and its check
against the resident register and each resident's current risk status (健康码)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from fastapi import UploadFile
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import (
    PersonalDataVault,
    mask_name,
    normalise_phone,
    parse_resident_id,
)
from epicontrol.core.db import in_chunks, utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.enterprises.models import EnterpriseEmployee
from epicontrol.enterprises.schemas import EmployeeCheck, FlaggedEmployee, ResidenceCount
from epicontrol.health_code import service as health_code
from epicontrol.people.models import Resident

MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 20
# Header names accepted for each column, English or Chinese.
COLUMNS = {
    "name": ("name", "姓名"),
    "id_number": ("id_number", "id number", "身份证号", "身份证号码"),
    "phone": ("phone", "手机号", "电话"),
}


@dataclass(frozen=True, slots=True)
class EmployeeRow:
    """One valid line of the list, still in clear (never stored so)."""

    name: str
    id_number: str
    phone: str | None


class EmployeeListInvalid(InvalidInput):
    """The list has bad rows; nothing of it is stored. `problems` are (row, message)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"row {row}: {text}" for row, text in problems[:MAX_ERRORS_SHOWN])
        more = len(problems) - MAX_ERRORS_SHOWN
        super().__init__(
            f"employee list refused, nothing stored: {shown}"
            + (f"; and {more} more problems" if more > 0 else "")
        )


def _header(fields: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(fields):
        name = raw.strip().lower()
        for column, names in COLUMNS.items():
            if name in names:
                found[column] = index
    missing = [c for c in ("name", "id_number") if c not in found]
    if missing:
        raise EmployeeListInvalid(
            [(1, f"the header must name the columns name, id_number, phone; missing {missing}")]
        )
    return found


def read_upload(file: UploadFile) -> bytes:
    """An uploaded list's bytes (a sync read of the spooled file), refused above 5 MB."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"employee list larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    return data


def parse_csv(data: bytes) -> list[EmployeeRow]:
    """The rows of an employee CSV (header row 1); EmployeeListInvalid lists every bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = (1, "the file is not UTF-8 text (save the CSV as UTF-8)")
        raise EmployeeListInvalid([problem]) from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise EmployeeListInvalid([(1, "the file is empty")])
    columns = _header(lines[0])
    rows: list[EmployeeRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, fields in enumerate(lines[1:], start=2):
        if not any(field.strip() for field in fields):
            continue
        try:
            row = _row(fields, columns)
        except InvalidInput as bad:
            problems.append((number, bad.message))
            continue
        if row.id_number in seen:
            problems.append((number, f"the same ID number as row {seen[row.id_number]}"))
            continue
        seen[row.id_number] = number
        rows.append(row)
    if not rows and not problems:
        problems.append((2, "no employees listed under the header"))
    if len(rows) > MAX_ROWS:
        problems.append((MAX_ROWS + 2, f"at most {MAX_ROWS} employees per list"))
    if problems:
        raise EmployeeListInvalid(problems)
    return rows


def _row(fields: list[str], columns: dict[str, int]) -> EmployeeRow:
    def cell(column: str) -> str:
        index = columns.get(column)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    name = cell("name")
    if not name or len(name) > 40:
        raise InvalidInput("a name of 1 to 40 characters is needed")
    number = parse_resident_id(cell("id_number")).number
    phone = normalise_phone(cell("phone")) if cell("phone") else None
    return EmployeeRow(name=name, id_number=number, phone=phone)


def replace_list(
    db: Session, *, enterprise_id: int, rows: list[EmployeeRow], vault: PersonalDataVault
) -> int:
    """Store `rows` as the company's employee list (the previous list goes); returns how many
    matched a resident. Only the keyed hash of each ID number is kept, as for residents."""
    hashes = {vault.lookup_hash("id", row.id_number): row for row in rows}
    matched: dict[str, int] = {}
    for chunk in in_chunks(list(hashes)):
        query = select(Resident.id_number_hash, Resident.id).where(
            Resident.id_number_hash.in_(chunk)
        )
        matched.update({hashed: resident for hashed, resident in db.execute(query)})
    now = utcnow()
    db.execute(delete(EnterpriseEmployee).where(EnterpriseEmployee.enterprise_id == enterprise_id))
    values = [
        {
            "enterprise_id": enterprise_id,
            "id_number_hash": hashed,
            "name_enc": vault.encrypt(row.name),
            "name_masked": mask_name(row.name),
            "phone_enc": vault.encrypt(row.phone) if row.phone else None,
            "resident_id": matched.get(hashed),
            "uploaded_at": now,
        }
        for hashed, row in hashes.items()
    ]
    for start in range(0, len(values), 1000):
        db.execute(insert(EnterpriseEmployee), values[start : start + 1000])
    return len(matched)


def _colours(db: Session, enterprise_id: int) -> list[tuple[str, str]]:
    """(masked name, colour) of each employee; "unknown" for those not in the register."""
    rows = db.execute(
        select(EnterpriseEmployee.name_masked, EnterpriseEmployee.resident_id)
        .where(EnterpriseEmployee.enterprise_id == enterprise_id)
        .order_by(EnterpriseEmployee.id)
    ).all()
    colours = health_code.colours(db, [r for _, r in rows if r is not None])
    return [(name, colours[r] if r is not None else "unknown") for name, r in rows]


def check(db: Session, *, enterprise_id: int) -> EmployeeCheck:
    """Counts by current colour and where the employees live (aggregates, no names)."""
    counts = Counter(colour for _, colour in _colours(db, enterprise_id))
    uploaded_at = db.scalar(
        select(func.max(EnterpriseEmployee.uploaded_at)).where(
            EnterpriseEmployee.enterprise_id == enterprise_id
        )
    )
    return EmployeeCheck(
        employees=sum(counts.values()),
        green=counts["green"],
        yellow=counts["yellow"],
        red=counts["red"],
        unknown=counts["unknown"],
        residence=_residence(db, enterprise_id),
        uploaded_at=uploaded_at,
    )


def flagged(db: Session, *, enterprise_id: int) -> list[FlaggedEmployee]:
    """Employees who are not green (red first), by masked name; the caller audits the read."""
    order = {"red": 0, "yellow": 1, "unknown": 2}
    found = [
        FlaggedEmployee(name_masked=name, colour=colour)
        for name, colour in _colours(db, enterprise_id)
        if colour != "green"
    ]
    return sorted(found, key=lambda e: order.get(e.colour, 3))


def _residence(db: Session, enterprise_id: int) -> list[ResidenceCount]:
    """Employees by the street (街道/镇) they live in; those not in the register apart."""
    rows = db.execute(
        select(Division.path, func.count())
        .select_from(EnterpriseEmployee)
        .outerjoin(Resident, Resident.id == EnterpriseEmployee.resident_id)
        .outerjoin(Division, Division.id == Resident.division_id)
        .where(EnterpriseEmployee.enterprise_id == enterprise_id)
        .group_by(Division.path)
    ).all()
    ancestor_ids = {int(part) for path, _ in rows if path for part in path.strip("/").split("/")}
    ancestors = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ancestor_ids)))}
    by_street: Counter[int | None] = Counter()
    for path, count in rows:
        by_street[_street_of(path, ancestors)] += count
    result = [
        ResidenceCount(division_id=key, name=ancestors[key].name, employees=n)
        for key, n in by_street.items()
        if key is not None
    ]
    result.sort(key=lambda r: (-r.employees, r.name))
    if by_street[None]:
        result.append(
            ResidenceCount(
                division_id=None, name="未登记 not registered", employees=by_street[None]
            )
        )
    return result


def _street_of(path: str | None, ancestors: dict[int, Division]) -> int | None:
    if not path:
        return None
    ids = [int(part) for part in path.strip("/").split("/")]
    for division_id in ids:
        found = ancestors.get(division_id)
        if found is not None and found.level == DivisionLevel.STREET.value:
            return division_id
    return ids[-1]
