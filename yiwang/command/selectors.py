"""The command center's reads: KPI tiles, rankings, the map's coloured regions and the trend,
all from the case rollups (yiwang.cases.rollups), never a scan of the case table.

The one exception is the matter filter: the rollups are keyed by region, period, board and
department, not by matter, so with `matter=` the same numbers are read from the case table
(its (matter, status, reported_at) index narrows the rows) through the formulas of
yiwang.cases.indicators. The map's case points, the live feed and the key-person layer are
row reads too (they show rows, not counts).

A "place" is a Region or None (the whole city: every root region). Periods are local dates
[start, end). The numbers are `Indicators` (yiwang.cases.indicators), so every rate means what
docs/indicators.md says.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from yiwang.cases import rollups
from yiwang.cases.indicators import NO_CASES, Indicators
from yiwang.core.scope import is_command_center_staff, scope_path
from yiwang.core.sql import fetch
from yiwang.matters.models import Board
from yiwang.regions.fields import starts_with_sql
from yiwang.regions.models import Level, Region

# What a region's map and ranking are coloured by; each is a property of Indicators or a count.
# Labels are translated where shown.
MAP_INDICATORS = {
    "cases": gettext_noop("上报数"), "open": gettext_noop("在办数"), "open_overdue": gettext_noop("超期数"),
    "on_time_rate": gettext_noop("按时办结率"), "closing_rate": gettext_noop("办结率"), "satisfaction_rate": gettext_noop("满意率"),
}
# Indicators where a higher value is worse (the map's colour scale runs the other way).
WORSE_WHEN_HIGHER = {"open", "open_overdue"}
DEFAULT_DAYS = 30
PERIOD_DAYS = (7, 30, 90, 365)
RANK_BY = ("region", "grid", "department")


def screen_region(user, code: str | None = None) -> Region | None:
    """The region the user's screen shows: `code` if it is inside their scope, else their own
    region (None: the whole city, for a user scoped to everything). Raises PermissionDenied for users
    without a screen, Http404 for a code outside their scope."""
    if not is_command_center_staff(user):
        raise PermissionDenied("the command screen is for district, street and community staff")
    prefix = scope_path(user)
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or not region.path.startswith(prefix):
            raise Http404(f"no region {code} in your scope")
        return region
    if prefix == "":
        return None
    return Region.objects.get(path=prefix)


def region_ids(place: Region | None) -> tuple[int, ...]:
    if place is not None:
        return (place.pk,)
    return tuple(Region.objects.filter(parent__isnull=True).order_by("path").values_list("pk", flat=True))


class Unit(NamedTuple):
    """A region as the screen lists it (read as plain values: a street has a hundred grids, and
    building model instances for them cost more than reading their counts)."""

    pk: int
    code: str
    name: str
    level: str
    boundary: str


def _units(where: str, params: list, *, boundary: bool, prepare: bool = True) -> list[Unit]:
    """Regions matching a condition, in path order, by one plain statement: compiling the ORM
    query took longer than the database took to answer it."""
    shape = "boundary" if boundary else "''"
    sql = f"SELECT id, code, name, level, {shape} FROM {connection.ops.quote_name(Region._meta.db_table)} WHERE {where} ORDER BY path"
    return [Unit(*row) for row in fetch(sql, params, prepare=prepare)]


def children(place: Region | None, *, boundary: bool = False) -> list[Unit]:
    """The units one level down."""
    if place is None:
        return _units("parent_id IS NULL", [], boundary=boundary)
    return _units("parent_id = %s", [place.pk], boundary=boundary)


def grids_under(place: Region | None, *, boundary: bool = False) -> list[Unit]:
    """The grids of a street or community, the micro-grids of a grid, or the micro-grid itself.
    For a district or the whole city there are too many grids to draw: the units one level down."""
    if place is None or place.level not in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID):
        return children(place, boundary=boundary)
    if place.level == Level.MICRO_GRID:
        return [Unit(place.pk, place.code, place.name, place.level, place.boundary if boundary else "")]
    if place.level == Level.GRID:
        return children(place, boundary=boundary)
    under, params = starts_with_sql("path", place.path)
    return _units(f"level = %s AND {under}", [Level.GRID, *params], boundary=boundary, prepare=False)


def map_units(place: Region | None) -> list[Unit]:
    """What the map colours: grids for a street or community (micro-grids for a grid), the units
    one level down for a district or the whole city."""
    return grids_under(place, boundary=True)


def breadcrumbs(place: Region | None, *, top: str = "") -> list[Region]:
    """The place and its ancestors, root first, from the viewer's own region (path `top`) down:
    never above the viewer's scope."""
    if place is None:
        return []
    from yiwang.regions.models import ancestor_paths

    return list(Region.objects.filter(path__in=[p for p in ancestor_paths(place.path) if p.startswith(top)]).order_by("depth"))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, *, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last(self) -> date:
        """The last day inside the period (the case list's inclusive `until`)."""
        return self.end - timedelta(days=1)


def _boards(boards) -> tuple[str, ...] | None:
    if not boards:
        return None
    if isinstance(boards, str):
        boards = (boards,)
    unknown = [b for b in boards if b not in Board.values]
    if unknown:
        raise ValueError(f"unknown board {unknown[0]!r}")
    return tuple(boards)


def indicator_value(ind: Indicators, name: str) -> float | int | None:
    if name not in MAP_INDICATORS:
        raise ValueError(f"unknown indicator {name!r}; choose one of {', '.join(MAP_INDICATORS)}")
    return getattr(ind, name)


# The counters tile() and MAP_INDICATORS read: the map and the rankings read only these rollup
# columns (the others come back None, so a formula that needed one would fail, not read 0).
TILE_COUNTS = ("cases", "closed", "closed_on_time", "closed_late", "rated", "satisfied", "basic")


def tile(ind: Indicators) -> dict:
    return {"cases": ind.cases, "closed": ind.closed, "open": ind.open, "open_overdue": ind.open_overdue,
            "on_time_rate": ind.on_time_rate, "closing_rate": ind.closing_rate, "satisfaction_rate": ind.satisfaction_rate,
            "judged": ind.judged, "rated": ind.rated, "closed_on_time": ind.closed_on_time, "due": ind.due,
            "satisfied": ind.satisfied + ind.basic}


def sum_indicators(items) -> Indicators:
    items = [i for i in items if i is not None]
    counts = {f.name: sum(getattr(i, f.name) for i in items) for f in fields(Indicators) if f.type in ("int", int)}
    return Indicators(**counts)


# The matter filter: the case table --------------------------------------------------------------

def _matter_cases(place: Region | None, *, matter: int | None, boards, start: date | None = None, end: date | None = None):
    """The cases of one matter (or all) under the place (all boards or some), reported in [start, end)."""
    from yiwang.cases.models import Case

    cases = Case.objects.filter(matter_id=matter) if matter is not None else Case.objects.all()
    if place is not None:
        cases = cases.filter(micro_grid=place) if place.level == Level.MICRO_GRID else cases.filter(region__path__startswith=place.path)
    if boards:
        cases = cases.filter(board__in=boards)
    if start is not None:
        cases = cases.filter(reported_at__gte=rollups.day_start(start))
    if end is not None:
        cases = cases.filter(reported_at__lt=rollups.day_start(end))
    return cases


def _case_table(cases, group, *, as_of: datetime) -> dict:
    """{group key: Indicators} counted from case rows with the indicators' own conditions
    (indicators._aggregates, the one implementation); `group` is a field name, an expression or None."""
    from yiwang.cases import indicators as formulas

    base = formulas._base(cases)
    aggregates = formulas._aggregates(as_of)
    if group is None:
        return {None: Indicators(**base.aggregate(**aggregates))}
    from django.db.models import F

    key = F(group) if isinstance(group, str) else group
    return {row.pop("key"): Indicators(**row) for row in base.values(key=key).annotate(**aggregates)}


def _matter_by_unit(place: Region | None, units: list[Region], *, matter: int, boards, start, end, as_of) -> dict:
    """{unit pk: Indicators} for the map's or ranking's units, from the case table."""
    from yiwang.cases.indicators import breakdown

    if not units:
        return {}
    cases = _matter_cases(place, matter=matter, boards=boards, start=start, end=end)
    level = units[0].level
    if level == Level.MICRO_GRID:
        if len(units) == 1 and place is not None and units[0].pk == place.pk:
            return {place.pk: _case_table(cases, None, as_of=as_of)[None]}
        return _case_table(cases, "micro_grid_id", as_of=as_of)
    if level == Level.GRID:
        return _case_table(cases, "region_id", as_of=as_of)
    return {row.key: row.indicators for row in breakdown(cases, by="region", parent=place, as_of=as_of)}


def _counted_units(place, units, *, period: Period, boards, matter, as_of) -> dict:
    if matter is not None:
        return _matter_by_unit(place, units, matter=matter, boards=boards, start=period.start, end=period.end, as_of=as_of)
    return rollups.counted(rollups.Filter(tuple(u.pk for u in units), period.start, period.end, boards), by="region", as_of=as_of,
                           counters=TILE_COUNTS)


# The screen's reads ------------------------------------------------------------------------------

def kpi(place: Region | None, *, period: Period, boards=None, as_of: datetime | None = None, matter: int | None = None) -> dict:
    """The KPI tiles: today's reports, open and overdue now (whatever their report date), and the
    period's on-time and satisfaction rates, in total and per board."""
    as_of = as_of or timezone.now()
    today = timezone.localdate(as_of)
    ids, boards = region_ids(place), _boards(boards)
    if matter is None:
        found = rollups.tiles(rollups.Filter(ids, period.start, period.end, boards), as_of=as_of)
        in_period, now = found.in_period, found.now
        reported_today = {k: Indicators(cases=n) for k, n in found.reported_today.items()}
    else:
        in_period = _case_table(_matter_cases(place, matter=matter, boards=boards, start=period.start, end=period.end), "board", as_of=as_of)
        reported_today = _case_table(_matter_cases(place, matter=matter, boards=boards, start=today, end=today + timedelta(days=1)),
                                     "board", as_of=as_of)
        now = {k: (i.open, i.open_overdue) for k, i in _case_table(_matter_cases(place, matter=matter, boards=boards), "board", as_of=as_of).items()}

    def tiles(board_keys) -> dict:
        total = sum_indicators(in_period.get(k) for k in board_keys)
        return {
            "today_reported": sum(reported_today[k].cases for k in board_keys if k in reported_today),
            "open_now": sum(now[k][0] for k in board_keys if k in now),
            "overdue_now": sum(now[k][1] for k in board_keys if k in now),
            **{f"period_{name}": value for name, value in tile(total).items()},
        }

    shown = boards or tuple(Board.values)
    present = set(in_period) | set(reported_today) | set(now)
    return {
        "place": place.code if place is not None else None, "start": period.start.isoformat(), "end": period.end.isoformat(),
        "total": tiles(present), "by_board": {b: tiles([b]) for b in shown},
    }


def ranking(place: Region | None, *, period: Period, by: str = "region", boards=None, as_of: datetime | None = None,
            order: str = "on_time_rate", matter: int | None = None) -> list[dict]:
    """The units one level down (by="region"), the grids of a street or community (by="grid";
    the micro-grids of a grid) or the handling departments (by="department") with their
    indicators over the period, best first by `order` (rows without a value last)."""
    as_of, boards = as_of or timezone.now(), _boards(boards)
    if order not in MAP_INDICATORS:
        raise ValueError(f"unknown order {order!r}")
    if by in ("region", "grid"):
        if by == "grid" and (place is None or place.level not in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID)):
            raise ValueError("grids are ranked within a street or community; drill down first")
        units = children(place) if by == "region" else grids_under(place)
        found = _counted_units(place, units, period=period, boards=boards, matter=matter, as_of=as_of)
        rows = [{"key": u.pk, "code": u.code, "label": u.name, "level": u.level, **tile(found.get(u.pk, NO_CASES))} for u in units]
    elif by == "department":
        from yiwang.matters.models import Department

        if matter is None and (place is None or rollups.keeps_departments(place.level)):
            found = rollups.counted(rollups.Filter(region_ids(place), period.start, period.end, boards), by="department", as_of=as_of,
                                    counters=TILE_COUNTS)
        else:
            cases = _matter_cases(place, matter=matter, boards=boards, start=period.start, end=period.end)
            found = {k or 0: v for k, v in _case_table(cases, "handling_department_id", as_of=as_of).items()}
        names = dict(Department.objects.filter(pk__in=[k for k in found if k]).values_list("pk", "name"))
        rows = [{"key": k, "code": str(k), "label": names.get(k, str(k)), "level": "department", **tile(ind)}
                for k, ind in found.items() if k and ind.cases]
    else:
        raise ValueError(f"rank by {by!r}: region, grid or department")
    return sorted(rows, key=lambda r: (r[order] is None, -(r[order] or 0), r["label"]))


@functools.lru_cache(maxsize=4096)
def _geometry(boundary: str) -> dict:
    """A boundary's GeoJSON, parsed once per process (the map redraws the same units all day; the
    text is the key, so an edited boundary is parsed afresh). Shared: callers must not change it."""
    return json.loads(boundary)


def map_layer(place: Region | None, *, period: Period, indicator: str = "on_time_rate", boards=None,
              as_of: datetime | None = None, matter: int | None = None) -> dict:
    """GeoJSON of the map's units (`map_units`: grids under a street or community, micro-grids
    under a grid, the units one level down for a district or the city), each with its indicators
    and `value` (the chosen one)."""
    if indicator not in MAP_INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r}")
    as_of, boards = as_of or timezone.now(), _boards(boards)
    units = map_units(place)
    found = _counted_units(place, units, period=period, boards=boards, matter=matter, as_of=as_of)
    features = []
    for u in units:
        ind = found.get(u.pk, NO_CASES)
        features.append({
            "type": "Feature", "geometry": _geometry(u.boundary) if u.boundary else None,
            "properties": {"code": u.code, "name": u.name, "level": u.level, "value": indicator_value(ind, indicator),
                           "drill": u.level != Level.MICRO_GRID and (place is None or u.pk != place.pk), **tile(ind)},
        })
    return {"type": "FeatureCollection", "indicator": indicator, "label": gettext(MAP_INDICATORS[indicator]),
            "worse_when_higher": indicator in WORSE_WHEN_HIGHER, "features": features}


def trend(place: Region | None, *, period: Period, boards=None, as_of: datetime | None = None, matter: int | None = None) -> list[dict]:
    """Per day of the period: cases reported that day and how those cases stand now."""
    as_of, boards = as_of or timezone.now(), _boards(boards)
    if matter is None:
        found = rollups.counted(rollups.Filter(region_ids(place), period.start, period.end, boards), by="day", as_of=as_of)
    else:
        from django.db.models.functions import TruncDate

        cases = _matter_cases(place, matter=matter, boards=boards, start=period.start, end=period.end)
        found = _case_table(cases, TruncDate("reported_at", tzinfo=timezone.get_current_timezone()), as_of=as_of)
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    return [{"day": d.isoformat(), **tile(found.get(d, NO_CASES))} for d in days]



# Rows on the map: open cases, key persons, devices, care coverage -------------------------------

MAP_CASE_LIMIT = 300


def _place_q(place: Region | None, *, field: str = "region__path") -> Q:
    if place is None:
        return Q()
    return Q(**{f"{field}__startswith": place.path})


def _centre(region) -> tuple[float, float] | None:
    if region is None or region.min_lon is None:
        return None
    return ((region.min_lon + region.max_lon) / 2, (region.min_lat + region.max_lat) / 2)


def case_light():
    """yiwang.web.case_views.light_of (the deadline light with its word). The API package is loaded
    first: case_views imports yiwang.cases.api, which must not be the first to load yiwang.api."""
    import yiwang.api  # noqa: F401
    from yiwang.web.case_views import light_of

    return light_of


def map_cases(user, place: Region | None, *, boards=None, matter: int | None = None, limit: int = MAP_CASE_LIMIT,
              as_of: datetime | None = None) -> dict:
    """The open cases under the place, most urgent first (overdue step, then the nearest step
    deadline), at most `limit`, each with its deadline light. A case without a position is drawn
    at its grid's centre (`approximate`)."""
    from yiwang.cases.models import Case

    light_of = case_light()
    as_of, boards = as_of or timezone.now(), _boards(boards)
    cases = Case.objects.restrict(user).open()
    if place is not None:
        cases = cases.filter(micro_grid=place) if place.level == Level.MICRO_GRID else cases.filter(region__path__startswith=place.path)
    if boards:
        cases = cases.filter(board__in=boards)
    if matter is not None:
        cases = cases.filter(matter_id=matter)
    from django.db.models import F

    ordered = cases.select_related("matter", "region").order_by(F("step_overdue").desc(), F("step_due_at").asc(nulls_last=True), "reported_at")
    rows = list(ordered[: limit + 1])
    more = len(rows) > limit
    items = []
    for case in rows[:limit]:
        lon, lat, approximate = case.lon, case.lat, False
        if lon is None:
            centre = _centre(case.region)
            if centre is None:
                continue
            (lon, lat), approximate = centre, True
        light = light_of(case, as_of)
        items.append({
            "number": case.number, "lon": lon, "lat": lat, "approximate": approximate, "status": case.status,
            "status_label": str(case.get_status_display()), "matter": case.matter.name, "grid": case.region.name,
            "address": case.address, "light": light["colour"] if light else "none", "light_text": str(light["text"]) if light else "",
            "reported_at": case.reported_at.isoformat(), "url": f"/cases/{case.number}/",
        })
    total = cases.count() if more else len(rows)
    return {"items": items, "shown": len(items), "total": total, "more": more, "limit": limit}


def key_person_heat(place: Region | None, *, user=None, limit: int = 20_000) -> dict:
    """Key persons (any key-group tag) as heat points [lat, lon, weight]. A person's position is
    their household's house's building (the registry has no coordinates on persons or houses);
    without one, the centre of the grid or micro-grid they are registered in. Persons in a
    sensitive group count only for viewers allowed to see those groups: a heat point per building
    would otherwise show where they live."""
    from django.db.models import Count

    from yiwang.core.scope import may_see_sensitive_groups
    from yiwang.registry.models import SENSITIVE_GROUPS, PersonTag

    tags = PersonTag.objects.filter(_place_q(place, field="person__region__path"))
    if not may_see_sensitive_groups(user):
        tags = tags.exclude(person_id__in=PersonTag.objects.filter(tag__in=SENSITIVE_GROUPS).values("person_id"))
    rows = (tags.order_by().values("person__household__house__building__lon", "person__household__house__building__lat", "person__region_id")
            .annotate(n=Count("person", distinct=True)))
    points: dict[tuple[float, float], int] = {}
    missing: dict[int, int] = {}
    persons = located = 0
    for row in rows[:limit]:
        lon, lat, n = row["person__household__house__building__lon"], row["person__household__house__building__lat"], row["n"]
        persons += n
        if lon is not None and lat is not None:
            points[(lat, lon)] = points.get((lat, lon), 0) + n
            located += n
        else:
            missing[row["person__region_id"]] = missing.get(row["person__region_id"], 0) + n
    for region in Region.objects.filter(pk__in=list(missing)).only("min_lon", "min_lat", "max_lon", "max_lat"):
        centre = _centre(region)
        if centre is not None:
            points[(centre[1], centre[0])] = points.get((centre[1], centre[0]), 0) + missing[region.pk]
    return {"points": [[lat, lon, n] for (lat, lon), n in points.items()], "persons": persons, "located": located,
            "by_grid_centre": persons - located}


def devices(user, place: Region | None, *, since: datetime) -> list[dict]:
    """Devices under the place with their alerts since `since` and the last alert."""
    from django.db.models import Count, Max

    from yiwang.cases.models import Device

    rows = (Device.objects.restrict(user).filter(_place_q(place)).select_related("matter")
            .annotate(alert_count=Count("alerts", filter=Q(alerts__received_at__gte=since)), last_alert=Max("alerts__received_at"))
            .order_by("-alert_count", "code")[:500])
    return [{"code": d.code, "name": d.name, "lon": d.lon, "lat": d.lat, "active": d.active, "matter": d.matter.name,
             "alerts": d.alert_count, "last_alert": d.last_alert.isoformat() if d.last_alert else None} for d in rows]


def recent_alerts(user, place: Region | None, *, limit: int = 10) -> list[dict]:
    from yiwang.cases.models import DeviceAlert

    rows = (DeviceAlert.objects.restrict(user).filter(_place_q(place, field="device__region__path"))
            .select_related("device", "case").order_by("-received_at")[:limit])
    return [{"device": a.device.name, "kind": a.kind, "at": a.received_at.isoformat(), "case": a.case.number} for a in rows]


def care_coverage(place: Region | None, user, *, worst: int = 12) -> dict:
    """Key-person care (yiwang.gridwork.selectors): totals and the grids with the lowest coverage,
    counting only the persons `user` may see (need to know, sensitive groups only with the
    permission): a count per grid of persons under a sensitive-group plan would tell where they live."""
    from yiwang.gridwork import selectors as gridwork

    path = place.path if place is not None else ""
    rows = gridwork.care_rows(region_path=path, viewer=user)
    totals = gridwork.totals(rows)
    grids = [g for g in gridwork.coverage_by_grid(rows, region_path=path) if g.under_plan and g.grid.path.startswith(path)]
    grids.sort(key=lambda g: (g.rate if g.rate is not None else 2, g.grid.path))
    return {"totals": totals, "grids": [{"code": g.grid.code, "name": g.grid.name, "under_plan": g.under_plan, "covered": g.covered,
                                         "overdue": g.overdue, "rate": g.rate, "percent": g.percent, "workers": g.workers}
                                        for g in grids[:worst]], "grid_count": len(grids)}


# The live feed -----------------------------------------------------------------------------------

FEED_ACTIONS = {"report": "new", "mark_overdue": "overdue"}


FEED_OVERLAP = 50  # event ids re-read behind the cursor: a transaction may commit after a later id is visible
FEED_FIRST_DAYS = 7  # the first load looks this far back (the event time index), never the whole history


def feed(user, place: Region | None, *, after: int | None = None, limit: int = 20, as_of: datetime | None = None) -> dict:
    """New cases and cases that just went overdue under the place, as timeline events. Without a
    cursor: the latest `limit` of the last week, newest first. With `after` (the `cursor` of the
    previous answer): the events after it, oldest first, at most `limit`, `more` true when there are
    others still to fetch; the few ids just behind the cursor are read again (the client skips ids it
    has shown), because on PostgreSQL an earlier id can commit after a later one was seen."""
    from yiwang.cases.models import CaseEvent

    light_of = case_light()

    as_of = as_of or timezone.now()
    # The place was checked against the viewer's scope (screen_region); screen roles see their subtree.
    events = CaseEvent.objects.filter(action__in=list(FEED_ACTIONS))
    if place is not None:
        events = events.filter(case__micro_grid=place) if place.level == Level.MICRO_GRID else events.filter(case__region__path__startswith=place.path)
    elif scope_path(user) != "":
        raise PermissionDenied("the whole city is for users scoped to it")
    more = False
    if after is None:
        rows = list(events.filter(at__gte=as_of - timedelta(days=FEED_FIRST_DAYS)).select_related("case__matter", "case__region")
                    .order_by("-pk")[:limit])
        cursor = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    else:
        fresh = list(events.filter(pk__gt=after).select_related("case__matter", "case__region").order_by("pk")[:limit + 1])
        more = len(fresh) > limit
        fresh = fresh[:limit]
        cursor = fresh[-1].pk if fresh else after
        late = list(events.filter(pk__gt=max(after - FEED_OVERLAP, 0), pk__lte=after).select_related("case__matter", "case__region").order_by("pk"))
        rows = late + fresh
    items = []
    for event in rows:
        case = event.case
        light = light_of(case, as_of)
        items.append({
            "id": event.pk, "kind": FEED_ACTIONS[event.action], "at": event.at.isoformat(), "number": case.number,
            "matter": case.matter.name, "grid": case.region.name, "status": case.status, "status_label": str(case.get_status_display()),
            "open": case.is_open, "light": light["colour"] if light else "none", "light_text": str(light["text"]) if light else "",
            "url": f"/cases/{case.number}/",
        })
    return {"items": items, "cursor": cursor, "more": more}

