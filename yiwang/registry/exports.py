"""The registry's exports (实有人口, 房屋, 场所单位) as .xlsx.

Headers are the importers' own (for persons, GB/T 31000-2015's data item names, and its class names for
the groups), so an exported sheet is recognised column for column; ID numbers
and phones are masked, so such a sheet is for reading, not for importing back. Rows are plain
dicts from .values(): a model instance per row would cost more than writing the sheet.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone, translation

from yiwang.core import audit, crypto
from yiwang.core.exporting import write_xlsx
from yiwang.core.scope import Action
from yiwang.regions.models import Region

from .models import Gender, House, HouseUse, KeyGroup, Occupancy, Person, PersonTag, Place, PlaceKind, ResidenceType

BATCH_SIZE = 2000

_GENDER_LABELS = dict(Gender.choices)
_RESIDENCE_LABELS = dict(ResidenceType.choices)
_TAG_LABELS = dict(KeyGroup.choices)
_USE_LABELS = dict(HouseUse.choices)
_OCCUPANCY_LABELS = dict(Occupancy.choices)
_KIND_LABELS = dict(PlaceKind.choices)


def _local(value) -> str:
    # The wall time in the site's zone, to the minute (timezone.localtime per row is slow).
    return value.astimezone(timezone.get_default_timezone()).isoformat(sep=" ", timespec="minutes")[:16] if value else ""


def _masked_id(row: dict) -> str:
    return crypto.mask_id_number(crypto.decrypt(row["id_number_sealed"]))


def _masked_phone(row: dict) -> str:
    return crypto.mask_phone(crypto.decrypt(row["phone_sealed"]))


PERSON_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("姓名", lambda r: r["name"]),
    ("公民身份号码", _masked_id),
    ("性别", lambda r: _GENDER_LABELS.get(r["gender"], "")),
    # The year only: a full birth date would restore the masked middle of the ID number.
    ("出生年份", lambda r: r["birth_date"].year if r["birth_date"] else ""),
    ("联系方式", _masked_phone),
    ("人口类型", lambda r: _RESIDENCE_LABELS.get(r["residence_type"], r["residence_type"])),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
    ("户号", lambda r: r["household__number"] or ""),
    ("是否户主", lambda r: "是" if r["is_household_head"] else "否"),
    ("重点人群", lambda r: "、".join(str(_TAG_LABELS.get(t, t)) for t in r["tags"])),
    ("现住门（楼）详址", lambda r: r["address"]),
    ("登记时间", lambda r: _local(r["created_at"])),
]

HOUSE_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("楼栋编号", lambda r: r["building__code"]),
    ("楼栋名称", lambda r: r["building__name"]),
    ("单元", lambda r: r["unit__number"] or ""),
    ("房号", lambda r: r["number"]),
    ("楼层", lambda r: r["floor"]),
    ("面积(㎡)", lambda r: r["area_m2"]),
    ("用途", lambda r: _USE_LABELS.get(r["use"], r["use"])),
    ("居住状态", lambda r: _OCCUPANCY_LABELS.get(r["occupancy"], r["occupancy"])),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
]

PLACE_EXPORT_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("名称", lambda r: r["name"]),
    ("类别", lambda r: _KIND_LABELS.get(r["kind"], r["kind"])),
    ("统一社会信用代码", lambda r: r["credit_code"]),
    ("地址", lambda r: r["address"]),
    ("联系人", lambda r: r["contact_name"]),
    ("联系电话", _masked_phone),
    ("经度", lambda r: r["lon"]),
    ("纬度", lambda r: r["lat"]),
    ("网格编码", lambda r: r["region__code"]),
    ("网格名称", lambda r: r["region__name"]),
]

_EXPORT_VALUES = {
    "persons": ("id", "name", "id_number_sealed", "gender", "birth_date", "phone_sealed", "residence_type", "region__code",
                "region__name", "household__number", "is_household_head", "address", "created_at"),
    "houses": ("building__code", "building__name", "unit__number", "number", "floor", "area_m2", "use", "occupancy",
               "region__code", "region__name"),
    "places": ("name", "kind", "credit_code", "address", "contact_name", "phone_sealed", "lon", "lat", "region__code", "region__name"),
}  # fmt: skip

EXPORTS = {
    "persons": (Person, PERSON_EXPORT_COLUMNS, "实有人口"),
    "houses": (House, HOUSE_EXPORT_COLUMNS, "房屋"),
    "places": (Place, PLACE_EXPORT_COLUMNS, "场所单位"),
}


def export_queryset(kind: str, *, user: Any = None, region: Region | None = None):
    """What an export of `kind` contains, in a stable order: restricted to what `user` may export
    when a user is given (the command line without --user exports everything), optionally to one
    region's subtree."""
    model = EXPORTS[kind][0]
    queryset = model.objects.all()
    if user is not None:
        queryset = queryset.restrict(user, Action.EXPORT)
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    if kind == "houses":
        return queryset.order_by("building__code", "unit__number", "number", "id")
    return queryset.order_by("id")


def _with_tags(rows: Iterable[dict]) -> Iterable[dict]:
    """Person rows with their tag codes under "tags", fetched one chunk of persons at a time."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH_SIZE:
            yield from _attach_tags(chunk)
            chunk = []
    yield from _attach_tags(chunk)


def _attach_tags(chunk: list[dict]) -> list[dict]:
    tags: dict[int, list[str]] = {}
    if chunk:
        for person_id, tag in PersonTag.objects.filter(person_id__in=[r["id"] for r in chunk]).order_by("tag").values_list("person_id", "tag"):
            tags.setdefault(person_id, []).append(tag)
    for row in chunk:
        row["tags"] = tags.get(row["id"], [])
    return chunk


def export_audited(kind: str, *, user: Any = None, region: Region | None = None, channel: str, file: str = "") -> tuple[bytes, int]:
    """Export what `user` may export (everything when None, from the command line), and record
    who exported what in the audit log. Returns the .xlsx and its row count."""
    queryset = export_queryset(kind, user=user, region=region)
    count = queryset.count()
    content = export_registry(kind, queryset=queryset)
    audit.record(actor=user, action="registry.export", target_type=EXPORTS[kind][0]._meta.label_lower,
                 detail={"kind": kind, "channel": channel, "file": file, "rows": count, "region": region.code if region else ""})
    return content, count


def export_registry(kind: str, *, queryset) -> bytes:
    """An .xlsx of `queryset` (already restricted by the caller) with masked personal fields."""
    buffer = io.BytesIO()
    write_registry(kind, queryset=queryset, out=buffer)
    return buffer.getvalue()


def write_registry(kind: str, *, queryset, out, progress=None, every: int = BATCH_SIZE) -> int:
    """`export_registry` into `out` (a path or binary file), reporting `progress(rows so far)`;
    the background export (yiwang.exports) writes through this. Returns the rows written."""
    _, columns, title = EXPORTS[kind]
    if not queryset.ordered:
        queryset = queryset.order_by("id")  # a stable order, whatever the caller built
    rows: Iterable[dict] = queryset.values(*_EXPORT_VALUES[kind]).iterator(chunk_size=BATCH_SIZE)
    if kind == "persons":
        rows = _with_tags(rows)
    # Exported files read back through the importer, so their labels are always Chinese.
    with translation.override("zh-hans"):
        return write_xlsx(out, queryset_or_rows=rows, columns=columns, sheet_title=title, progress=progress, every=every)

