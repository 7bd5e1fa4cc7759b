"""Read-side queries over the region tree: figures per child unit, the people on duty, cached rows.

What the map tells about a unit comes from the apps that keep people, which regions does not know:
each declares what it counts (`add_figure`) and who answers for a unit (`add_on_duty`) in its own
`region_summary` module, imported at start-up (`RegionsConfig.ready`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db.models import Q, QuerySet

from .models import Level, Region, ancestor_paths

# (owning region id, count) pairs for everything under a region path; grouping by owner keeps a
# figure one query however many children are folded from it.
CountsByOwner = Callable[[str], list[tuple[int, int]]]

FIGURES: dict[str, str] = {}  # figure key -> label, in the order they were declared
_counters: dict[str, CountsByOwner] = {}
_on_duty_sources: list[Callable[[Region], list[dict]]] = []


def add_figure(key: str, label, counts_by_owner: CountsByOwner) -> None:
    """Declare a figure of the map: its key (in the API), its label and how it is counted."""
    FIGURES[key] = label
    _counters[key] = counts_by_owner


def add_on_duty(source: Callable[[Region], list[dict]]) -> None:
    """Declare where the people answering for a unit come from: `source(region)` gives dicts with
    name, role, kind and, for shifts, until."""
    if source not in _on_duty_sources:
        _on_duty_sources.append(source)


class Figures(dict):
    """A unit's figures by key, every declared figure present (0 when none); `figures.persons` reads one."""

    def __init__(self, counts: Mapping[str, int] | None = None):
        super().__init__(dict.fromkeys(FIGURES, 0))
        self.update(counts or {})

    def __getattr__(self, key: str) -> int:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def as_dict(self) -> dict:
        return dict(self)


def _child_of(path: str, depth: int) -> str:
    """The code of the ancestor at `depth` on a region path ("/a/b/c/" at depth 1 -> "b")."""
    parts = path.strip("/").split("/")
    return parts[depth] if len(parts) > depth else ""


def _counts_by_owner(path: str) -> dict[str, list[tuple[int, int]]]:
    return {figure: count(path) for figure, count in _counters.items()}


def figures_by_child(parent: Region) -> dict[str, Figures]:
    """Figures for each child of `parent`, keyed by child code: the grouped counts folded up to
    the child level in Python instead of one query per child."""
    paths = dict(Region.objects.filter(path__startswith=parent.path).values_list("id", "path"))
    child_depth = parent.depth + 1
    result = {code: Figures() for code in Region.objects.filter(parent=parent).values_list("code", flat=True)}
    for figure, rows in _counts_by_owner(parent.path).items():
        for region_id, n in rows:
            code = _child_of(paths.get(region_id, ""), child_depth)
            if code in result:
                result[code][figure] += n
    return result


def figures_for(region: Region) -> Figures:
    return Figures({figure: sum(n for _, n in rows) for figure, rows in _counts_by_owner(region.path).items()})


def on_duty(region: Region) -> list[dict]:
    """Who answers for this unit, from every declared source in turn."""
    return [person for source in _on_duty_sources for person in source(region)]


# Region rows for the hot path of intake (the grid a point fell in and its ancestors), kept per
# process and dropped whenever the point-to-grid index is rebuilt, i.e. when boundaries, codes or the
# tree change anywhere (see regions.signals), and at least every minute for renamed nodes.
_region_rows: dict[object, Region] = {}
_region_rows_index: object = None
_region_rows_since = 0.0


def cached_regions(*, ids=(), codes=()) -> dict[object, Region]:
    """Regions by id and by code; the same objects are shared by requests: read them, never save them."""
    import time

    from . import lookup

    global _region_rows_index, _region_rows_since
    index = lookup.current_index()
    if index is not _region_rows_index or time.monotonic() - _region_rows_since > 60:
        _region_rows.clear()
        _region_rows_index, _region_rows_since = index, time.monotonic()
    missing_ids = [i for i in ids if i not in _region_rows]
    missing_codes = [c for c in codes if ("code", c) not in _region_rows]
    if missing_ids or missing_codes:
        for region in Region.objects.filter(Q(pk__in=missing_ids) | Q(code__in=missing_codes)):
            _region_rows[region.pk] = _region_rows[("code", region.code)] = region
    found: dict[object, Region] = {i: _region_rows[i] for i in ids if i in _region_rows}
    found.update({c: _region_rows[("code", c)] for c in codes if ("code", c) in _region_rows})
    return found


def community_of(region: Region | None) -> Region | None:
    """The community (社区/村) a region lies in, the region itself if it is one; None above or outside one."""
    if region is None:
        return None
    if region.level == Level.COMMUNITY:
        return region
    return Region.objects.filter(level=Level.COMMUNITY, path__in=ancestor_paths(region.path)).first()


def under_region(qs: QuerySet, code: str | None, field: str = "region__path") -> QuerySet:
    """Rows of an already scoped queryset under the region with this code (none if unknown)."""
    if not code:
        return qs
    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return qs.filter(**{f"{field}__startswith": path}) if path else qs.none()


# The levels the maps' own base outlines and labels (yiwang/regions/basemap.py), coarsest first.
OUTLINE_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID)
OUTLINE_LIMIT = 2000


def outlines(regions: QuerySet, bbox: tuple[float, float, float, float] | None) -> tuple[list[dict], bool]:
    """Street, community and grid outlines with their names as GeoJSON features, those touching
    `bbox` (min lon, min lat, max lon, max lat) when given; at most OUTLINE_LIMIT, coarsest first,
    and whether more were left off. `regions` is already scoped (or the public tree)."""
    qs = regions.filter(level__in=OUTLINE_LEVELS).exclude(boundary="")
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)
    rows = list(qs.order_by("depth", "code").only("code", "name", "level", "boundary")[: OUTLINE_LIMIT + 1])
    features = [{"type": "Feature", "geometry": r.geometry, "properties": {"code": r.code, "name": r.name, "level": r.level}}
                for r in rows[:OUTLINE_LIMIT]]
    return features, len(rows) > OUTLINE_LIMIT
