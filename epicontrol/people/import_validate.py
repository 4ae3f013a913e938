"""Row-level validation of a resident register, every row checked before anything is written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault, normalise_phone, parse_resident_id
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.models import DivisionLevel
from epicontrol.people import import_store
from epicontrol.people.import_read import RegisterTable

# GB 11643 as crypto.parse_resident_id applies it, restated over arrays: weight of position i
# is 2^(17-i) mod 11 and the weighted sum mod 11 indexes the check characters.
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
_ID_CHECK_CODES = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_EARLIEST_BIRTH_YEAR = 1880  # parse_resident_id refuses earlier years
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)  # what normalise_phone accepts, already clean

NAME_MAX_CHARS = 40  # residents.name_masked is VARCHAR(40) and keeps the name's length
OCCUPATION_MAX_CHARS = 60  # residents.occupation is VARCHAR(60)


@dataclass
class RowError:
    """One problem in one cell of a register file."""

    row: int  # row number as a person sees it in the file (header = row 1)
    column: str  # the column's header as written in the file
    message: str


@dataclass
class RegisterValues:
    """Normalised cell values, one entry per data row; meaningful for the valid rows."""

    id_number: list[str]
    id_hash: list[str]  # "" where the ID is not valid
    name: list[str]
    phone: list[str]  # "" when not given
    division_id: list[int]  # 0 where the grid is not valid
    division_code: list[str]
    household_ref: list[str]
    address: list[str]
    occupation: list[str]


@dataclass
class Validation:
    """The outcome of checking every row of a register."""

    values: RegisterValues
    valid: list[int]  # indexes of the rows that passed every check, in file order
    errors: list[RowError]
    rejected: dict[int, list[RowError]] = field(default_factory=dict)  # row index -> errors


Reject = Callable[[int, str, str], None]


def ids_are_valid(numbers: list[str], today: date) -> list[bool]:
    """For each normalised number, whether parse_resident_id would accept it (vectorised)."""
    candidates = [i for i, number in enumerate(numbers) if len(number) == 18 and number.isascii()]
    result = np.zeros(len(numbers), dtype=bool)
    if not candidates:
        return result.tolist()
    block = "".join(numbers[i] for i in candidates).encode("ascii")
    chars = np.frombuffer(block, dtype=np.uint8).reshape(-1, 18).astype(np.int32)
    digits = chars[:, :17] - ord("0")
    last = chars[:, 17]
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    ok &= ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X"))
    ok &= last == _ID_CHECK_CODES[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1], dtype=np.int32)
    month = digits[:, 10:12] @ np.array([10, 1], dtype=np.int32)
    day = digits[:, 12:14] @ np.array([10, 1], dtype=np.int32)
    is_leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (is_leap & (month == 2))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    birth = year * 10000 + month * 100 + day
    ok &= (year >= _EARLIEST_BIRTH_YEAR) & (
        birth <= today.year * 10000 + today.month * 100 + today.day
    )
    result[candidates] = ok
    return result.tolist()


def _normalise_id(raw: str) -> str:
    if raw.isascii():
        return raw.strip().upper()
    # Chinese input methods often type full-width digits (１２３); NFKC makes them ASCII.
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _id_error(number: str) -> str:
    if not number:
        return "resident ID is required"
    if not number.isascii():
        return "resident ID must be 17 digits followed by a digit or X"
    try:
        parse_resident_id(number)
    except InvalidInput as error:
        return error.message
    return "resident ID is not valid"  # not reached: ids_are_valid mirrors parse_resident_id


# Checks run a column at a time over the whole file (a million rows in a few seconds); only the
# cells that fail go through the slower single-value parsers, which write the error messages.
def validate_register(
    session: Session, table: RegisterTable, *, vault: PersonalDataVault
) -> Validation:
    """Check every row; the valid rows come back normalised with their ID hashes."""
    labels = {
        name: table.label(name)
        for name in ("id_number", "name", "phone", "division_code", "occupation")
    }
    errors_by_row: dict[int, list[RowError]] = {}

    def reject(index: int, column: str, message: str) -> None:
        error = RowError(table.row_numbers[index], labels.get(column, column), message)
        errors_by_row.setdefault(index, []).append(error)

    rows = _rectangular(table, reject)

    def column(name: str) -> list[str]:
        at = table.columns.get(name)
        return [row[at].strip() for row in rows] if at is not None else [""] * len(rows)

    numbers = [_normalise_id(row[table.columns["id_number"]]) for row in rows]
    id_ok = _check_ids(numbers, table.row_numbers, reject)
    names = _check_names(column("name"), reject)
    phones = _check_phones(column("phone"), reject)
    codes = column("division_code")
    division_ids = _check_divisions(session, codes, reject)
    occupations = column("occupation")
    for index, occupation in enumerate(occupations):
        if len(occupation) > OCCUPATION_MAX_CHARS:
            reject(
                index, "occupation", f"occupation is longer than {OCCUPATION_MAX_CHARS} characters"
            )

    lookup_hash = vault.lookup_hash
    id_hashes = [
        lookup_hash("id", number) if ok else "" for number, ok in zip(numbers, id_ok, strict=True)
    ]
    _check_registered(session, id_hashes, reject)

    values = RegisterValues(
        id_number=numbers,
        id_hash=id_hashes,
        name=names,
        phone=phones,
        division_id=division_ids,
        division_code=codes,
        household_ref=column("household_ref"),
        address=column("address"),
        occupation=occupations,
    )
    valid = [index for index in range(len(rows)) if index not in errors_by_row]
    errors = [error for index in sorted(errors_by_row) for error in errors_by_row[index]]
    return Validation(values=values, valid=valid, errors=errors, rejected=errors_by_row)


def _rectangular(table: RegisterTable, reject: Reject) -> list[list[str]]:
    """The rows padded or cut to the header's width; extra non-empty cells are an error."""
    width = len(table.header)
    rows = table.rows
    if all(len(row) == width for row in rows):
        return rows
    fixed = list(rows)
    for index, row in enumerate(rows):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            reject(index, "", f"row has {len(row)} fields but the header has {width}")
        if len(row) != width:
            fixed[index] = (row + [""] * width)[:width]
    return fixed


def _check_ids(numbers: list[str], row_numbers: list[int], reject: Reject) -> list[bool]:
    id_ok = ids_are_valid(numbers, date.today())
    for index, ok in enumerate(id_ok):
        if not ok:
            reject(index, "id_number", _id_error(numbers[index]))
    valid_numbers = [number for number, ok in zip(numbers, id_ok, strict=True) if ok]
    if len(set(valid_numbers)) == len(valid_numbers):
        return id_ok
    first_row: dict[str, int] = {}
    for index, (number, ok) in enumerate(zip(numbers, id_ok, strict=True)):
        if not ok:
            continue
        first = first_row.setdefault(number, index)
        if first != index:
            # Both rows are refused: the file cannot say which of them is the right person.
            reject(index, "id_number", f"resident ID already appears on row {row_numbers[first]}")
            reject(first, "id_number", f"resident ID appears again on row {row_numbers[index]}")
    return id_ok


def _check_names(names: list[str], reject: Reject) -> list[str]:
    for index, name in enumerate(names):
        if not name:
            reject(index, "name", "name is required")
        elif len(name) > NAME_MAX_CHARS:
            reject(index, "name", f"name is longer than {NAME_MAX_CHARS} characters")
    return names


def _check_phones(phones: list[str], reject: Reject) -> list[str]:
    mobile = _MOBILE.fullmatch
    for index, phone in enumerate(phones):
        if not phone or mobile(phone):
            continue
        # Spaces, dashes, +86 or full-width digits: normalise_phone cleans them or says why not.
        try:
            phones[index] = normalise_phone(unicodedata.normalize("NFKC", phone))
        except InvalidInput as error:
            reject(index, "phone", error.message)
    return phones


def _check_divisions(session: Session, codes: list[str], reject: Reject) -> list[int]:
    divisions = import_store.divisions_by_code(session, set(codes))
    grid = DivisionLevel.GRID.value
    problems: dict[str, str] = {"": "grid code is required"}
    grid_ids: dict[str, int] = {}
    for code in set(codes) - {""}:
        found = divisions.get(code)
        if found is None:
            problems[code] = f"unknown division code {code}"
        elif found[1] != grid:
            problems[code] = f"division {code} is a {found[1]}, not a grid"
        else:
            grid_ids[code] = found[0]
    for index, code in enumerate(codes):
        if code in problems:
            reject(index, "division_code", problems[code])
    return [grid_ids.get(code, 0) for code in codes]


def _check_registered(session: Session, id_hashes: list[str], reject: Reject) -> None:
    registered = import_store.existing_values(
        session, import_store.RESIDENTS.c.id_number_hash, [h for h in id_hashes if h]
    )
    if registered:
        for index, id_hash in enumerate(id_hashes):
            if id_hash in registered:
                reject(index, "id_number", "resident ID is already registered")
