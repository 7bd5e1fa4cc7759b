"""Bringing region data in: GeoJSON boundaries and the official street/town code lists.

`import_boundaries` is all or nothing per file: every feature is read and checked first (see
`validation`), and only a file without errors is written, in one transaction, with one
`BoundaryVersion` bump. A refused file raises `ImportFailed`, whose `problems` name each feature
at fault (its position in the file, its code, the reason). Warnings (a grid outside 300-500
households) are reported but do not stop the import.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from yiwang.core.audit import record
from yiwang.core.importing import ImportFailed, ImportReport

from . import coords, signals
from .models import BoundaryVersion, DedicatedKind, GridKind, Level, Region
from .validation import (
    ERROR,
    WARNING,
    Problem,
    Sibling,
    Tolerances,
    check_code_format,
    check_households,
    check_inside_parent,
    check_level_order,
    check_sibling_overlaps,
    has_errors,
    parse_polygon,
)

# Levels that may be imported without a parent (the top of a deployment's tree).
ROOT_LEVELS = frozenset({Level.PROVINCE, Level.CITY, Level.DISTRICT})
# Rows per query when looking codes up, well under SQLite's bound-variable limit.
_CODES_PER_QUERY = 500
_BULK_BATCH = 500

AREAS_FILE = "stats_gov_2023_areas.csv"
STREETS_FILE = "stats_gov_2023_streets.csv"


def _refused(problems: Sequence[Problem], *, source: str = "") -> ImportFailed:
    """The ImportFailed of a refused region file: nothing written; its `problems` name each
    feature at fault (warnings included), `errors` those that refused it."""
    errors = sum(1 for p in problems if p.is_error)
    headline = f"导入被拒绝，未写入任何数据 import of {source or 'data'} refused, nothing written: {errors} 个错误 error(s)"
    return ImportFailed(problems, source=source, headline=headline, first="; 第一个 first: ")


def summary(report: ImportReport) -> str:
    """The line the import commands print when a region file went in (or, dry run, would)."""
    verb = "校验通过（未写入） validated, nothing written" if report.dry_run else "导入完成 imported"
    return (
        f"{verb}: {report.source} [{report.level}] 新建 created {report.created}，更新 updated {report.updated}, "
        f"未变 unchanged {report.unchanged}，警告 warnings {len(report.warnings)}"
    )


@dataclass
class _FeatureRow:
    index: int
    code: str
    name: str
    parent_code: str | None
    geometry: object
    boundary: str
    grid_kind: str = ""
    dedicated_kind: str = ""
    target_households: int | None = None
    actual_households: int | None = None
    # Which optional properties the feature carried; absent ones keep the saved values on update.
    given: set = field(default_factory=set)


# Reading ----------------------------------------------------------------------------------------


def _source_label(source) -> str:
    return "<内存数据 in-memory>" if isinstance(source, (bytes, bytearray)) else str(source)


def _read_source(source, *, label: str) -> bytes:
    limit = settings.IMPORT_MAX_BYTES

    def too_large(size: int) -> ImportFailed:
        return _refused(
            [Problem("file_too_large", ERROR, "", f"文件 {label} 有 {size} 字节，超过上限 {limit} (IMPORT_MAX_BYTES); file is {size} bytes, over the {limit}-byte limit")],
            source=label,
        )

    if isinstance(source, (bytes, bytearray)):
        if len(source) > limit:
            raise too_large(len(source))
        return bytes(source)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > limit:
            raise too_large(size)
        with path.open("rb") as handle:
            # Read one byte past the limit: a file that grew after stat() is still refused.
            data = handle.read(limit + 1)
    except OSError as exc:
        raise _refused([Problem("unreadable_file", ERROR, "", f"无法读取文件 cannot read file {label}: {exc.strerror or exc}")], source=label) from exc
    if len(data) > limit:
        raise too_large(len(data))
    return data


def _load_features(data: bytes, *, label: str) -> list:
    def refuse(code: str, message: str) -> ImportFailed:
        return _refused([Problem(code, ERROR, "", message)], source=label)

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse("not_utf8", f"文件 {label} 不是 UTF-8 编码（GeoJSON 必须是 UTF-8）； file is not UTF-8 at byte {exc.start}") from exc
    if not text.strip():
        raise refuse("empty_file", f"文件 {label} 是空的 file is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse("malformed_json", f"文件 {label} 不是合法 JSON: 第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}; malformed JSON at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise refuse("not_feature_collection", f"文件 {label} 应为 GeoJSON FeatureCollection, 实为 {kind!r}; expected a FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise refuse("not_feature_collection", f"文件 {label} 缺少 features 数组; the FeatureCollection has no 'features' list")
    if not features:
        raise refuse("empty_file", f"文件 {label} 没有任何要素 the FeatureCollection has no features")
    return features


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code written as a JSON number
    text = str(value).strip()
    return text or None


def _household_count(value, *, prop: str, code: str, index: int, problems: list[Problem]) -> int | None:
    if value is None or value == "":
        return None
    try:
        count = int(value)
        if count != float(value) or count < 0:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("bad_households", ERROR, code, f"属性 {prop} = {value!r} 不是非负整数; property {prop} must be a whole number ≥ 0", index))
        return None
    return count


def _parse_feature(
    index: int,
    feature,
    *,
    level: str,
    default_parent: str | None,
    props: dict[str, str],
    crs: str,
    problems: list[Problem],
) -> _FeatureRow | None:
    label = f"#{index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(Problem("not_feature", ERROR, label, "不是 GeoJSON Feature 对象; item is not a GeoJSON Feature", index))
        return None
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        problems.append(Problem("bad_properties", ERROR, label, "properties 应为对象； 'properties' must be an object", index))
        return None
    code = _text(properties.get(props["code"]))
    name = _text(properties.get(props["name"]))
    found: list[Problem] = []
    if code is None:
        found.append(Problem("missing_code", ERROR, label, f"缺少代码属性 {props['code']!r}; property {props['code']!r} (region code) is missing", index))
    region = code or label
    if name is None:
        found.append(Problem("missing_name", ERROR, region, f"缺少名称属性 {props['name']!r}; property {props['name']!r} (region name) is missing", index))
    elif len(name) > Region._meta.get_field("name").max_length:
        found.append(Problem("name_too_long", ERROR, region, f"名称超过 100 字 name is longer than 100 characters: {name[:20]}…", index))
    parent_code = _text(properties.get(props["parent"])) or default_parent

    grid_kind = dedicated_kind = ""
    given: set[str] = set()
    if level == Level.GRID:
        # Absent kinds keep the saved value on update; a new grid is a regular one.
        if _text(properties.get(props["grid_kind"])):
            grid_kind = _text(properties[props["grid_kind"]])
            given.add("grid_kind")
            if grid_kind not in GridKind.values:
                found.append(Problem("bad_grid_kind", ERROR, region, f"属性 {props['grid_kind']} = {grid_kind!r} 应为 {'/'.join(GridKind.values)}; grid kind must be one of those", index))
        if _text(properties.get(props["dedicated_kind"])):
            dedicated_kind = _text(properties[props["dedicated_kind"]])
            given.add("dedicated_kind")
            if dedicated_kind not in DedicatedKind.values:
                found.append(Problem("bad_dedicated_kind", ERROR, region, f"属性 {props['dedicated_kind']} = {dedicated_kind!r} 应为 {'/'.join(DedicatedKind.values)}; dedicated kind must be one of those", index))
    target = actual = None
    if props["target_households"] in properties:
        target = _household_count(properties[props["target_households"]], prop=props["target_households"], code=region, index=index, problems=found)
        given.add("target_households")
    if props["households"] in properties:
        actual = _household_count(properties[props["households"]], prop=props["households"], code=region, index=index, problems=found)
        given.add("actual_households")

    geometry, geometry_problems = parse_polygon(feature.get("geometry"), region=region, feature=index)
    found.extend(geometry_problems)
    if geometry is not None and crs != coords.WGS84:
        geometry = coords.geometry_to_wgs84(geometry, crs)
        if not shapely.is_valid(geometry):
            reason = shapely.is_valid_reason(geometry)
            found.append(Problem("invalid_geometry", ERROR, region, f"转换为 WGS-84 后边界无效 polygon invalid after {crs}→WGS-84 conversion: {reason}", index))
    problems.extend(found)
    if code is None or geometry is None:
        return None
    return _FeatureRow(
        index=index, code=code, name=name or "", parent_code=parent_code, geometry=geometry, boundary=shapely.to_geojson(geometry),
        grid_kind=grid_kind, dedicated_kind=dedicated_kind, target_households=target, actual_households=actual, given=given,
    )  # fmt: skip


def _regions_by_code(codes: Iterable[str]) -> dict[str, Region]:
    codes = sorted(set(codes))
    found: dict[str, Region] = {}
    for start in range(0, len(codes), _CODES_PER_QUERY):
        for region in Region.objects.filter(code__in=codes[start : start + _CODES_PER_QUERY]):
            found[region.code] = region
    return found


# Checking against the saved tree ----------------------------------------------------------------


def _effective(row: _FeatureRow, saved: Region | None, name: str, *, default):
    """The value a field will have after the import: from the file, else as saved, else default."""
    if name in row.given:
        return getattr(row, name)
    return getattr(saved, name) if saved is not None else default


def _check_rows(rows: list[_FeatureRow], *, level: str, tolerances: Tolerances, problems: list[Problem]) -> tuple[dict, dict]:
    parents = _regions_by_code(row.parent_code for row in rows if row.parent_code)
    existing = _regions_by_code(row.code for row in rows)
    parent_geometries: dict[str, object] = {}
    for parent in parents.values():
        if parent.boundary:
            geometry, parent_problems = parse_polygon(parent.boundary, region=parent.code)
            parent_geometries[parent.code] = geometry
            if parent_problems:
                problems.append(
                    Problem("parent_boundary_unusable", WARNING, parent.code, f"上级边界无效，未检查下级是否在其内; saved parent boundary is unusable ({parent_problems[0].message}), containment not checked")
                )

    movers = [row for row in rows if row.code in existing and row.parent_code in parents and existing[row.code].parent_id != parents[row.parent_code].id]
    movers_with_children = set(
        Region.objects.filter(parent_id__in=[existing[row.code].id for row in movers]).values_list("parent__code", flat=True)
    ) if movers else set()  # fmt: skip

    for row in rows:
        parent = parents.get(row.parent_code) if row.parent_code else None
        if row.parent_code is None and level not in ROOT_LEVELS:
            problems.append(
                Problem("missing_parent", ERROR, row.code, "没有上级代码：请用 --parent-code 或要素属性指定; no parent code (use --parent-code or a parent property)", row.index)
            )
        elif row.parent_code is not None and parent is None:
            problems.append(Problem("unknown_parent", ERROR, row.code, f"上级代码 {row.parent_code} 不存在; parent code {row.parent_code} is not in the database", row.index))
        if parent is not None:
            problems.extend(check_level_order(level, parent.level, region=row.code, feature=row.index))
        problems.extend(check_code_format(row.code, level, parent_code=row.parent_code, feature=row.index))
        saved = existing.get(row.code)
        if saved is not None and saved.level != level:
            problems.append(
                Problem("code_taken", ERROR, row.code, f"代码已被{saved.get_level_display()} {saved.name} 使用; code already belongs to a {saved.level} ({saved.name})", row.index)
            )
        if row.code in movers_with_children:
            problems.append(
                Problem("move_with_children", ERROR, row.code, f"已有下级的区域不能通过导入改挂到 {row.parent_code}; a region with children cannot be moved to another parent by import", row.index)
            )
        parent_geometry = parent_geometries.get(row.parent_code or "")
        if parent_geometry is not None:
            problems.extend(
                check_inside_parent(row.geometry, parent_geometry, child_code=row.code, parent_code=parent.code, tolerance=tolerances.outside_parent_share, feature=row.index)
            )
        row.grid_kind = _effective(row, saved, "grid_kind", default=GridKind.REGULAR if level == Level.GRID else "")
        target = _effective(row, saved, "target_households", default=None)
        actual = _effective(row, saved, "actual_households", default=None)
        problems.extend(check_households(row.code, level=level, grid_kind=row.grid_kind, target=target, actual=actual, tolerances=tolerances, feature=row.index))

    _check_siblings(rows, parents=parents, tolerances=tolerances, problems=problems)
    return parents, existing


def _check_siblings(rows: list[_FeatureRow], *, parents: dict[str, Region], tolerances: Tolerances, problems: list[Problem]) -> None:
    groups: dict[str | None, list[_FeatureRow]] = defaultdict(list)
    for row in rows:
        groups[row.parent_code if row.parent_code in parents else None].append(row)
    file_codes = {row.code for row in rows}
    saved_by_parent: dict[int, list[dict]] = defaultdict(list)
    parent_ids = [parents[code].id for code in groups if code is not None]
    for start in range(0, len(parent_ids), _CODES_PER_QUERY):
        for saved in (
            Region.objects.filter(parent_id__in=parent_ids[start : start + _CODES_PER_QUERY])
            .exclude(boundary="")
            .values("parent_id", "code", "boundary", "grid_kind")
        ):
            if saved["code"] not in file_codes:
                saved_by_parent[saved["parent_id"]].append(saved)
    for parent_code, members in groups.items():
        siblings = [Sibling(code=row.code, geometry=row.geometry, feature=row.index, dedicated=row.grid_kind == GridKind.DEDICATED) for row in members]
        if parent_code is not None:
            for saved in saved_by_parent[parents[parent_code].id]:
                geometry, saved_problems = parse_polygon(saved["boundary"], region=saved["code"])
                if geometry is not None:
                    siblings.append(Sibling(code=saved["code"], geometry=geometry, dedicated=saved["grid_kind"] == GridKind.DEDICATED, checked=False))
        problems.extend(check_sibling_overlaps(siblings, tolerance=tolerances.sibling_overlap_share))


# Writing ----------------------------------------------------------------------------------------


_UPDATABLE_FIELDS = ("name", "boundary", "grid_kind", "dedicated_kind", "target_households", "actual_households")


def _write_rows(rows: list[_FeatureRow], *, level: str, parents: dict, existing: dict, report: ImportReport, progress: bool) -> bool:
    """Create or update every row; True if any boundary (or grid membership) changed."""
    now = timezone.now()
    to_create: list[Region] = []
    to_update: list[Region] = []
    old_paths: list[tuple[Region, str]] = []  # moved regions (never with children: refused above)
    boundaries_changed = False
    for row in tqdm(rows, desc="写入 writing", unit="feature", file=sys.stderr, disable=not progress):
        parent = parents.get(row.parent_code) if row.parent_code else None
        values = {"name": row.name, "boundary": row.boundary}
        for name in ("grid_kind", "dedicated_kind", "target_households", "actual_households"):
            if name in row.given:
                values[name] = getattr(row, name)
        region = existing.get(row.code)
        if region is None:
            if level == Level.GRID:
                values.setdefault("grid_kind", GridKind.REGULAR)
            region = Region(parent=parent, level=level, code=row.code, **values)
            region.derive_fields()
            to_create.append(region)
            boundaries_changed = True
            continue
        moved = parent is not None and region.parent_id != parent.id
        if not moved and all(getattr(region, name) == value for name, value in values.items()):
            report.unchanged += 1
            continue
        boundaries_changed = boundaries_changed or moved or region.boundary != row.boundary
        for name, value in values.items():
            setattr(region, name, value)
        if moved:
            region.parent = parent
            old_paths.append((region, region.path))
        region.derive_fields()
        region.updated_at = now
        to_update.append(region)
    Region.objects.bulk_create(to_create, batch_size=_BULK_BATCH)
    if to_update:
        fields = [*_UPDATABLE_FIELDS, "parent", "path", "depth", "min_lon", "min_lat", "max_lon", "max_lat", "updated_at"]
        Region.objects.bulk_update(to_update, fields=fields, batch_size=_BULK_BATCH)
        for region, old_path in old_paths:
            signals.region_moved.send(sender=Region, region=region, old_path=old_path)  # bulk_update bypasses Region.save
    report.created, report.updated = len(to_create), len(to_update)
    return boundaries_changed


def import_boundaries(
    *,
    source: str | os.PathLike | bytes,
    level: str,
    parent_code: str | None = None,
    code_prop: str = "code",
    name_prop: str = "name",
    parent_prop: str = "parent_code",
    households_prop: str = "actual_households",
    target_households_prop: str = "target_households",
    grid_kind_prop: str = "grid_kind",
    dedicated_kind_prop: str = "dedicated_kind",
    crs: str = coords.WGS84,
    tolerances: Tolerances | None = None,
    acting_user=None,
    progress: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Create or update (by code) one Region per feature of a GeoJSON FeatureCollection.

    `source` is a path or the file's bytes. Boundaries given in `crs` are stored in WGS-84. Raises
    `ImportFailed` (nothing written) if any feature has an error; warnings are in the report.
    """
    if level not in Level.values:
        raise ValueError(f"未知层级 unknown level {level!r}; expected one of {', '.join(Level.values)}")
    coords.check_crs(crs)
    tolerances = tolerances or Tolerances.from_settings()
    label = _source_label(source)
    features = _load_features(_read_source(source, label=label), label=label)
    props = {
        "code": code_prop, "name": name_prop, "parent": parent_prop, "households": households_prop,
        "target_households": target_households_prop, "grid_kind": grid_kind_prop, "dedicated_kind": dedicated_kind_prop,
    }  # fmt: skip

    problems: list[Problem] = []
    rows: list[_FeatureRow] = []
    first_seen: dict[str, int] = {}
    for index, feature in enumerate(tqdm(features, desc="校验 checking", unit="feature", file=sys.stderr, disable=not progress)):
        row = _parse_feature(index, feature, level=level, default_parent=parent_code, props=props, crs=crs, problems=problems)
        if row is None:
            continue
        if row.code in first_seen:
            problems.append(
                Problem("duplicate_code", ERROR, row.code, f"代码在文件中重复，首次出现于要素 #{first_seen[row.code]}; code also used by feature #{first_seen[row.code]}", index)
            )
            continue
        first_seen[row.code] = index
        rows.append(row)

    parents, existing = _check_rows(rows, level=level, tolerances=tolerances, problems=problems)
    problems.sort(key=lambda p: (p.feature if p.feature is not None else -1, p.severity != ERROR))
    if has_errors(problems):
        raise _refused(problems, source=label)

    report = ImportReport(source=label, level=level, warnings=[p for p in problems if not p.is_error], dry_run=dry_run)
    if dry_run:
        report.unchanged = sum(1 for row in rows if row.code in existing)
        report.created = len(rows) - report.unchanged
        return report
    with transaction.atomic():
        with signals.boundary_changes_batched():
            if _write_rows(rows, level=level, parents=parents, existing=existing, report=report, progress=progress):
                signals.note_boundary_change()
        report.boundary_version = BoundaryVersion.current()
        record(
            actor=acting_user,
            action="regions.import_boundaries",
            target_type="regions.region",
            detail={
                "source": os.path.basename(label), "level": level, "crs": crs, "parent_codes": sorted({r.parent_code for r in rows if r.parent_code})[:50],
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged, "warnings": len(report.warnings),
                "boundary_version": report.boundary_version,
            },
        )  # fmt: skip
    return report


# Official code lists --------------------------------------------------------------------------


def default_china_data_dir() -> Path:
    """Where the official code lists live: $YIWANG_CHINA_DATA_DIR, else the repository's data/china."""
    override = os.environ.get("YIWANG_CHINA_DATA_DIR")
    return Path(override) if override else Path(settings.BASE_DIR) / "data" / "china"


def _read_csv(path: Path, *, needed: Sequence[str], subject: str) -> list[dict]:
    def refuse(code: str, message: str) -> ImportFailed:
        return _refused([Problem(code, ERROR, subject, message)], source=str(path))

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in needed if column not in (reader.fieldnames or [])]
            if missing:
                raise refuse("bad_data_file", f"{path.name} 缺少列 {', '.join(missing)}; missing column(s) {', '.join(missing)}")
            return list(reader)
    except FileNotFoundError as exc:
        raise refuse("missing_data_file", f"找不到官方代码文件 official code list not found: {path} （可用 --data-dir 或 YIWANG_CHINA_DATA_DIR 指定）") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise refuse("bad_data_file", f"无法读取 cannot read {path}: {exc}") from exc


def import_official_codes(*, district_code: str, data_dir: str | os.PathLike | None = None, acting_user=None) -> ImportReport:
    """Create or update a district (6-digit code) and all its streets, towns and townships (level
    street, 12-digit code = 9-digit statistical code + "000") from the official code lists.
    Boundaries are not touched: they come later from `import_boundaries`."""
    district_code = (district_code or "").strip()
    directory = Path(data_dir) if data_dir else default_china_data_dir()
    problems = check_code_format(district_code, Level.DISTRICT)
    if problems:
        raise _refused(problems, source=str(directory))
    areas = _read_csv(directory / AREAS_FILE, needed=("code", "name"), subject=district_code)
    district_row = next((row for row in areas if row["code"].strip() == district_code), None)
    if district_row is None:
        raise _refused(
            [Problem("unknown_district", ERROR, district_code, f"区县代码 {district_code} 不在 {AREAS_FILE} 中; unknown district code {district_code}")],
            source=str(directory / AREAS_FILE),
        )
    streets = [row for row in _read_csv(directory / STREETS_FILE, needed=("code", "name", "areaCode"), subject=district_code) if row["areaCode"].strip() == district_code]
    for row in streets:
        code = row["code"].strip()
        if len(code) != 9 or not code.isdigit() or not code.startswith(district_code):
            problems.append(Problem("bad_data_file", ERROR, code, f"{STREETS_FILE} 中街道代码 {code!r} 不是以 {district_code} 开头的 9 位数字; not a 9-digit code under {district_code}"))
    if problems:
        raise _refused(problems, source=str(directory / STREETS_FILE))

    report = ImportReport(source=str(directory), level=f"{Level.DISTRICT}+{Level.STREET}")
    wanted = {district_code: (Level.DISTRICT, district_row["name"].strip())}
    wanted.update({row["code"].strip() + "000": (Level.STREET, row["name"].strip()) for row in streets})
    with transaction.atomic():
        existing = _regions_by_code(wanted)
        for code, (level, _name) in wanted.items():
            if code in existing and existing[code].level != level:
                problems.append(
                    Problem("code_taken", ERROR, code, f"代码已被{existing[code].get_level_display()} {existing[code].name} 使用; code already belongs to a {existing[code].level}")
                )
        if problems:
            raise _refused(problems, source=str(directory))
        district = existing.get(district_code)
        if district is None:
            district = Region.objects.create(level=Level.DISTRICT, code=district_code, name=wanted[district_code][1])
            report.created += 1
        elif district.name != wanted[district_code][1]:
            district.name = wanted[district_code][1]
            district.save(update_fields=["name", "updated_at"])
            report.updated += 1
        else:
            report.unchanged += 1
        # Official order: 街道 001-099, then 镇 100-199, then 乡 200-399.
        for code in sorted(c for c in wanted if c != district_code):
            name = wanted[code][1]
            street = existing.get(code)
            if street is None:
                Region.objects.create(parent=district, level=Level.STREET, code=code, name=name)
                report.created += 1
            elif street.name != name:
                street.name = name
                street.save(update_fields=["name", "updated_at"])
                report.updated += 1
            else:
                report.unchanged += 1
            if street is not None and street.parent_id != district.id:
                report.warnings.append(
                    Problem("different_parent", WARNING, code, "已存在于其他上级之下，未移动; already saved under another parent, left there")
                )
        record(
            actor=acting_user,
            action="regions.import_codes",
            target_type="regions.region",
            detail={"district": district_code, "name": district.name, "created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        )
    return report

