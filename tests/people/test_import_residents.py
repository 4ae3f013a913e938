"""Base register import of residents from CSV and xlsx files (epicontrol import residents FILE)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import id_check_char, vault_for
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import ImportRecord
from epicontrol.divisions.models import Division
from epicontrol.people import import_store
from epicontrol.people.importer import (
    ImportReport,
    RowError,
    import_residents_bytes,
    import_residents_file,
)
from epicontrol.people.models import Household, Resident

VAULT = vault_for("people-import-test-secret")
HEADER = ["id_number", "name", "phone", "division_code", "household_ref", "address", "occupation"]
CHINESE_HEADER = ["身份证号", "姓名", "手机号", "网格编码", "户号", "住址", "职业"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴刚"]


def resident_id(seq: int) -> str:
    """A valid resident ID, different for each `seq`."""
    birth = date(1950, 1, 1) + timedelta(days=seq * 7)
    first17 = f"110101{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def register_rows(count: int, start: int = 0) -> list[list[str]]:
    """Rows of a valid register: three people per household, households alternating grids."""
    return [
        [
            resident_id(seq),
            NAMES[seq % len(NAMES)],
            f"138{seq:08d}",
            "G01" if (seq // 3) % 2 == 0 else "G02",
            f"H{seq // 3}",
            f"幸福路{seq // 3}号",
            "教师",
        ]
        for seq in range(start, start + count)
    ]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, **kw: str) -> Path:
    with path.open("w", encoding=kw.get("encoding", "utf-8"), newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_file(db: Session, path: Path, **options: object) -> ImportReport:
    return import_residents_file(
        db,
        path,
        vault=VAULT,
        imported_by="registrar",
        **options,  # type: ignore[arg-type]
    )


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture(autouse=True)
def grids(db: Session) -> None:
    """Province > city > district > street > community C01 > grids G01 and G02."""
    levels = ["province", "city", "district", "street", "community"]
    path = "/"
    for number, level in enumerate(levels, start=1):
        path += f"{number}/"
        code = "C01" if level == "community" else f"{level[0].upper()}{number:02d}"
        db.add(
            Division(
                id=number,
                code=code,
                name=level,
                level=level,
                parent_id=number - 1 or None,
                path=path,
            )
        )
        db.flush()
    for number, code in ((6, "G01"), (7, "G02")):
        db.add(
            Division(
                id=number, code=code, name=code, level="grid", parent_id=5, path=f"{path}{number}/"
            )
        )
    db.commit()


def test_valid_csv_imports_every_resident_with_households(db: Session, tmp_path: Path) -> None:
    rows = register_rows(30)
    seen: list[tuple[int, int]] = []
    report = import_file(
        db, write_csv(tmp_path / "survey.csv", rows), progress=lambda d, t: seen.append((d, t))
    )
    db.commit()

    assert (report.rows_total, report.rows_imported, report.rows_rejected) == (30, 30, 0)
    assert report.committed and report.errors == [] and report.report_path is None
    assert seen[0] == (0, 30) and seen[-1] == (30, 30)
    assert count(db, Resident) == 30
    assert count(db, Household) == 10
    record = db.scalars(select(ImportRecord)).one()
    assert (record.kind, record.row_count, record.imported_by) == ("residents", 30, "registrar")

    first = db.scalars(
        select(Resident).where(Resident.id_number_hash == VAULT.lookup_hash("id", rows[0][0]))
    ).one()
    assert VAULT.decrypt(first.id_number_enc) == rows[0][0]
    assert VAULT.decrypt(first.name_enc) == "张伟" and first.name_masked == "张*"
    assert first.phone_hash == VAULT.lookup_hash("phone", rows[0][2])
    assert (first.sex, first.birth_year, first.occupation) == ("F", 1950, "教师")
    assert (first.source, first.import_id) == ("register", record.id)
    household = db.get(Household, first.household_id)
    assert household is not None and household.address_enc is not None
    assert VAULT.decrypt(household.address_enc) == "幸福路0号"
    assert household.address_hash == VAULT.lookup_hash("household_ref", "G01:H0")
    housemates = db.scalars(select(Resident).where(Resident.household_id == household.id)).all()
    assert len(housemates) == 3


def test_xlsx_with_chinese_headers_and_numeric_cells_imports(db: Session, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(CHINESE_HEADER)
    for row in register_rows(12):
        sheet.append([row[0], row[1], int(row[2]), *row[3:]])  # phone typed as a number
    workbook.save(tmp_path / "普查.xlsx")

    report = import_file(db, tmp_path / "普查.xlsx")
    db.commit()

    assert (report.rows_imported, report.errors) == (12, [])
    phones = set(db.scalars(select(Resident.phone_hash)))
    assert VAULT.lookup_hash("phone", "13800000011") in phones


def test_bad_check_digit_commits_nothing_and_reports_the_row(db: Session, tmp_path: Path) -> None:
    rows = register_rows(6)
    rows[3][0] = rows[3][0][:17] + ("0" if rows[3][0][17] != "0" else "1")
    report = import_file(db, write_csv(tmp_path / "survey.csv", rows))

    assert not report.committed and report.rows_imported == 0 and report.rows_rejected == 1
    assert len(report.errors) == 1
    error = report.errors[0]
    assert (error.row, error.column) == (5, "id_number")
    assert "check digit is wrong" in error.message
    assert report.report_path == tmp_path / "survey.errors.csv"
    with report.report_path.open(encoding="utf-8-sig") as file:
        assert list(csv.reader(file)) == [
            ["row", "column", "message"],
            ["5", "id_number", error.message],
        ]
    assert report.rejected_path is None
    db.commit()
    assert (count(db, Resident), count(db, Household), count(db, ImportRecord)) == (
        0,
        0,
        0,
    )


def test_skip_invalid_imports_the_rest_and_writes_the_rejected_rows(
    db: Session, tmp_path: Path
) -> None:
    rows = register_rows(6)
    rows[1][1] = ""  # no name
    rows[4][2] = "12345"  # not a mobile number
    report = import_file(
        db,
        write_csv(tmp_path / "survey.csv", rows),
        skip_invalid=True,
        report_dir=tmp_path / "out",
    )
    db.commit()

    assert report.committed and (report.rows_imported, report.rows_rejected) == (4, 2)
    assert [(e.row, e.column) for e in report.errors] == [(3, "name"), (6, "phone")]
    assert count(db, Resident) == 4
    assert db.scalars(select(ImportRecord.rejected_count)).one() == 2
    assert report.rejected_path == tmp_path / "out" / "survey.rejected.csv"
    with report.rejected_path.open(encoding="utf-8-sig") as file:
        rejected = list(csv.reader(file))
    assert rejected[0] == [*HEADER, "error"]
    assert rejected[1] == [*rows[1], "name: name is required"]
    assert rejected[2][:-1] == rows[4] and rejected[2][-1].startswith("phone: phone must be")
    assert (tmp_path / "out" / "survey.errors.csv").exists()


def test_unknown_and_non_grid_divisions_are_row_errors(db: Session, tmp_path: Path) -> None:
    rows = register_rows(3)
    rows[0][3] = "NOPE"
    rows[2][3] = "C01"
    report = import_file(db, write_csv(tmp_path / "survey.csv", rows))

    assert report.errors == [
        RowError(2, "division_code", "unknown division code NOPE"),
        RowError(4, "division_code", "division C01 is a community, not a grid"),
    ]


def test_duplicate_id_in_the_file_reports_both_rows(db: Session, tmp_path: Path) -> None:
    rows = register_rows(5)
    rows[4][0] = rows[1][0].lower()  # a lower-case x is the same number
    report = import_file(db, write_csv(tmp_path / "survey.csv", rows))

    assert not report.committed
    assert [(e.row, e.column) for e in report.errors] == [(3, "id_number"), (6, "id_number")]
    assert report.errors[0].message == "resident ID appears again on row 6"
    assert report.errors[1].message == "resident ID already appears on row 3"


def test_id_already_in_the_store_is_rejected(db: Session, tmp_path: Path) -> None:
    import_file(db, write_csv(tmp_path / "first.csv", register_rows(4)))
    db.commit()
    second = register_rows(3, start=10) + [register_rows(4)[2]]
    report = import_file(db, write_csv(tmp_path / "second.csv", second))

    assert report.errors == [RowError(5, "id_number", "resident ID is already registered")]
    assert count(db, Resident) == 4


def test_same_file_twice_is_a_conflict_and_changes_nothing(db: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", register_rows(6))
    import_file(db, path)
    db.commit()
    before = (count(db, Resident), count(db, Household), count(db, ImportRecord))

    with pytest.raises(Conflict, match=r"already imported on \d{4}-\d\d-\d\d .* by registrar"):
        import_file(db, path, skip_invalid=True)
    db.rollback()
    assert (
        count(db, Resident),
        count(db, Household),
        count(db, ImportRecord),
    ) == before


def test_household_ref_of_an_earlier_import_is_reused(db: Session, tmp_path: Path) -> None:
    import_file(db, write_csv(tmp_path / "first.csv", register_rows(3)))
    db.commit()
    newcomer = register_rows(1, start=50)[0]
    newcomer[3:5] = ["G01", "H0"]
    import_file(db, write_csv(tmp_path / "second.csv", [newcomer]))
    db.commit()

    assert count(db, Household) == 1
    assert len(set(db.scalars(select(Resident.household_id)))) == 1


def test_oversized_file_is_refused_before_it_is_read(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "survey.csv", register_rows(20))

    def refuse_read(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", refuse_read)
    with pytest.raises(InvalidInput, match="larger than the 100-byte import limit"):
        import_file(db, path, max_bytes=100)
    assert count(db, Resident) == 0


def test_gb18030_csv_from_chinese_excel_imports(db: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", register_rows(5), CHINESE_HEADER, encoding="gb18030")
    report = import_file(db, path)

    assert report.rows_imported == 5
    names = {VAULT.decrypt(blob) for blob in db.scalars(select(Resident.name_enc))}
    assert names == set(NAMES[:5])


def test_missing_required_column_is_named(db: Session, tmp_path: Path) -> None:
    rows = [row[:3] + row[4:] for row in register_rows(3)]
    header = HEADER[:3] + HEADER[4:]
    with pytest.raises(InvalidInput, match="missing required column.*division_code"):
        import_file(db, write_csv(tmp_path / "survey.csv", rows, header))


@pytest.mark.parametrize(
    ("file_name", "data", "message"),
    [
        ("survey.txt", b"id_number,name\n", "unsupported file type .txt"),
        ("survey.csv", b"", "is empty"),
        ("survey.csv", b"id_number,name,division_code\n", "no resident rows"),
        ("survey.csv", b"PK\x03\x04\x00\x00\xff\xfe binary", "not a CSV text file"),
        ("survey.xlsx", b"id_number,name,division_code\n1,2,3\n", "not a readable .xlsx"),
    ],
)
def test_file_that_cannot_be_a_register_is_refused(
    db: Session, file_name: str, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        import_residents_bytes(db, data, file_name, vault=VAULT, imported_by="registrar")
    assert count(db, Resident) == 0


def test_upload_follows_the_same_rules(db: Session, tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(register_rows(4))
    data = buffer.getvalue().encode()

    report = import_residents_bytes(
        db, data, r"C:\Users\clerk\survey.csv", vault=VAULT, imported_by="registrar"
    )
    assert (report.file_name, report.rows_imported, report.report_path) == ("survey.csv", 4, None)
    with pytest.raises(Conflict):
        import_residents_bytes(db, data, "again.csv", vault=VAULT, imported_by="registrar")


def test_no_column_of_any_table_holds_clear_identity_data(db: Session, tmp_path: Path) -> None:
    rows = register_rows(9)
    import_file(db, write_csv(tmp_path / "survey.csv", rows))
    db.commit()

    secrets = {value for row in rows for value in (row[0], row[1], row[2], row[5])}
    engine = db.get_bind()
    metadata_tables = inspect(engine).get_table_names()
    scanned = 0
    for table_name in metadata_tables:
        table = Table(table_name, MetaData(), autoload_with=engine)
        for record in db.execute(select(table)):
            for value in record:
                scanned += 1
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("utf-8", errors="ignore")
                else:
                    text = str(value)
                leaked = [secret for secret in secrets if secret in text]
                assert not leaked, f"{table_name} holds {leaked}"
    assert scanned > 9 * 10


def test_phone_with_country_code_and_full_width_id_are_normalised(
    db: Session, tmp_path: Path
) -> None:
    rows = register_rows(2)
    rows[0][2] = "+86 138-0013-8000"
    typed_id = rows[1][0]
    rows[1][0] = " " + typed_id.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " "
    report = import_file(db, write_csv(tmp_path / "survey.csv", rows))

    assert (report.rows_imported, report.errors) == (2, [])
    assert VAULT.lookup_hash("id", typed_id) in set(db.scalars(select(Resident.id_number_hash)))
    assert VAULT.lookup_hash("phone", "13800138000") in set(db.scalars(select(Resident.phone_hash)))


def test_row_with_more_cells_than_the_header_is_an_error(db: Session, tmp_path: Path) -> None:
    rows = register_rows(2)
    rows[1].append("stray")
    report = import_file(db, write_csv(tmp_path / "survey.csv", rows))

    assert report.errors == [RowError(3, "", "row has 8 fields but the header has 7")]


def test_resident_registered_while_the_file_was_checked_is_a_conflict(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(db, write_csv(tmp_path / "first.csv", register_rows(2)))
    db.commit()
    # As if the other registration had happened between the checks and the writes.
    monkeypatch.setattr(import_store, "existing_values", lambda *args, **kwargs: set())
    rows = register_rows(3, start=20) + register_rows(1)

    with pytest.raises(Conflict, match="store changed while this file was being imported"):
        import_file(db, write_csv(tmp_path / "second.csv", rows))
    db.rollback()
    assert (count(db, Resident), count(db, ImportRecord)) == (2, 1)


def test_households_are_per_grid_and_an_address_alone_makes_one(
    db: Session, tmp_path: Path
) -> None:
    rows = register_rows(4, start=30)
    rows[0][3:6] = ["G01", "H1", ""]
    rows[1][3:6] = ["G02", "H1", "解放路1号"]  # the same 户号 in another grid
    rows[2][3:6] = ["G01", "", "解放路2号"]  # an address without a 户号
    rows[3][3:6] = ["G01", "", ""]  # neither
    import_file(db, write_csv(tmp_path / "survey.csv", rows))

    by_id = {
        VAULT.decrypt(resident.id_number_enc): resident for resident in db.scalars(select(Resident))
    }
    households = [by_id[row[0]].household_id for row in rows]
    assert households[3] is None
    assert len({households[0], households[1], households[2]}) == 3
    addresses: dict[int | None, str | None] = {
        household.id: VAULT.decrypt(household.address_enc) if household.address_enc else None
        for household in db.scalars(select(Household))
    }
    assert [addresses[h] for h in households[:3]] == [None, "解放路1号", "解放路2号"]
