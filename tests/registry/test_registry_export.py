"""Exports: masked personal fields, the caller's scope, and headers the importer recognises."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from registry_helpers import GRID_A, GRID_B, PERSON_HEADER, csv_bytes, make_id, person_row, write_file  # noqa: F401

from yiwang.core.exporting import export_xlsx
from yiwang.core.models import AuditEntry
from yiwang.core.tabular import read_table
from yiwang.registry.exports import export_queryset, export_registry
from yiwang.registry.importing import HOUSE_COLUMNS, PERSON_COLUMNS, PLACE_COLUMNS, import_houses, import_persons
from yiwang.registry.models import House, Person


def sheet_rows(data: bytes) -> list[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple("" if v is None else v for v in row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def people(tree, write_file):
    rows = [PERSON_HEADER] + [person_row(n, grid=GRID_A if n % 3 else GRID_B, 重点人群="独居老人" if n == 1 else "") for n in range(1, 11)]
    import_persons(source=write_file("p.csv", csv_bytes(rows)), progress=False)


def test_person_export_is_masked_and_complete(people):
    data = export_registry("persons", queryset=export_queryset("persons"))
    rows = sheet_rows(data)
    header, body = rows[0], rows[1:]
    assert len(body) == Person.objects.count() == 10
    id_at, phone_at = header.index("公民身份号码"), header.index("联系方式")  # GB/T 31000's names
    numbers = {make_id(n) for n in range(1, 11)}
    for row in body:
        masked = row[id_at]
        assert masked[6:14] == "********" and len(masked) == 18
        assert masked not in numbers and any(n[:6] == masked[:6] and n[-4:] == masked[-4:] for n in numbers)
        assert row[phone_at].startswith("138****")
    first = dict(zip(header, body[0], strict=True))
    assert first["姓名"] == "居民1" and first["网格编码"] == GRID_A and first["重点人群"] == "独居老人" and first["人口类型"] == "户籍人口"


def test_export_headers_are_recognised_by_the_importer(people, tmp_path):
    """Column for column, an export reads back; only masked values keep it from importing."""
    for kind, columns in (("persons", PERSON_COLUMNS), ("houses", HOUSE_COLUMNS), ("places", PLACE_COLUMNS)):
        data = export_registry(kind, queryset=export_queryset(kind))
        header = sheet_rows(data)[0]
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(export_xlsx(queryset_or_rows=[["x"] * len(header)], columns=[(h, lambda r, i=i: r[i]) for i, h in enumerate(header)], sheet_title=kind))
        table = read_table(path, columns=columns)
        assert set(table.fields) == {c.field for c in columns}, kind
    with pytest.raises(Exception) as caught:
        import_persons(source=io.BytesIO(export_registry("persons", queryset=export_queryset("persons"))), progress=False)
    assert "已脱敏" in str(caught.value)


def test_export_respects_the_users_scope(people, users):
    worker_rows = sheet_rows(export_registry("persons", queryset=export_queryset("persons", user=users["street"])))
    assert len(worker_rows) - 1 == 10
    # Grid workers may not export at all; a community exports its subtree only.
    assert len(sheet_rows(export_registry("persons", queryset=export_queryset("persons", user=users["worker_a"])))) == 1
    only_b = export_queryset("persons", user=users["community"], region=users["worker_b"].scope_region)
    assert {r[6] for r in sheet_rows(export_registry("persons", queryset=only_b))[1:]} == {GRID_B}


def test_houses_round_trip(tree, write_file, tmp_path):
    rows = [["楼栋编号", "楼栋名称", "单元", "房号", "面积", "网格编码"], ["B01", "1栋", "1", "101", "88.8", GRID_A], ["B01", "1栋", "", "商铺1", "", GRID_B]]
    import_houses(source=write_file("h.csv", csv_bytes(rows)), progress=False)
    exported = tmp_path / "houses.xlsx"
    exported.write_bytes(export_registry("houses", queryset=export_queryset("houses")))
    assert len(sheet_rows(exported.read_bytes())) == 3
    report = import_houses(source=exported, progress=False)
    assert (report.created, report.updated) == (0, 2)
    assert House.objects.count() == 2


def test_export_xlsx_values():
    rows = [{"a": "=1+1", "b": None, "c": True, "d": "bell\x07"}]
    data = export_xlsx(queryset_or_rows=rows, columns=[("A", "a"), ("B", "b"), ("C", "c"), ("D", lambda r: r["d"])], sheet_title="测试/表[1]")
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.title == "测试表1"
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"  # text, never a formula
    assert sheet["B2"].value is None and sheet["C2"].value == "是" and sheet["D2"].value == "bell"


def test_commands(people, users, tmp_path, capsys):
    out = tmp_path / "persons.xlsx"
    call_command("export_registry", "persons", "--out", str(out), "--region", GRID_B)
    assert len(sheet_rows(out.read_bytes())) - 1 == Person.objects.filter(region__code=GRID_B).count()
    entry = AuditEntry.objects.get(action="registry.export")
    assert entry.detail["rows"] == 3 and entry.detail["region"] == GRID_B
    with pytest.raises(CommandError):
        call_command("export_registry", "persons", "--out", str(out), "--region", "nowhere")

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["名", "证件", "网格"], ["甲", make_id(500)[:17] + "?", GRID_A], ["乙", make_id(501), GRID_B]], encoding="gbk"))
    before = Person.objects.count()
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("import_registry", "persons", str(bad), "--encoding", "gbk", "--map", "name=名", "--map", "id_number=证件",
                     "--map", "region_code=网格", "--user", "worker_a", "--no-progress")  # fmt: skip
    err = capsys.readouterr().err
    # Row 2 has a bad check char; row 3 is outside worker_a's grid — both reported, nothing written.
    assert "第2行\t证件\t第18位应为数字或X，实际为 ?" in err
    assert f"第3行\t网格\t网格编码 {GRID_B} 不在你的数据范围内" in err
    assert "永先社区第2网格" not in err  # the name of a unit outside scope is not told
    assert Person.objects.count() == before

    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([["名", "证件", "网格"], ["甲", make_id(500), GRID_A]], encoding="gbk"))
    call_command("import_registry", "persons", str(good), "--map", "name=名", "--map", "id_number=证件", "--map", "region_code=网格",
                 "--user", "worker_a", "--no-progress")  # fmt: skip
    assert "新增 1" in capsys.readouterr().out
    assert Person.objects.count() == before + 1
    with pytest.raises(CommandError, match="应写成"):
        call_command("import_registry", "persons", str(good), "--map", "name")
    with pytest.raises(CommandError, match="不能导入"):
        call_command("import_registry", "persons", str(good), "--user", "department")


def test_export_of_a_restricted_queryset(people, users):
    data = export_registry("persons", queryset=Person.objects.restrict(users["worker_b"], "view"))
    assert len(sheet_rows(data)) - 1 == Person.objects.filter(region__code=GRID_B).count()
