"""Incoming records: the CSV upload of an epidemiologist and `enqueue` for other domains.

A file is checked whole before anything is stored: one bad row refuses the file with the
row numbers and reasons, so a corrected file can simply be sent again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage import rules
from epicontrol.cases.linkage.models import LinkageRecord, RecordStatus
from epicontrol.cases.linkage.schemas import LinkageRecordIn
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.divisions.models import Division

# CSV header: English names, or the Chinese ones the clinics' exports use.
COLUMNS = {
    "ref": "source_ref",
    "编号": "source_ref",
    "name": "name",
    "姓名": "name",
    "id_number": "id_number",
    "身份证号": "id_number",
    "phone": "phone",
    "电话": "phone",
    "sex": "sex",
    "性别": "sex",
    "birth_date": "birth_date",
    "出生日期": "birth_date",
}
MAX_ERRORS_SHOWN = 20


def birth_date_in_id(id_number: str | None) -> date | None:
    """The birth date encoded in an (18-digit) ID number, if that part is a possible date."""
    if id_number is None or len(id_number) != 18:
        return None
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return born if date(1880, 1, 1) <= born <= date.today() else None


def sex_in_id(id_number: str | None) -> str | None:
    """The sex encoded in an 18-digit ID number: odd 17th digit for men (GB 11643)."""
    if id_number is None or len(id_number) != 18:
        return None
    return "M" if int(id_number[16]) % 2 == 1 else "F"


def parse_csv(data: bytes) -> list[LinkageRecordIn]:
    """Validated rows of an uploaded CSV (UTF-8, header row), or InvalidInput naming bad rows."""
    if len(data) > rules.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"file is larger than {rules.MAX_UPLOAD_BYTES:,} bytes; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file must be UTF-8 text (CSV)") from None
    # newline="" as the csv module asks: a lone carriage return inside a field is then data.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read(reader)
    except csv.Error as error:  # what the csv module cannot read at all (a line it chokes on)
        raise InvalidInput(f"file is not a readable CSV: {error}") from None


def _read(reader: csv.DictReader[str]) -> list[LinkageRecordIn]:
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or "source_ref" not in {COLUMNS[name] for name in header if name in COLUMNS}:
        raise InvalidInput(
            f"header must name a reference column (ref/编号) and only known columns "
            f"({', '.join(sorted(COLUMNS))}); unknown: {', '.join(unknown) or 'none'}"
        )
    rows: list[LinkageRecordIn] = []
    errors: list[str] = []
    for number, raw in enumerate(reader, start=2):
        if len(rows) + len(errors) >= rules.MAX_UPLOAD_ROWS:
            raise InvalidInput(f"file has more than {rules.MAX_UPLOAD_ROWS:,} rows; split it")
        if None in raw:
            errors.append(f"row {number}: more cells than header columns")
            continue
        fields = {COLUMNS[key.strip()]: value for key, value in raw.items() if key is not None}
        try:
            rows.append(LinkageRecordIn.model_validate(fields))
        except ValidationError as invalid:
            reasons = "; ".join(_reason(error) for error in invalid.errors())
            errors.append(f"row {number}: {reasons}")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        raise InvalidInput(f"{len(errors)} bad rows, nothing stored: {' | '.join(shown)}{more}")
    if not rows:
        raise InvalidInput("file has a header but no rows")
    return rows


def _reason(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def enqueue(
    db: Session,
    *,
    source: str,
    source_id: int | None,
    records: Sequence[LinkageRecordIn | Mapping[str, object]],
    division_id: int,
    vault: PersonalDataVault,
    actor: Principal | None = None,
) -> list[LinkageRecord]:
    """Store records to be linked at the next linkage run (the caller commits).

    For other domains: e.g. a fever-clinic registration whose patient matched no resident
    sends its fields here with source "clinic_registration" and its own id as source_id;
    `division_id` is the division whose epidemiologists will review it. A repeated
    (source, source_ref) is refused with Conflict and nothing is stored.
    """
    if source not in rules.SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(rules.SOURCES)}")
    if db.get(Division, division_id) is None:
        raise InvalidInput(f"division {division_id} does not exist")
    try:
        parsed = [LinkageRecordIn.model_validate(record) for record in records]
    except ValidationError as invalid:
        raise InvalidInput("; ".join(_reason(e) for e in invalid.errors())) from None
    refs = [record.source_ref for record in parsed]
    if len(set(refs)) != len(refs):
        raise Conflict("the same reference appears twice in one submission")
    _refuse_repeats(db, source, refs)
    stored = [_store(db, record, source, source_id, division_id, vault, actor) for record in parsed]
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="create",
        entity="linkage_record",
        entity_id=stored[0].id if len(stored) == 1 else None,
        purpose="record linkage intake",
        detail={"source": source, "source_id": source_id, "count": len(stored)},
    )
    return stored


def _refuse_repeats(db: Session, source: str, refs: list[str]) -> None:
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found = db.scalars(
            select(LinkageRecord.source_ref).where(
                LinkageRecord.source == source, LinkageRecord.source_ref.in_(chunk)
            )
        ).first()
        if found is not None:
            raise Conflict(f"record '{found}' from {source} was already submitted")


def _store(
    db: Session,
    record: LinkageRecordIn,
    source: str,
    source_id: int | None,
    division_id: int,
    vault: PersonalDataVault,
    actor: Principal | None,
) -> LinkageRecord:
    born = record.birth_date or birth_date_in_id(record.id_number)
    row = LinkageRecord(
        source=source,
        source_id=source_id,
        source_ref=record.source_ref,
        division_id=division_id,
        name_enc=vault.encrypt(record.name) if record.name else None,
        name_masked=mask_name(record.name) if record.name else "",
        id_number_hash=vault.lookup_hash("id", record.id_number) if record.id_number else None,
        id_number_enc=vault.encrypt(record.id_number) if record.id_number else None,
        phone_hash=vault.lookup_hash("phone", record.phone) if record.phone else None,
        phone_enc=vault.encrypt(record.phone) if record.phone else None,
        birth_date_enc=vault.encrypt(born.strftime("%Y%m%d")) if born else None,
        birth_year=born.year if born else None,
        sex=record.sex or sex_in_id(record.id_number),
        status=RecordStatus.PENDING.value,
        created_by=actor.user_id if actor else None,
    )
    db.add(row)
    return row


def upload(
    db: Session,
    *,
    principal: Principal,
    source: str,
    data: bytes,
    vault: PersonalDataVault,
) -> list[LinkageRecord]:
    """Store the rows of an uploaded CSV in the uploader's division; all rows or none."""
    rows = parse_csv(data)
    return enqueue(
        db,
        source=source,
        source_id=None,
        records=rows,
        division_id=principal.division_id,
        vault=vault,
        actor=principal,
    )
