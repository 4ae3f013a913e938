"""Reading a resident register file (CSV or xlsx) into rows of text, with its columns identified."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from epicontrol.core.errors import InvalidInput

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
# What openpyxl raises on a damaged or foreign file (SyntaxError covers XML parse errors).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, SyntaxError)
REQUIRED_COLUMNS = ("id_number", "name", "division_code")
OPTIONAL_COLUMNS = ("phone", "household_ref", "address", "occupation")

# Headers are matched after lower-casing and trimming; surveys exported from Chinese office
# software use the Chinese names, so both are accepted.
_COLUMN_ALIASES: dict[str, str] = {
    "id_number": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "name": "name",
    "姓名": "name",
    "phone": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "division_code": "division_code",
    "网格编码": "division_code",
    "household_ref": "household_ref",
    "户号": "household_ref",
    "address": "address",
    "住址": "address",
    "occupation": "occupation",
    "职业": "occupation",
}


@dataclass
class RegisterTable:
    """The rows of a register file as text, and where each known column sits."""

    header: list[str]
    columns: dict[str, int]  # canonical column name -> position in the header
    rows: list[list[str]]  # data rows; may be shorter or longer than the header
    row_numbers: list[int]  # the row number a person sees for each data row (header = 1)

    def label(self, column: str) -> str:
        """The column's header as written in the file (what a person looks for)."""
        return self.header[self.columns[column]] if column in self.columns else column


def read_register(data: bytes, file_name: str) -> RegisterTable:
    """Parse a register file's bytes; InvalidInput for a file that cannot be a register."""
    suffix = _suffix(file_name)
    if not data.strip():
        raise InvalidInput(f"{file_name} is empty")
    if suffix == ".csv":
        header, rows, row_numbers = _read_csv(data, file_name)
    else:
        header, rows, row_numbers = _read_xlsx(data, file_name)
    columns = _map_columns(header, file_name)
    if not rows:
        raise InvalidInput(f"{file_name} has a header but no resident rows")
    return RegisterTable(header=header, columns=columns, rows=rows, row_numbers=row_numbers)


def check_file_type(file_name: str) -> None:
    """Refuse a file that is neither CSV nor xlsx, before anything is read."""
    _suffix(file_name)


def _suffix(file_name: str) -> str:
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise InvalidInput(
            f"{file_name}: unsupported file type {suffix or '(none)'}; "
            "a register must be a .csv or .xlsx file"
        )
    return suffix


def _decode(data: bytes, file_name: str) -> str:
    # Chinese Excel saves "CSV" in the system code page (GBK, a subset of GB 18030), so a file
    # that is not UTF-8 is tried as GB 18030 before giving up.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # binary content (a renamed spreadsheet, say) that happened to decode
        return text
    raise InvalidInput(f"{file_name} is not a CSV text file in UTF-8 or GB 18030 encoding")


def _read_csv(data: bytes, file_name: str) -> tuple[list[str], list[list[str]], list[int]]:
    text = _decode(data, file_name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as error:
        raise InvalidInput(f"{file_name} is not a readable CSV file: {error}") from None
    # A record (not a physical line) is one spreadsheet row, which is what people look at.
    header_at = next((i for i, record in enumerate(records) if any(record)), None)
    if header_at is None:
        raise InvalidInput(f"{file_name} is empty")
    header = [cell.strip() for cell in records[header_at]]
    body = records[header_at + 1 :]
    first_number = header_at + 2
    if all(map(any, body)):
        return header, body, list(range(first_number, first_number + len(body)))
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    for number, record in enumerate(body, start=first_number):
        if any(record):  # blank lines and ",,," lines left by spreadsheets are not rows
            rows.append(record)
            row_numbers.append(number)
    return header, rows, row_numbers


def _read_xlsx(data: bytes, file_name: str) -> tuple[list[str], list[list[str]], list[int]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _sheet_rows(workbook.worksheets[0], file_name)
        finally:
            workbook.close()
    except _XLSX_ERRORS as error:
        raise InvalidInput(f"{file_name} is not a readable .xlsx workbook ({error})") from None


def _sheet_rows(sheet: Any, file_name: str) -> tuple[list[str], list[list[str]], list[int]]:
    header: list[str] | None = None
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    # read_only sheets yield every row from the first, empty ones as all-None tuples.
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(value) for value in values]
        if not any(cells):
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
        else:
            rows.append(cells)
            row_numbers.append(number)
    if header is None:
        raise InvalidInput(f"{file_name} is empty")
    return header, rows, row_numbers


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell comes back as 13800138000.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _map_columns(header: list[str], file_name: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, label in enumerate(header):
        key = _COLUMN_ALIASES.get(label.lower().replace(" ", "_"))
        if key is None:
            continue  # other columns are kept (and written back to a rejected file) unread
        if key in columns:
            raise InvalidInput(
                f"{file_name}: columns {header[columns[key]]!r} and {label!r} both give {key}"
            )
        columns[key] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InvalidInput(
            f"{file_name} is missing required column(s): {', '.join(missing)} "
            f"(found: {', '.join(label for label in header if label) or 'none'})"
        )
    return columns
