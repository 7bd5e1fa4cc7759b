"""yiwang.core.tabular: encodings, header detection, mapping, trimming, row numbers."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from registry_helpers import csv_bytes, xlsx_bytes

from yiwang.core.tabular import Column, TabularError, normalize_header, read_table

COLUMNS = (
    Column("name", "姓名", ("name",), required=True),
    Column("id_number", "身份证号", ("公民身份号码", "id_number"), required=True),
    Column("phone", "联系电话", ("手机号", "phone")),
)


def table(data: bytes, **kwargs):
    return read_table(data, columns=COLUMNS, **kwargs)


def test_header_normalisation():
    assert normalize_header(" ＊姓 名 ") == "姓名"
    assert normalize_header("ＩＤ_Number") == "id_number"
    t = table(csv_bytes([["*姓名（必填）", "身份证号(18位)", "联系电话 "], ["张三", "1", "2"]]))
    assert t.fields == ("name", "id_number", "phone")
    assert t.headers == {"name": "*姓名（必填）", "id_number": "身份证号(18位)", "phone": "联系电话"}


def test_trimming_blank_rows_and_row_numbers():
    data = csv_bytes([["姓名", "身份证号", "备注"], [" 张三\u3000", " 1 ", "x"], ["", "", ""], ["", "", "只有备注"], ["李四", "2", ""]])
    t = table(data)
    assert t.rows == [(2, ["张三", "1"]), (5, ["李四", "2"])]
    assert t.ignored == ["备注"]
    assert list(t.dicts()) == [(2, {"name": "张三", "id_number": "1"}), (5, {"name": "李四", "id_number": "2"})]


def test_multiline_cells_count_as_one_row():
    data = '姓名,身份证号\r\n"张\r\n三",1\r\n李四,2\r\n'.encode()
    assert [n for n, _ in table(data).rows] == [2, 3]


def test_tabs_utf16_and_gb18030():
    tsv = "姓名\t身份证号\r\n张三\t1\r\n"
    assert table(tsv.encode("utf-16")).rows == [(2, ["张三", "1"])]
    assert table(tsv.encode("utf-8")).rows == [(2, ["张三", "1"])]
    # A character outside GBK but inside GB18030.
    assert table("姓名,身份证号\r\n㐀,1\r\n".encode("gb18030")).rows == [(2, ["㐀", "1"])]


def test_encoding_errors():
    with pytest.raises(TabularError, match="不认识的编码"):
        table(b"a,b", encoding="klingon")
    with pytest.raises(TabularError, match="无法识别文件编码"):
        table(b"\x81\x20\xff\xfe\x00\x81")


def test_required_and_mapping():
    with pytest.raises(TabularError) as caught:
        table(csv_bytes([["姓名", "联系电话"], ["张三", "1"]]))
    assert (caught.value.row, caught.value.column) == (1, "身份证号")
    with pytest.raises(TabularError, match="字段 nickname 不存在"):
        table(csv_bytes([["姓名", "身份证号"], ["张三", "1"]]), mapping={"nickname": "昵称"})
    t = table(csv_bytes([["名字", "证件号", "手机号"], ["张三", "1", "2"]]), mapping={"name": "名字", "id_number": "证件号"})
    assert t.fields == ("name", "id_number", "phone")


def test_xlsx_cells_become_text():
    import datetime

    data = xlsx_bytes([["姓名", "身份证号", "联系电话"], ["张三", 110105194912310020, 13800138000.0], [True, datetime.datetime(2024, 1, 2), 1.5]])
    t = table(data)
    # Excel keeps numbers as doubles, so an ID number typed as a number has lost its last digits
    # before we ever see it; the importer then reports a wrong check char for that row.
    assert t.rows == [(2, ["张三", "110105194912310000", "13800138000"]), (3, ["是", "2024-01-02", "1.5"])]


def test_file_objects_and_paths(tmp_path):
    data = csv_bytes([["姓名", "身份证号"], ["张三", "1"]])
    path = tmp_path / "人员.csv"
    path.write_bytes(data)
    assert table(io.BytesIO(data)).rows == read_table(path, columns=COLUMNS).rows
    assert read_table(str(path), columns=COLUMNS).source_name == "人员.csv"
    with pytest.raises(TabularError, match="找不到文件"):
        read_table(tmp_path / "missing.csv", columns=COLUMNS)


def test_file_level_errors():
    with pytest.raises(TabularError, match="旧版 Excel"):
        table(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(TabularError, match="无法打开 Excel 文件"):
        table(b"PK\x03\x04 not really a zip")
    with override_settings(IMPORT_MAX_BYTES=10), pytest.raises(TabularError, match="超过允许的大小"):
        table(b"x" * 11)
