"""Checks on region codes and boundaries that explain themselves.

Nothing here raises on bad data: every check returns a list of `Problem`s saying which region (or
which feature of an import file) is at fault, how bad it is ("error" refuses the data, "warning"
only flags it) and why, in words a district data clerk can act on. The importer refuses a file
with any error; `validate_tree` and `yiwang validate_regions CODE` audit what is already saved.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings

from .models import LEVEL_ORDER, GridKind, Level

ERROR = "error"
WARNING = "warning"

POLYGON_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Problem:
    code: str  # machine-readable kind, e.g. "self_intersection"
    severity: str  # ERROR or WARNING
    region: str  # the region code at fault, or a feature label when it has none
    message: str
    feature: int | None = None  # position of the feature in an import file (0-based)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"要素 feature #{self.feature}" if self.feature is not None else ""
        if self.region:
            where = f"{where} ({self.region})" if where else self.region
        label = "错误 error" if self.is_error else "警告 warning"
        return f"[{label}] {where}: {self.message}" if where else f"[{label}] {self.message}"

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "region": self.region, "feature": self.feature, "message": self.message}


@dataclass(frozen=True)
class Tolerances:
    """How much imperfection hand-drawn boundaries may have before we refuse them."""

    # Share of a child's area allowed outside its parent (digitising slop along shared borders).
    outside_parent_share: float = 0.01
    # Overlap of two siblings, as a share of the smaller one's area.
    sibling_overlap_share: float = 0.01
    # Households per regular grid (the 300-500 rule); outside it is a warning, not a refusal.
    min_households: int = 300
    max_households: int = 500

    @classmethod
    def from_settings(cls) -> Tolerances:
        return cls(
            outside_parent_share=float(getattr(settings, "REGION_OUTSIDE_PARENT_SHARE", cls.outside_parent_share)),
            sibling_overlap_share=float(getattr(settings, "REGION_SIBLING_OVERLAP_SHARE", cls.sibling_overlap_share)),
            min_households=int(getattr(settings, "GRID_MIN_HOUSEHOLDS", cls.min_households)),
            max_households=int(getattr(settings, "GRID_MAX_HOUSEHOLDS", cls.max_households)),
        )


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.is_error for p in problems)


# Geometry -------------------------------------------------------------------------------------


def parse_polygon(value, *, region: str = "", feature: int | None = None):
    """A GeoJSON Polygon/MultiPolygon (dict or text) → (shapely geometry or None, problems)."""

    def fail(code: str, message: str):
        return None, [Problem(code, ERROR, region, message, feature)]

    if value is None or value == "" or value == {}:
        return fail("missing_geometry", "缺少边界 geometry is missing")
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            return fail("unparsable_geometry", f"边界不是合法的 GeoJSON geometry is not valid JSON: {exc}")
    if not isinstance(value, dict):
        return fail("unparsable_geometry", f"边界应为 GeoJSON 对象 geometry must be a GeoJSON object, got {type(value).__name__}")
    kind = value.get("type")
    if kind not in POLYGON_TYPES:
        return fail("not_polygon", f"边界类型为 {kind!r}，只接受 Polygon 或 MultiPolygon (geometry type {kind!r} is not Polygon/MultiPolygon)")
    try:
        geometry = shapely.from_geojson(json.dumps(value))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        return fail("unparsable_geometry", f"边界坐标无法解析 geometry coordinates cannot be read: {exc}")
    if geometry is None or geometry.is_empty:
        return fail("empty_geometry", "边界为空 geometry has no coordinates")
    # Heights (a third coordinate) mean nothing for a boundary; drop them.
    geometry = shapely.force_2d(geometry)
    min_lon, min_lat, max_lon, max_lat = shapely.bounds(geometry)
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        return fail("coordinates_out_of_range", "边界含非数值坐标 geometry has non-finite coordinates")
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        return fail(
            "coordinates_out_of_range",
            f"坐标超出经纬度范围 coordinates outside lon/lat range: lon {min_lon:g}..{max_lon:g}, lat {min_lat:g}..{max_lat:g} "
            "（经纬度是否颠倒或使用了投影坐标? swapped or projected coordinates?）",
        )
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        if "self-intersection" in reason.lower():
            return fail("self_intersection", f"边界自相交 polygon intersects itself: {reason}")
        return fail("invalid_geometry", f"边界无效 polygon is invalid: {reason}")
    if shapely.area(geometry) <= 0:
        return fail("empty_geometry", "边界面积为零 polygon has zero area")
    return geometry, []


def check_inside_parent(child, parent, *, child_code: str, parent_code: str, tolerance: float, feature: int | None = None) -> list[Problem]:
    child_area = shapely.area(child)
    if child_area <= 0:
        return []
    outside_share = shapely.area(shapely.difference(child, parent)) / child_area
    if outside_share <= tolerance:
        return []
    return [
        Problem(
            "outside_parent",
            ERROR,
            child_code,
            f"边界有 {outside_share:.1%} 在上级 {parent_code} 之外（允许 {tolerance:.1%}）； "
            f"{outside_share:.1%} of the area lies outside parent {parent_code} (allowed {tolerance:.1%})",
            feature,
        )
    ]


@dataclass
class Sibling:
    """One member of a sibling group for the overlap check."""

    code: str
    geometry: object
    feature: int | None = None  # set for rows coming from an import file
    dedicated: bool = False
    checked: bool = True  # False: only compared against, never reported (e.g. saved neighbours)


def check_sibling_overlaps(siblings: Sequence[Sibling], *, tolerance: float) -> list[Problem]:
    """Pairs of siblings overlapping by more than `tolerance` of the smaller one's area.

    A dedicated grid (a school, a hospital) lies inside the regular grid around it by design, so
    pairs of one dedicated and one regular grid are not compared.
    """
    if len(siblings) < 2:
        return []
    geometries = np.array([s.geometry for s in siblings], dtype=object)
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    overlap = shapely.area(shapely.intersection(geometries[left], geometries[right]))
    smaller = np.minimum(shapely.area(geometries[left]), shapely.area(geometries[right]))
    share = np.divide(overlap, smaller, out=np.zeros_like(overlap), where=smaller > 0)
    problems = []
    for i, j, s in zip(left.tolist(), right.tolist(), share.tolist()):
        a, b = siblings[i], siblings[j]
        if s <= tolerance or a.dedicated != b.dedicated or not (a.checked or b.checked):
            continue
        # Report on the later of the two (the newcomer) unless it is only there for comparison;
        # the other one is named in the message.
        subject, other = (b, a) if b.checked else (a, b)
        other_label = other.code + (f" （要素 feature #{other.feature}）" if other.feature is not None else "")
        problems.append(
            Problem(
                "sibling_overlap",
                ERROR,
                subject.code,
                f"与同级 {other_label} 重叠 {s:.1%} （允许 {tolerance:.1%}）； overlaps sibling {other_label} by {s:.1%} of the smaller area (allowed {tolerance:.1%})",
                subject.feature,
            )
        )
    return problems


# Codes and households ---------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


def _level_label(level: str) -> str:
    try:
        return f"{Level(level).label}({level})"
    except ValueError:
        return level


def check_level_order(level: str, parent_level: str | None, *, region: str, feature: int | None = None) -> list[Problem]:
    """A parent must sit above its child in the tree (street above community, grid above micro-grid)."""
    if parent_level is None:
        return []
    if LEVEL_ORDER.index(Level(parent_level)) < LEVEL_ORDER.index(Level(level)):
        return []
    return [
        Problem(
            "level_order",
            ERROR,
            region,
            f"上级层级 {_level_label(parent_level)} 不高于本级 {_level_label(level)}; parent level must be above {level}",
            feature,
        )
    ]


def check_code_format(code: str, level: str, *, parent_code: str | None = None, region: str | None = None, feature: int | None = None) -> list[Problem]:
    """The statistical code rules: district 6 digits; street 9 digits + "000"; community 12 digits
    starting with its street's 9; grid = parent code + 3 digits; micro-grid = grid code + 2 digits."""
    region = code if region is None else region
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem("code_format", ERROR, region, f"代码 {code!r} 不符合{_level_label(level)}编码规则： {message}", feature))

    if not code or not _DIGITS.fullmatch(code):
        bad("只能由数字组成 code must be digits only")
        return problems
    if level == Level.DISTRICT:
        if len(code) != 6:
            bad("区县代码应为 6 位 a district code has 6 digits")
    elif level == Level.STREET:
        if len(code) != 12 or not code.endswith("000"):
            bad("街道/乡镇代码应为 12 位，即 9 位统计代码加 000; a street code has 12 digits: the 9-digit code + '000'")
        elif parent_code and len(parent_code) == 6 and not code.startswith(parent_code):
            bad(f"应以所属区县代码 {parent_code} 开头; must start with its district code {parent_code}")
    elif level == Level.COMMUNITY:
        if len(code) != 12 or code.endswith("000"):
            bad("社区/村代码应为 12 位且末 3 位不为 000; a community code has 12 digits, not ending in '000'")
        elif parent_code and len(parent_code) == 12 and not code.startswith(parent_code[:9]):
            bad(f"应以所属街道代码前 9 位 {parent_code[:9]} 开头; must start with its street's first 9 digits {parent_code[:9]}")
    elif level == Level.GRID:
        if parent_code:
            if len(code) != len(parent_code) + 3 or not code.startswith(parent_code):
                bad(f"网格代码应为上级代码 {parent_code} 加 3 位序号; a grid code is its parent's code {parent_code} + 3 digits")
        elif len(code) != 15:
            bad("网格代码应为 15 位（社区代码 + 3 位）； a grid code has 15 digits (community code + 3)")
    elif level == Level.MICRO_GRID:
        if parent_code:
            if len(code) != len(parent_code) + 2 or not code.startswith(parent_code):
                bad(f"微网格代码应为网格代码 {parent_code} 加 2 位序号; a micro-grid code is its grid's code {parent_code} + 2 digits")
        elif len(code) != 17:
            bad("微网格代码应为 17 位（网格代码 + 2 位）； a micro-grid code has 17 digits (grid code + 2)")
    return problems


def check_households(
    code: str, *, level: str, grid_kind: str, target: int | None, actual: int | None, tolerances: Tolerances, feature: int | None = None
) -> list[Problem]:
    """A regular grid should hold 300-500 households; outside that it is flagged for review."""
    if level != Level.GRID or grid_kind == GridKind.DEDICATED:
        return []
    low, high = tolerances.min_households, tolerances.max_households
    problems = []
    for label, value in (("目标户数 target_households", target), ("实际户数 actual_households", actual)):
        if value is not None and not (low <= value <= high):
            problems.append(
                Problem(
                    "households_out_of_range",
                    WARNING,
                    code,
                    f"{label} = {value}，不在综合网格 {low}-{high} 户范围内; a regular grid should have {low}-{high} households",
                    feature,
                )
            )
    return problems


# Saved subtrees --------------------------------------------------------------------------------


def validate_tree(root, *, tolerances: Tolerances | None = None) -> list[Problem]:
    """Every check above, on `root` and everything below it as saved in the database."""
    from .models import Region

    tolerances = tolerances or Tolerances.from_settings()
    fields = ("id", "parent_id", "level", "code", "path", "grid_kind", "boundary", "target_households", "actual_households")
    rows = list(root.subtree().order_by("path").values(*fields))
    by_id = {row["id"]: row for row in rows}
    if root.parent_id is not None and root.parent_id not in by_id:
        parent = Region.objects.filter(pk=root.parent_id).values(*fields).first()
        if parent:
            by_id[parent["id"]] = parent

    problems: list[Problem] = []
    geometries: dict[int, object] = {}
    for row in by_id.values():
        if row["boundary"]:
            geometry, found = parse_polygon(row["boundary"], region=row["code"])
            geometries[row["id"]] = geometry
            if row["id"] != root.parent_id:
                problems.extend(found)

    children: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        parent = by_id.get(row["parent_id"])
        children[row["parent_id"]].append(row)
        problems.extend(check_code_format(row["code"], row["level"], parent_code=parent["code"] if parent else None))
        if parent is not None:
            problems.extend(check_level_order(row["level"], parent["level"], region=row["code"]))
        problems.extend(
            check_households(
                row["code"], level=row["level"], grid_kind=row["grid_kind"], target=row["target_households"], actual=row["actual_households"], tolerances=tolerances
            )
        )
        child_geometry, parent_geometry = geometries.get(row["id"]), geometries.get(row["parent_id"])
        if child_geometry is not None and parent_geometry is not None:
            problems.extend(
                check_inside_parent(child_geometry, parent_geometry, child_code=row["code"], parent_code=parent["code"], tolerance=tolerances.outside_parent_share)
            )

    for parent_id, group in children.items():
        siblings = [
            Sibling(code=row["code"], geometry=geometries[row["id"]], dedicated=row["grid_kind"] == GridKind.DEDICATED)
            for row in group
            if geometries.get(row["id"]) is not None
        ]
        problems.extend(check_sibling_overlaps(siblings, tolerance=tolerances.sibling_overlap_share))

    order = {row["code"]: row["path"] for row in rows}
    problems.sort(key=lambda p: (order.get(p.region, ""), p.severity != ERROR, p.code))
    return problems
