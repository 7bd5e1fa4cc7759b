"""Importing houses (creating buildings and units) and places (kinds, credit codes, coordinates)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from registry_helpers import GRID_A, GRID_B, MICRO_A1, csv_bytes, write_file, xlsx_bytes  # noqa: F401

from yiwang.core import crypto
from yiwang.core.models import AuditEntry
from yiwang.registry.importing import ImportFailed, import_houses, import_places
from yiwang.registry.models import Building, BuildingUnit, House, Place

HOUSE_HEADER = ["楼栋编号", "楼栋名称", "单元", "房号", "楼层", "面积(㎡)", "用途", "居住状态", "网格编码"]


def houses(source, **kwargs):
    return import_houses(source=source, progress=False, **kwargs)


def places(source, **kwargs):
    return import_places(source=source, progress=False, **kwargs)


def test_houses_create_buildings_units_then_update(tree, write_file):
    rows = [
        HOUSE_HEADER,
        ["B01", "永先小区1栋", "1单元", "101", "1", "89.5㎡", "住宅", "自住", GRID_A],
        ["B01", "永先小区1栋", "1", "102", "1", "90", "residential", "出租", GRID_A],
        ["B01", "", "2", "201", "2", "", "", "", MICRO_A1],
        ["B02", "永先小区2栋", "", "门面1", "", "45.25平方米", "商业", "空置", GRID_B],
    ]
    report = houses(write_file("房屋.csv", csv_bytes(rows)))
    assert (report.created, report.updated, report.rows) == (4, 0, 4)
    assert Building.objects.count() == 2 and BuildingUnit.objects.count() == 2
    b01 = Building.objects.get(code="B01")
    assert b01.region_id == tree.grid_a.pk and b01.name == "永先小区1栋"
    h101 = House.objects.get(building=b01, number="101")
    assert (h101.unit.number, h101.floor, h101.area_m2, h101.use, h101.occupancy) == ("1", 1, Decimal("89.50"), "residential", "owner")
    shop = House.objects.get(number="门面1")
    assert shop.unit is None and shop.use == "commercial" and shop.occupancy == "vacant" and shop.region_id == tree.grid_b.pk
    assert House.objects.get(number="201").region_id == tree.micro_a1.pk

    # Same building, unit and number again: an update of the non-empty cells.
    again = [HOUSE_HEADER, ["B01", "", "1单元", "101", "", "", "", "出租", GRID_A], ["B02", "", "", "门面1", "1", "", "", "", GRID_B]]
    report = houses(write_file("房屋2.csv", csv_bytes(again)))
    assert (report.created, report.updated) == (0, 2)
    h101.refresh_from_db()
    assert (h101.occupancy, h101.area_m2) == ("rented", Decimal("89.50"))
    assert House.objects.get(number="门面1").floor == 1
    assert AuditEntry.objects.filter(action="registry.import", target_type="registry.house").count() == 2


def test_house_errors(tree, users, write_file):
    Building.objects.create(code="B09", name="外网格楼", region=tree.grid_b)
    rows = [
        HOUSE_HEADER,
        ["B05", "", "1", "101", "", "", "", "", GRID_A],            # 2: new building, no name
        ["B06", "6栋", "1", "101", "三", "", "", "", GRID_A],          # 3: floor not a number
        ["B06", "6栋", "1", "101", "", "", "", "", GRID_A],            # 4: same house as row 3
        ["B06", "6栋", "1", "102", "", "-5", "仓库", "借住", GRID_A],   # 5: area, use, occupancy
        ["B09", "", "", "101", "", "", "", "", GRID_A],              # 6: building outside worker_a's scope
        ["", "", "", "", "", "", "", "", "500154003001999"],          # 7: no building, no number, unknown grid
    ]  # fmt: skip
    with pytest.raises(ImportFailed) as caught:
        houses(write_file("h.csv", csv_bytes(rows)), acting_user=users["worker_a"])
    errors = [(e.row, e.column) for e in caught.value.errors]
    assert errors == [
        (2, "楼栋名称"), (3, "楼层"), (4, "房号"), (5, "面积(㎡)"), (5, "用途"), (5, "居住状态"), (6, "楼栋编号"),
        (7, "网格编码"), (7, "楼栋编号"), (7, "房号"),
    ]  # fmt: skip
    assert "与第3行是同一套房屋" in caught.value.errors[2].reason
    assert Building.objects.count() == 1 and House.objects.count() == 0


PLACE_HEADER = ["名称", "类别", "统一社会信用代码", "地址", "联系人", "联系电话", "经度", "纬度", "网格编码"]


def test_places(tree, write_file):
    rows = [
        PLACE_HEADER,
        ["永先超市", "门店商户", "91350100m000100y43", "永先路1号", "王老板", "13800138000", "108.305", "31.105", GRID_A],
        ["开州中学", "school", "", "", "", "023-52345678", "", "", GRID_B],
    ]
    report = places(write_file("场所.xlsx", xlsx_bytes(rows)))
    assert (report.created, report.updated) == (2, 0)
    shop = Place.objects.get(name="永先超市")
    assert (shop.kind, shop.credit_code, shop.lon, shop.lat) == ("shop", "91350100M000100Y43", 108.305, 31.105)
    assert crypto.decrypt(shop.phone_sealed) == "13800138000" and shop.phone_digest == crypto.digest("13800138000")
    assert Place.objects.get(name="开州中学").kind == "school"

    # A known credit code updates that place.
    update = [PLACE_HEADER, ["永先便利店", "门店商户", "91350100M000100Y43", "", "", "", "", "", GRID_A]]
    report = places(write_file("场所2.csv", csv_bytes(update)))
    assert (report.created, report.updated) == (0, 1)
    shop.refresh_from_db()
    assert shop.name == "永先便利店" and shop.address == "永先路1号" and crypto.decrypt(shop.phone_sealed) == "13800138000"


def test_place_errors(tree, write_file):
    rows = [
        PLACE_HEADER,
        ["A", "网吧", "", "", "", "", "", "", GRID_A],                               # 2: unknown kind
        ["B", "企业", "91350100M000100Y44", "", "", "", "", "", GRID_A],             # 3: credit code check char
        ["C", "企业", "", "", "", "", "108.3", "", GRID_A],                          # 4: only one coordinate
        ["D", "企业", "", "", "", "", "31.1", "108.3", GRID_A],                      # 5: swapped
        ["", "", "", "", "", "1234", "", "", GRID_A],                              # 6: no name, no kind, bad phone
        ["E", "企业", "91350100M000100Y43", "", "", "", "", "", GRID_A],             # 7
        ["F", "企业", "91350100M000100Y43", "", "", "", "", "", GRID_A],             # 8: same code as row 7
    ]  # fmt: skip
    with pytest.raises(ImportFailed) as caught:
        places(write_file("p.csv", csv_bytes(rows)))
    errors = [(e.row, e.column) for e in caught.value.errors]
    assert errors == [(2, "类别"), (3, "统一社会信用代码"), (4, "纬度"), (5, "纬度"), (6, "名称"), (6, "类别"), (6, "联系电话"), (8, "统一社会信用代码")]
    reasons = {(e.row, e.column): e.reason for e in caught.value.errors}
    assert reasons[(3, "统一社会信用代码")] == "统一社会信用代码校验位错误，应为 3"
    assert "填反" in reasons[(5, "纬度")]
    assert reasons[(8, "统一社会信用代码")] == "与第7行的统一社会信用代码重复"
    assert Place.objects.count() == 0
