"""The command screen's figures: KPI tiles, rankings, the map's coloured regions and the trend, all
from the case rollups (yiwang.cases.rollups), never a scan of the case table.

The one exception is the matter filter: the rollups are keyed by region, period, board and
department, not by matter, so with `matter=` the same numbers are counted from the case rows by
`yiwang.cases.indicators.count_by`, the same conditions as every other count.

A "place" is a Region or None (the whole city: every root region). Periods are local dates
[start, end). The numbers are `Indicators` (yiwang.cases.indicators), so every rate means what
docs/indicators.md says.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from yiwang.cases import rollups
from yiwang.cases.indicators import NO_CASES, Indicators, count_by
from yiwang.matters.models import Board
from yiwang.regions.models import Level, Region

from .places import children, grids_under, map_units, region_ids


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


def checked_boards(boards) -> tuple[str, ...] | None:
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


def _matter_by_unit(place: Region | None, units: list[Region], *, matter: int, boards, start, end, as_of) -> dict:
    """{unit pk: Indicators} for the map's or ranking's units, from the case table."""
    from yiwang.cases.indicators import breakdown

    if not units:
        return {}
    cases = _matter_cases(place, matter=matter, boards=boards, start=start, end=end)
    level = units[0].level
    if level == Level.MICRO_GRID:
        if len(units) == 1 and place is not None and units[0].pk == place.pk:
            return {place.pk: count_by(cases, None, as_of=as_of)[None]}
        return count_by(cases, "micro_grid_id", as_of=as_of)
    if level == Level.GRID:
        return count_by(cases, "region_id", as_of=as_of)
    return {row.key: row.indicators for row in breakdown(cases, by="region", parent=place, as_of=as_of)}


def _counted_units(place, units, *, period: Period, boards, matter, as_of) -> dict:
    if matter is not None:
        return _matter_by_unit(place, units, matter=matter, boards=boards, start=period.start, end=period.end, as_of=as_of)
    return rollups.counted(rollups.Filter(tuple(u.pk for u in units), period.start, period.end, boards), by="region", as_of=as_of,
                           counters=TILE_COUNTS)


def kpi(place: Region | None, *, period: Period, boards=None, as_of: datetime | None = None, matter: int | None = None) -> dict:
    """The KPI tiles: today's reports, open and overdue now (whatever their report date), and the
    period's on-time and satisfaction rates, in total and per board."""
    as_of = as_of or timezone.now()
    today = timezone.localdate(as_of)
    ids, boards = region_ids(place), checked_boards(boards)
    if matter is None:
        found = rollups.tiles(rollups.Filter(ids, period.start, period.end, boards), as_of=as_of)
        in_period, now = found.in_period, found.now
        reported_today = {k: Indicators(cases=n) for k, n in found.reported_today.items()}
    else:
        in_period = count_by(_matter_cases(place, matter=matter, boards=boards, start=period.start, end=period.end), "board", as_of=as_of)
        reported_today = count_by(_matter_cases(place, matter=matter, boards=boards, start=today, end=today + timedelta(days=1)),
                                     "board", as_of=as_of)
        now = {k: (i.open, i.open_overdue) for k, i in count_by(_matter_cases(place, matter=matter, boards=boards), "board", as_of=as_of).items()}

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
        **national(place, period=period, boards=boards, matter=matter),
    }


def national(place: Region | None, *, period: Period, boards=None, matter: int | None = None) -> dict:
    """The nine national indicators (cases.national) over the period's cases of the place, board and
    matter: each {value, numerator, denominator} under its name, and `national` listing them in order.
    Not from the rollups (they keep neither stage times nor overdue marks): one aggregate query over
    the period's cases of the place (see docs/indicators.md)."""
    from yiwang.cases.national import COUNT_LABELS, RATES, national_rates

    found = national_rates(_matter_cases(place, matter=matter, boards=checked_boards(boards), start=period.start, end=period.end))
    return {
        **{name: rate.as_dict() for name, rate in found.items()},
        "national": [{"key": name, "label": gettext(label), "numerator_label": gettext(COUNT_LABELS[num]),
                      "denominator_label": gettext(COUNT_LABELS[den]), **found[name].as_dict()} for name, label, num, den in RATES],
    }


def ranking(place: Region | None, *, period: Period, by: str = "region", boards=None, as_of: datetime | None = None,
            order: str = "on_time_rate", matter: int | None = None) -> list[dict]:
    """The units one level down (by="region"), the grids of a street or community (by="grid";
    the micro-grids of a grid) or the handling departments (by="department") with their
    indicators over the period, best first by `order` (rows without a value last)."""
    as_of, boards = as_of or timezone.now(), checked_boards(boards)
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
            found = {k or 0: v for k, v in count_by(cases, "handling_department_id", as_of=as_of).items()}
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
    as_of, boards = as_of or timezone.now(), checked_boards(boards)
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
    as_of, boards = as_of or timezone.now(), checked_boards(boards)
    if matter is None:
        found = rollups.counted(rollups.Filter(region_ids(place), period.start, period.end, boards), by="day", as_of=as_of)
    else:
        from django.db.models.functions import TruncDate

        cases = _matter_cases(place, matter=matter, boards=boards, start=period.start, end=period.end)
        found = count_by(cases, TruncDate("reported_at", tzinfo=timezone.get_current_timezone()), as_of=as_of)
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    return [{"day": d.isoformat(), **tile(found.get(d, NO_CASES))} for d in days]
