"""Reading and checking register files without a database: row numbers, columns, resident IDs."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from epicontrol.core.crypto import id_check_char, parse_resident_id
from epicontrol.core.errors import InvalidInput
from epicontrol.people.import_read import read_register
from epicontrol.people.import_validate import ids_are_valid


def _parses(number: str) -> bool:
    try:
        parse_resident_id(number)
    except InvalidInput:
        return False
    return True


def _with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_vectorised_id_check_agrees_with_parse_resident_id() -> None:
    today = date.today()
    rng = random.Random(11643)
    edge_dates = [
        "18791231",
        "18800101",
        "19000229",
        "20000229",
        "20230229",
        "20240229",
        "19991131",
        "19991301",
        "19990001",
        "19990100",
        f"{today:%Y%m%d}",
        f"{today + timedelta(days=1):%Y%m%d}",
        "00000000",
        "99991231",
    ]
    numbers: list[str] = []
    for edge in edge_dates:
        numbers.append(_with_check(f"420102{edge}123"))
    for _ in range(4000):
        birth = date(1880, 1, 1) + timedelta(days=rng.randrange((today - date(1880, 1, 1)).days))
        number = _with_check(
            f"{rng.randrange(110000, 660000)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        )
        mutation = rng.randrange(6)
        if mutation == 1:  # one mistyped character
            at = rng.randrange(18)
            number = number[:at] + rng.choice("0123456789X -a") + number[at + 1 :]
        elif mutation == 2:  # a character dropped or doubled
            at = rng.randrange(18)
            number = (
                number[:at] + number[at + 1 :] if rng.random() < 0.5 else number[:at] + number[at:]
            )
        elif mutation == 3:  # adjacent digits swapped, the classic typing slip
            at = rng.randrange(16)
            number = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
        numbers.append(number)
    numbers += ["", "X" * 18, "4201021990030712" + "3é"]

    assert ids_are_valid(numbers, today) == [_parses(number) for number in numbers]
    assert sum(ids_are_valid(numbers, today)) > 1000  # the sample holds plenty of valid numbers


def test_csv_row_numbers_are_what_a_spreadsheet_shows() -> None:
    data = (
        "\ufeffID_Number, 姓名 ,网格编码,notes\n"
        "110101199003071234,张三,G01,\n"
        "\n"
        ",,,\n"
        '110101199003071235,"李\n四",G01,"multi, field"\n'
        "110101199003071236,王五,G01\n"
    ).encode()
    table = read_register(data, "survey.csv")

    assert table.columns == {"id_number": 0, "name": 1, "division_code": 2}
    assert table.label("name") == "姓名"
    assert table.row_numbers == [2, 5, 6]
    assert table.rows[1][1] == "李\n四" and table.rows[2] == ["110101199003071236", "王五", "G01"]


def test_xlsx_row_numbers_skip_nothing_but_blank_rows() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["身份证号", "姓名", "网格编码", "手机号"])
    sheet.append(["110101199003071234", "张三", "G01", 13800138000])
    sheet.append([])
    sheet.append(["110101199003071235", "李四", "G01", None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_register(buffer.getvalue(), "survey.xlsx")

    assert table.row_numbers == [2, 4]
    assert table.rows[0] == ["110101199003071234", "张三", "G01", "13800138000"]
    assert table.rows[1][3] == ""


def test_two_columns_meaning_the_same_field_are_refused() -> None:
    with pytest.raises(InvalidInput, match="both give id_number"):
        read_register("id_number,身份证号,name,division_code\n1,2,3,4\n".encode(), "survey.csv")
