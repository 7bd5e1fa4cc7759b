"""Helpers for the registry import and export tests: valid ID numbers and files written on the fly.

Imported by the test modules beside it (pytest puts this directory on sys.path)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from yiwang.registry.validators import id_check_char

GRID_A = "500154003001001"
GRID_B = "500154003001002"
MICRO_A1 = "50015400300100101"


def make_id(n: int, *, birth: datetime.date = datetime.date(1985, 6, 1), male: bool | None = None) -> str:
    """A valid ID number, distinct for each n below 1000 per birth date."""
    seq = n % 1000
    if male is not None and (seq % 2 == 1) != male:
        seq = (seq + 1) % 1000
    body = f"500154{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


PERSON_HEADER = ["姓名", "身份证号", "联系电话", "性别", "人口类型", "网格编码", "户编号", "是否户主", "重点人群", "现住址"]


def person_row(n: int, *, grid: str = GRID_A, **overrides: str) -> list[str]:
    values = {
        "姓名": f"居民{n}", "身份证号": make_id(n), "联系电话": f"1380013{n:04d}", "性别": "", "人口类型": "户籍",
        "网格编码": grid, "户编号": "", "是否户主": "", "重点人群": "", "现住址": f"永先路{n}号",
    }  # fmt: skip
    values.update(overrides)
    return [values[h] for h in PERSON_HEADER]


@pytest.fixture
def write_file(tmp_path):
    def write(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
