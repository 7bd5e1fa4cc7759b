"""Import of places (场所单位). A row whose credit code matches one registered place updates it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from yiwang.core import crypto
from yiwang.core.importing import Column, ImportReport, Table

from ..models import Place, PlaceKind
from ..validators import validate_credit_code, validate_phone
from .common import BATCH_SIZE, REGION_CODE, Regions, RegistryImporter, choices, masked, too_long

PLACE_COLUMNS = (
    Column("name", "名称", ("场所名称", "单位名称", "商户名称", "企业名称", "场所", "name"), required=True),
    Column("kind", "类别", ("场所类别", "场所类型", "单位类型", "类型", "kind"), required=True),
    Column("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "credit_code", "uscc")),
    Column("address", "地址", ("场所地址", "经营地址", "详细地址", "address")),
    Column("contact_name", "联系人", ("负责人", "联系人姓名", "contact", "contact_name")),
    Column("phone", "联系电话", ("电话", "手机号", "联系方式", "phone")),
    Column("lon", "经度", ("lon", "lng", "longitude")),
    Column("lat", "纬度", ("lat", "latitude")),
    REGION_CODE,
)

_PLACE_KINDS = choices(PlaceKind.choices, 门店="shop", 商户="shop", 医院="hospital", 诊所="hospital")


def _coordinate(value: str, low: float, high: float) -> float | str:
    """The number, or why it is not one."""
    try:
        number = float(value)
    except ValueError:
        return f"{value} 不是数字"
    if not low <= number <= high:
        return f"{value} 超出范围（{low:g} 至 {high:g}）"
    return number


def import_places(
    *,
    source: Any,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    acting_user: Any = None,
    progress: bool = True,
) -> ImportReport:
    """Import places (场所单位); all rows or none. Raises ImportFailed listing every bad row."""
    return PlaceImporter(acting_user=acting_user, progress=progress).run(source, mapping=mapping, encoding=encoding)


class PlaceImporter(RegistryImporter):
    columns = PLACE_COLUMNS
    kind = "places"
    target_type = "registry.place"

    def check(self, table: Table) -> list[tuple[Place | None, dict]]:
        """(the place a row updates or None, cleaned values) per row."""
        self.warnings = self.ignored_columns()
        error = self.error
        rows = list(table.dicts())
        regions = Regions((v.get("region_code", "") for _, v in rows), acting_user=self.acting_user)
        codes = {v.get("credit_code", "").upper() for _, v in rows} - {""}
        by_code: dict[str, list[Place]] = {}
        for place in Place.objects.filter(credit_code__in=sorted(codes)).select_related("region"):
            by_code.setdefault(place.credit_code, []).append(place)
        seen: dict[str, int] = {}
        plans: list[tuple[Place | None, dict]] = []
        bar = self.progress_of(len(rows), "校验")
        for row, v in rows:
            bar.update(1)
            values: dict[str, Any] = {}
            region_id, why = regions.resolve(v.get("region_code", ""))
            if why:
                error(row, "region_code", why)
            values["region_id"] = region_id
            for name, limit in (("name", 150), ("address", 200), ("contact_name", 50)):
                text = v.get(name, "")
                if len(text) > limit:
                    error(row, name, too_long(text, limit))
                values[name] = text
            if not values["name"]:
                error(row, "name", "名称为空")

            kind = v.get("kind", "")
            values["kind"] = _PLACE_KINDS.get(kind.lower())
            if not kind:
                error(row, "kind", "类别为空")
            elif values["kind"] is None:
                error(row, "kind", f"类别 {kind} 无法识别（可用：{'、'.join(map(str, PlaceKind.labels))}）")

            existing = None
            code = v.get("credit_code", "")
            values["credit_code"] = ""
            if code:
                try:
                    code = values["credit_code"] = validate_credit_code(code)
                except ValidationError as exc:
                    error(row, "credit_code", exc.messages[0])
                else:
                    if code in seen:
                        error(row, "credit_code", f"与第{seen[code]}行的统一社会信用代码重复")
                    seen.setdefault(code, row)
                    matches = by_code.get(code, [])
                    if len(matches) > 1:
                        error(row, "credit_code", f"已有{len(matches)}个场所使用这个信用代码，无法确定更新哪一个")
                    elif matches:
                        existing = matches[0]
                        if not regions.in_scope(existing.region.path):
                            error(row, "credit_code", "使用这个信用代码的场所不在你的数据范围内")

            phone = v.get("phone", "")
            if phone:
                try:
                    phone = validate_phone(phone)
                except ValidationError as exc:
                    error(row, "phone", exc.messages[0] if not masked(phone) else "电话已脱敏（含 *），请填写完整号码")
            values["phone"] = phone

            lon, lat = v.get("lon", ""), v.get("lat", "")
            values["lon"] = values["lat"] = None
            if bool(lon) != bool(lat):
                error(row, "lon" if not lon else "lat", "经度和纬度应同时填写或同时留空")
            elif lon:
                for name, text, limit in (("lon", lon, 180), ("lat", lat, 90)):
                    value = _coordinate(text, -limit, limit)
                    if isinstance(value, str):
                        swapped = name == "lat" and not isinstance(_coordinate(lat, -180, 180), str) and not isinstance(_coordinate(lon, -90, 90), str)
                        error(row, name, ("经度" if name == "lon" else "纬度") + value + ("；经度和纬度是否填反了？" if swapped else ""))
                    else:
                        values[name] = value
            plans.append((existing, values))
        bar.close()
        return plans

    def write(self, plans: list[tuple[Place | None, dict]]) -> ImportReport:
        to_create: list[Place] = []
        to_update: list[Place] = []
        for existing, values in plans:
            phone = values.pop("phone")
            place = existing or Place()
            for name, value in values.items():
                # An update keeps what the row leaves empty.
                if existing is None or value not in ("", None):
                    setattr(place, name, value)
            if phone or existing is None:
                place.phone_sealed, place.phone_digest = crypto.encrypt(phone), crypto.digest(phone)
            (to_update if existing else to_create).append(place)
        Place.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            fields = ["region", "name", "kind", "credit_code", "address", "contact_name", "phone_sealed", "phone_digest", "lon", "lat"]
            Place.objects.bulk_update(to_update, fields, batch_size=500)
        self.audit(rows=len(plans), created=len(to_create), updated=len(to_update))
        return ImportReport(created=len(to_create), updated=len(to_update), rows=len(plans), warnings=self.warnings)
