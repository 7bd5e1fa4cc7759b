"""Import of houses (房屋), creating buildings and units as needed. A house that exists already
(same building, unit and number) is updated with the non-empty cells of its row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from yiwang.core.importing import Column, ImportReport, RowError, Table

from ..models import Building, BuildingUnit, House, HouseUse, Occupancy
from .common import BATCH_SIZE, REGION_CODE, Regions, RegistryImporter, choices, too_long

HOUSE_COLUMNS = (
    Column("building_code", "楼栋编号", ("楼栋编码", "楼栋代码", "楼号编码", "building_code"), required=True),
    Column("building_name", "楼栋名称", ("楼栋", "楼栋名", "楼号", "building_name", "building")),
    Column("unit", "单元", ("单元号", "unit")),
    Column("number", "房号", ("房间号", "门牌号", "房屋编号", "house_number", "number", "room"), required=True),
    Column("floor", "楼层", ("所在楼层", "层", "floor")),
    Column("area", "面积(㎡)", ("面积", "建筑面积", "面积(平方米)", "房屋面积", "area", "area_m2")),
    Column("use", "用途", ("房屋用途", "use")),
    Column("occupancy", "居住状态", ("使用状态", "居住情况", "房屋状态", "occupancy")),
    REGION_CODE,
)

_USES = choices(HouseUse.choices, 商住="mixed")
_OCCUPANCY = choices(Occupancy.choices, 闲置="vacant", 租住="rented", 出租屋="rented")
_AREA_UNITS = re.compile(r"(㎡|m2|m²|平方米|平米)$", re.IGNORECASE)
_CENT = Decimal("0.01")


def _unit_number(value: str) -> str:
    return value[:-2] if value.endswith("单元") else value


def import_houses(
    *,
    source: Any,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    acting_user: Any = None,
    progress: bool = True,
) -> ImportReport:
    """Import houses (房屋); all rows or none. Raises ImportFailed listing every bad row."""
    return HouseImporter(acting_user=acting_user, progress=progress).run(source, mapping=mapping, encoding=encoding)


class HouseImporter(RegistryImporter):
    columns = HOUSE_COLUMNS
    kind = "houses"
    target_type = "registry.house"

    def check(self, table: Table) -> list[tuple[int, dict]]:
        """(row, cleaned values) per row."""
        self.warnings = self.ignored_columns()
        error = self.error
        rows = list(table.dicts())
        regions = Regions((v.get("region_code", "") for _, v in rows), acting_user=self.acting_user)
        codes = sorted({v["building_code"] for _, v in rows if v.get("building_code")})
        buildings = self.buildings = {b.code: b for b in Building.objects.filter(code__in=codes).select_related("region")}
        units = self.units = {(u.building_id, u.number): u for u in BuildingUnit.objects.filter(building__in=buildings.values())}
        houses = self.houses = {
            (h.building_id, h.unit_id, h.number): h for h in House.objects.filter(building__in=buildings.values()).select_related("region")
        }
        new_buildings = self.new_buildings = {}  # code -> (name, region id, first row)

        seen: dict[tuple[str, str, str], int] = {}
        plans: list[tuple[int, dict]] = []
        bar = self.progress_of(len(rows), "校验")
        for row, v in rows:
            bar.update(1)
            clean: dict[str, Any] = {}
            region_id, why = regions.resolve(v.get("region_code", ""))
            if why:
                error(row, "region_code", why)
            clean["region_id"] = region_id

            code = v.get("building_code", "")
            building_name = v.get("building_name", "")
            if not code:
                error(row, "building_code", "楼栋编号为空")
            elif len(code) > 40:
                error(row, "building_code", too_long(code, 40))
            elif code in buildings:
                building = buildings[code]
                if not regions.in_scope(building.region.path):
                    error(row, "building_code", f"楼栋 {code} 不在你的数据范围内")
                elif building_name and building_name != building.name:
                    self.warn(row, "building_name", f"楼栋 {code} 已登记为“{building.name}”，名称未修改")
            elif code not in new_buildings:
                if not building_name:
                    error(row, "building_name", f"楼栋 {code} 尚未登记，新楼栋需要填写楼栋名称")
                elif len(building_name) > 100:
                    error(row, "building_name", too_long(building_name, 100))
                elif region_id is not None:
                    new_buildings[code] = (building_name, region_id, row)

            unit = _unit_number(v.get("unit", ""))
            if len(unit) > 20:
                error(row, "unit", too_long(unit, 20))
            number = v.get("number", "")
            if not number:
                error(row, "number", "房号为空")
            elif len(number) > 20:
                error(row, "number", too_long(number, 20))
            key = (code, unit, number)
            if code and number:
                if key in seen:
                    error(row, "number", f"与第{seen[key]}行是同一套房屋（楼栋、单元、房号都相同）")
                else:
                    seen[key] = row

            if floor := v.get("floor", "").removesuffix("层").removesuffix("楼"):
                try:
                    clean["floor"] = int(floor)
                    if not -20 <= clean["floor"] <= 300:
                        error(row, "floor", f"楼层 {floor} 超出范围（-20 至 300）")
                except ValueError:
                    error(row, "floor", f"楼层 {floor} 不是整数")
            if area := _AREA_UNITS.sub("", v.get("area", "")).strip():
                try:
                    clean["area_m2"] = Decimal(area).quantize(_CENT, rounding=ROUND_HALF_UP)
                    if not Decimal(0) < clean["area_m2"] < Decimal(1000000):
                        error(row, "area", f"面积 {area} 超出范围（应大于0、小于1000000）")
                except InvalidOperation:
                    error(row, "area", f"面积 {area} 不是数字")
            if use := v.get("use", ""):
                clean["use"] = _USES.get(use.lower())
                if clean["use"] is None:
                    error(row, "use", f"用途 {use} 无法识别（可用：{'、'.join(HouseUse.labels)}）")
            if occupancy := v.get("occupancy", ""):
                clean["occupancy"] = _OCCUPANCY.get(occupancy.lower())
                if clean["occupancy"] is None:
                    error(row, "occupancy", f"居住状态 {occupancy} 无法识别（可用：{'、'.join(Occupancy.labels)}）")

            building = buildings.get(code)
            if building is not None and number:
                # A unit we have not seen yet means a new house; otherwise look the house up.
                unit_row = units.get((building.pk, unit)) if unit else None
                existing = None if unit and unit_row is None else houses.get((building.pk, unit_row and unit_row.pk, number))
                if existing is not None and not regions.in_scope(existing.region.path):
                    error(row, "number", "该房屋不在你的数据范围内")
            plans.append((row, {"code": code, "unit": unit, "number": number, **clean}))
        bar.close()
        return plans

    def conflict(self, plan: list[tuple[int, dict]]) -> list[RowError]:
        # Another import created one of these buildings, units or houses after we checked.
        return [RowError(None, "", "导入期间有人同时登记了相同的楼栋、单元或房屋，本文件未导入，请重新导入")]

    def write(self, plans: list[tuple[int, dict]]) -> ImportReport:
        buildings, units, houses, new_buildings = self.buildings, self.units, self.houses, self.new_buildings
        if new_buildings:
            Building.objects.bulk_create(
                [Building(code=c, name=n, region_id=r) for c, (n, r, _) in new_buildings.items()], batch_size=BATCH_SIZE
            )
            buildings.update((b.code, b) for b in Building.objects.filter(code__in=list(new_buildings)))
        wanted_units = {(buildings[p["code"]].pk, p["unit"]) for _, p in plans if p["unit"]}
        missing_units = [BuildingUnit(building_id=b, number=u) for b, u in wanted_units if (b, u) not in units]
        if missing_units:
            BuildingUnit.objects.bulk_create(missing_units, batch_size=BATCH_SIZE)
            units.update(
                ((u.building_id, u.number), u)
                for u in BuildingUnit.objects.filter(building_id__in={u.building_id for u in missing_units})
            )
        to_create: list[House] = []
        to_update: list[House] = []
        changed_fields: set[str] = set()
        for _, p in plans:
            building = buildings[p["code"]]
            unit_id = units[(building.pk, p["unit"])].pk if p["unit"] else None
            values = {k: p[k] for k in ("region_id", "floor", "area_m2", "use", "occupancy") if k in p}
            house = houses.get((building.pk, unit_id, p["number"]))
            if house is None:
                to_create.append(House(building=building, unit_id=unit_id, number=p["number"], **values))
            else:
                for name, value in values.items():
                    setattr(house, name, value)
                changed_fields.update(values)
                to_update.append(house)
        House.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            House.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
        created, updated = len(to_create), len(to_update)
        self.audit(rows=len(plans), created=created, updated=updated, buildings_created=len(new_buildings), units_created=len(missing_units))
        return ImportReport(created=created, updated=updated, rows=len(plans), warnings=self.warnings)
