"""Base register import: residents and households from a population survey (CSV or xlsx)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault, fingerprint, mask_name
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import ImportRecord
from epicontrol.people import import_store
from epicontrol.people.import_households import assign_households
from epicontrol.people.import_read import RegisterTable, check_file_type, read_register
from epicontrol.people.import_validate import RowError, Validation, validate_register

__all__ = ["ImportReport", "RowError", "import_residents_bytes", "import_residents_file"]

IMPORT_KIND = "residents"
RESIDENT_SOURCE = "register"
REPORT_ENCODING = "utf-8-sig"  # the byte-order mark makes Excel read Chinese text correctly
_PROGRESS_EVERY = 10_000

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did, or would have done, with a register file."""

    file_name: str
    rows_total: int
    rows_imported: int
    rows_rejected: int
    errors: list[RowError]
    committed: bool  # rows were written in the caller's session; the caller commits
    report_path: Path | None  # <stem>.errors.csv, written whenever there are errors
    rejected_path: Path | None  # <stem>.rejected.csv, written with skip_invalid


def import_residents_file(
    session: Session,
    path: Path,
    *,
    vault: PersonalDataVault,
    imported_by: str,
    skip_invalid: bool = False,
    max_bytes: int | None = None,
    report_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a register file into the caller's transaction (the caller commits).

    Every row is checked before anything is written; a file with any error writes nothing
    unless `skip_invalid`. Error and rejected-row reports go to `report_dir`, by default the
    file's folder. `max_bytes` None means no size limit.
    """
    path = Path(path)
    check_file_type(path.name)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    # The size is checked before reading so that an oversized file is never loaded in memory.
    _check_size(size, max_bytes, path.name)
    return _import(
        session,
        path.read_bytes(),
        path.name,
        vault=vault,
        imported_by=imported_by,
        skip_invalid=skip_invalid,
        report_dir=report_dir if report_dir is not None else path.parent,
        progress=progress,
    )


def import_residents_bytes(
    session: Session,
    data: bytes,
    file_name: str,
    *,
    vault: PersonalDataVault,
    imported_by: str,
    skip_invalid: bool = False,
    max_bytes: int | None = None,
    report_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import an uploaded register; report files are written only when `report_dir` is given."""
    # An upload's name may carry the sender's folders (C:\\Users\\...); only its last part counts.
    file_name = PureWindowsPath(file_name).name
    check_file_type(file_name)
    _check_size(len(data), max_bytes, file_name)
    return _import(
        session,
        data,
        file_name,
        vault=vault,
        imported_by=imported_by,
        skip_invalid=skip_invalid,
        report_dir=report_dir,
        progress=progress,
    )


def _check_size(size: int, max_bytes: int | None, file_name: str) -> None:
    if max_bytes is not None and size > max_bytes:
        raise InvalidInput(
            f"{file_name} is {size:,} bytes, larger than the {max_bytes:,}-byte import limit"
        )


def _import(
    session: Session,
    data: bytes,
    file_name: str,
    *,
    vault: PersonalDataVault,
    imported_by: str,
    skip_invalid: bool,
    report_dir: Path | None,
    progress: Progress | None,
) -> ImportReport:
    file_sha256 = fingerprint(data)
    _refuse_repeat(session, file_sha256)
    table = read_register(data, file_name)
    rows_total = len(table.rows)
    if progress is not None:
        progress(0, rows_total)  # the total is known before the (longer) checks begin
    validation = validate_register(session, table, vault=vault)
    report = ImportReport(
        file_name=file_name,
        rows_total=rows_total,
        rows_imported=0,
        rows_rejected=len(validation.rejected),
        errors=validation.errors,
        committed=False,
        report_path=None,
        rejected_path=None,
    )
    if validation.errors and report_dir is not None:
        _write_reports(report, report_dir, table, validation, skip_invalid=skip_invalid)
    if (validation.errors and not skip_invalid) or not validation.valid:
        return report

    record = ImportRecord(
        kind=IMPORT_KIND,
        file_name=file_name[:300],
        file_sha256=file_sha256,
        row_count=len(validation.valid),  # the residents it created
        rejected_count=len(validation.rejected),
        imported_by=imported_by[:80],
        imported_at=utcnow(),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as error:
        if "file_sha256" not in str(error.orig):
            raise
        # The same file finished importing in another transaction since the check above.
        raise Conflict("this file was imported at the same time by someone else") from None
    _write(
        session, validation, vault=vault, import_id=record.id, total=rows_total, progress=progress
    )
    report.rows_imported = len(validation.valid)
    report.committed = True
    return report


def _refuse_repeat(session: Session, file_sha256: str) -> None:
    earlier = import_store.previous_import(session, file_sha256)
    if earlier is not None:
        raise Conflict(
            f"this file was already imported on {earlier.imported_at:%Y-%m-%d %H:%M} UTC "
            f"by {earlier.imported_by}"
        )


def _write(
    session: Session,
    validation: Validation,
    *,
    vault: PersonalDataVault,
    import_id: int,
    total: int,
    progress: Progress | None,
) -> None:
    with import_store.writer_for(session) as writer:
        household_ids = assign_households(session, writer, validation, vault)
        residents = list(zip(validation.valid, household_ids, strict=True))
        if writer.sort_by_hash:
            id_hashes = validation.values.id_hash
            residents.sort(key=lambda resident: id_hashes[resident[0]])
        rows = _resident_rows(validation, residents, vault, import_id)
        if progress is not None:
            rows = _reporting(rows, progress, len(validation.rejected), total)
        writer.insert_residents(rows, utcnow())
    if progress is not None:
        progress(total, total)


def _resident_rows(
    validation: Validation,
    residents: list[tuple[int, int | None]],
    vault: PersonalDataVault,
    import_id: int,
) -> Iterator[tuple[object, ...]]:
    """Rows in import_store.RESIDENT_COLUMNS order; clear identity fields never leave here."""
    values = validation.values
    numbers, names, phones = values.id_number, values.name, values.phone
    id_hashes, division_ids, occupations = values.id_hash, values.division_id, values.occupation
    encrypt = vault.encrypt
    lookup_hash = vault.lookup_hash
    for index, household_id in residents:  # (row index, household id)
        number, name, phone = numbers[index], names[index], phones[index]
        yield (
            division_ids[index],
            household_id,
            id_hashes[index],
            encrypt(number),
            encrypt(name),
            mask_name(name),
            lookup_hash("phone", phone) if phone else None,
            encrypt(phone) if phone else None,
            "M" if number[16] in "13579" else "F",  # odd sequence number: male (GB 11643 §5.3)
            int(number[6:10]),
            occupations[index],
            RESIDENT_SOURCE,
            import_id,
        )


def _reporting(
    rows: Iterator[tuple[object, ...]], progress: Progress, done: int, total: int
) -> Iterator[tuple[object, ...]]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % _PROGRESS_EVERY == 0:
            progress(done + count, total)


def _write_reports(
    report: ImportReport,
    report_dir: Path,
    table: RegisterTable,
    validation: Validation,
    *,
    skip_invalid: bool,
) -> None:
    stem = Path(report.file_name).stem
    try:
        report.report_path = _write_error_report(report_dir / f"{stem}.errors.csv", validation)
        if skip_invalid:
            report.rejected_path = _write_rejected_rows(
                report_dir / f"{stem}.rejected.csv", table, validation
            )
    except OSError as error:
        raise InvalidInput(
            f"cannot write the error report in {report_dir} ({error.strerror}); "
            "choose another report folder"
        ) from None


def _write_error_report(path: Path, validation: Validation) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=REPORT_ENCODING, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["row", "column", "message"])
        writer.writerows((error.row, error.column, error.message) for error in validation.errors)
    return path


def _write_rejected_rows(path: Path, table: RegisterTable, validation: Validation) -> Path:
    """The rejected rows with the file's own columns plus `error`, ready to fix and re-import."""
    width = len(table.header)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=REPORT_ENCODING, newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*table.header, "error"])
        for index in sorted(validation.rejected):
            cells = (table.rows[index] + [""] * width)[:width]
            problems = "; ".join(
                f"{error.column}: {error.message}" if error.column else error.message
                for error in validation.rejected[index]
            )
            writer.writerow([*cells, problems])
    return path
