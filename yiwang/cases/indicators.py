"""Case indicators (考核指标): on-time closing, closing, rework, extension, overdue and satisfaction
rates, and the working hours a case takes to close, for any set of cases and per group.

The definitions (population, numerators, denominators, edge cases, percentile method) are in
docs/indicators.md; this module is their one implementation. Counts are computed in the database
with conditional `Count(filter=Q(...))` aggregates (one query, grouped for a breakdown); the
working-hour percentiles are computed here over the closed cases' (reported_at, closed_at) pairs
(a second query), because working time needs the calendar (`yiwang.worktime`). Also one case's
deadline light with its word (`light_of`), as the pages, the API and the command screen show it.

Nothing here writes; the results depend only on the rows, `as_of` and the calendar.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from django.db import models
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.worktime.sla import Light, light_at

from .models import DONE_STATUSES, OPEN_STATUSES, VOID_STATUSES, Case, Rating

BY = ("region", "department", "matter", "board", "worker")

# Labels of the groups whose key is empty.
NO_DEPARTMENT = "无办理部门"
NO_HANDLER = "无处置人"
OWN_LEVEL = "（本级）"

EMPTY = "—"


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def percentile(values, p: float) -> float | None:
    """The p-th percentile (0 <= p <= 100) by linear interpolation between closest ranks.

    Sorted x[0..n-1]: position h = (n - 1) * p / 100, result x[floor h] + (h - floor h) *
    (x[floor h + 1] - x[floor h]). This is numpy's default ("linear"), Excel's PERCENTILE.INC
    and Hyndman & Fan type 7; p = 50 is the usual median. None for no values.
    """
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not within 0..100")
    h = (len(xs) - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def format_rate(value: float | None, digits: int = 1) -> str:
    """0.8571 → "85.7%"; None → "—"."""
    return EMPTY if value is None else f"{value * 100:.{digits}f}%"


def format_hours(value: float | None, digits: int = 1) -> str:
    return EMPTY if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class Indicators:
    """Counts over one population of cases, the rates derived from them, and hours to close.

    Every rate is a property: numerator / denominator, None when the denominator is 0.
    """

    cases: int = 0  # non-void cases (the population)
    voided: int = 0  # rejected or merged cases, left out of everything else
    closed: int = 0  # status closed or rated
    closed_on_time: int = 0  # closed, with a deadline, closed_at <= close_due_at
    closed_late: int = 0  # closed, with a deadline, closed_at > close_due_at
    closed_undated: int = 0  # closed without close_due_at or closed_at: cannot be judged on time
    open: int = 0  # still open (any open status)
    open_overdue: int = 0  # open and past close_due_at at as_of (clock paused before due: not yet)
    handled: int = 0  # handled at least once (handled_at set)
    reworked: int = 0  # handled and sent back for rework at least once
    extended: int = 0  # at least one approved extension
    overdue: int = 0  # ever_overdue, or open_overdue, or closed_late
    rated: int = 0  # has a rating
    satisfied: int = 0
    basic: int = 0
    work_hours_median: float | None = None  # working hours reported_at → closed_at, closed cases
    work_hours_p90: float | None = None
    wall_hours_median: float | None = None  # wall-clock hours, same cases
    wall_hours_p90: float | None = None

    @property
    def due(self) -> int:
        """Due to close (应结案): closed, or open and past the deadline."""
        return self.closed + self.open_overdue

    @property
    def judged(self) -> int:
        """Due to close and with a deadline to judge against: the on-time rate's denominator."""
        return self.closed_on_time + self.closed_late + self.open_overdue

    @property
    def late(self) -> int:
        return self.closed_late + self.open_overdue

    @property
    def unsatisfied(self) -> int:
        return self.rated - self.satisfied - self.basic

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.closed_on_time, self.judged)

    @property
    def closing_rate(self) -> float | None:
        return ratio(self.closed, self.due)

    @property
    def rework_rate(self) -> float | None:
        return ratio(self.reworked, self.handled)

    @property
    def extension_rate(self) -> float | None:
        return ratio(self.extended, self.cases)

    @property
    def overdue_rate(self) -> float | None:
        return ratio(self.overdue, self.cases)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied + self.basic, self.rated)

    RATES = ("on_time_rate", "closing_rate", "rework_rate", "extension_rate", "overdue_rate", "satisfaction_rate")

    def as_dict(self) -> dict[str, Any]:
        """Counts, derived counts, rates and hours in one flat dict (e.g. for JSON or a table)."""
        data = asdict(self)
        data.update(due=self.due, judged=self.judged, late=self.late, unsatisfied=self.unsatisfied)
        data.update({name: getattr(self, name) for name in self.RATES})
        return data


# The indicators of no cases, shared (they are immutable): a default that costs no construction.
NO_CASES = Indicators()
_DEFAULTS = {f.name: f.default for f in fields(Indicators)}


def from_counts(counts: dict[str, int]) -> Indicators:
    """Indicators with these counts (the rest as for no cases), built without the frozen dataclass's
    __init__: it sets each of nineteen fields through object.__setattr__, about 8 µs, and the
    command screen builds one per unit of a map or a ranking, hundreds per request."""
    unknown = counts.keys() - _DEFAULTS.keys()
    if unknown:
        raise TypeError(f"Indicators has no field {sorted(unknown)[0]!r}")
    built = object.__new__(Indicators)
    built.__dict__.update(_DEFAULTS, **counts)
    return built


class Row(NamedTuple):
    """One group of a breakdown: its key (a pk, or a board code), a label and its indicators."""

    key: Any
    label: str
    indicators: Indicators


# Populations -------------------------------------------------------------------------------------

def in_period(cases: QuerySet, start: datetime | None = None, end: datetime | None = None) -> QuerySet:
    """The cases reported within [start, end) (either bound may be left open)."""
    if start is not None:
        cases = cases.filter(reported_at__gte=start)
    if end is not None:
        cases = cases.filter(reported_at__lt=end)
    return cases


def in_region(cases: QuerySet, region) -> QuerySet:
    """The cases whose grid is `region` or lies under it (its subtree)."""
    return cases.filter(region__path__startswith=region.path)


def _conditions(as_of: datetime) -> dict[str, Q]:
    """The Q of each count, over non-void cases. See docs/indicators.md."""
    done = Q(status__in=sorted(DONE_STATUSES))
    dated = done & Q(close_due_at__isnull=False, closed_at__isnull=False)
    late = dated & Q(closed_at__gt=F("close_due_at"))
    is_open = Q(status__in=sorted(OPEN_STATUSES))
    # A paused clock (on hold, extension pending) moves close_due_at on resume by the paused working
    # time, so a case paused before its deadline is not past it while paused.
    open_overdue = is_open & Q(close_due_at__lt=as_of) & (Q(paused_at__isnull=True) | Q(close_due_at__lte=F("paused_at")))
    handled = Q(handled_at__isnull=False)
    return {
        "cases": Q(),
        "closed": done,
        "closed_on_time": dated & Q(closed_at__lte=F("close_due_at")),
        "closed_late": late,
        "closed_undated": done & (Q(close_due_at__isnull=True) | Q(closed_at__isnull=True)),
        "open": is_open,
        "open_overdue": open_overdue,
        "handled": handled,
        "reworked": handled & Q(rework_count__gte=1),
        "extended": Q(extension_count__gte=1),
        "overdue": Q(ever_overdue=True) | open_overdue | late,
        "rated": ~Q(rating=""),
        "satisfied": Q(rating=Rating.SATISFIED),
        "basic": Q(rating=Rating.BASIC),
    }


def _aggregates(as_of: datetime) -> dict[str, Count]:
    void = Q(status__in=sorted(VOID_STATUSES))
    aggregates = {name: Count("pk", filter=~void & q if q else ~void) for name, q in _conditions(as_of).items()}
    aggregates["voided"] = Count("pk", filter=void)
    return aggregates


def _base(cases: QuerySet) -> QuerySet:
    # A DISTINCT queryset (e.g. Case.objects.restrict() for department staff joins summonses)
    # cannot be grouped as it is: take its rows by primary key instead.
    if cases.query.distinct:
        cases = Case.objects.filter(pk__in=cases.order_by().values("pk"))
    return cases.order_by()


def _hours(pairs, calendar) -> dict[str, float | None]:
    """Median and 90th percentile of working and wall-clock hours over (reported_at, closed_at) pairs."""
    work = [calendar.working_seconds_between(a, b) / 3600 for a, b in pairs]
    wall = [(b - a).total_seconds() / 3600 for a, b in pairs]
    return {
        "work_hours_median": percentile(work, 50), "work_hours_p90": percentile(work, 90),
        "wall_hours_median": percentile(wall, 50), "wall_hours_p90": percentile(wall, 90),
    }


def _closed_pairs(cases: QuerySet) -> QuerySet:
    return cases.filter(status__in=sorted(DONE_STATUSES), closed_at__isnull=False)


def _setup(as_of, calendar):
    as_of = as_of or timezone.now()
    if timezone.is_naive(as_of):
        raise ValueError("as_of must be an aware datetime")
    if calendar is None:
        from yiwang.worktime import calendar as work_calendar

        calendar = work_calendar.current()
    return as_of, calendar


# The two entry points ----------------------------------------------------------------------------

def indicators(cases: QuerySet, *, as_of: datetime | None = None, calendar=None,
               start: datetime | None = None, end: datetime | None = None) -> Indicators:
    """The indicators of `cases` (a Case queryset, already narrowed by scope, region, ...),
    optionally reported within [start, end), judged at `as_of` (default now).

    Void cases (rejected, merged) are counted in `voided` only. Two queries: one aggregate, one
    for the closed cases' times.
    """
    as_of, calendar = _setup(as_of, calendar)
    base = _base(in_period(cases, start, end))
    counts = base.aggregate(**_aggregates(as_of))
    pairs = list(_closed_pairs(base).values_list("reported_at", "closed_at"))
    return Indicators(**counts, **_hours(pairs, calendar))


def count_by(cases: QuerySet, group=None, *, as_of: datetime) -> dict:
    """{group key: Indicators} counted from case rows with the same conditions as every other count
    here; `group` is a field name, an expression, or None for one total under the key None. The
    command screen reads this when it filters by matter (its rollups have no matter key)."""
    base, aggregates = _base(cases), _aggregates(as_of)
    if group is None:
        return {None: Indicators(**base.aggregate(**aggregates))}
    key = F(group) if isinstance(group, str) else group
    return {row.pop("key"): Indicators(**row) for row in base.values(key=key).annotate(**aggregates)}


def breakdown(cases: QuerySet, *, by: str, as_of: datetime | None = None, calendar=None, parent=None,
              start: datetime | None = None, end: datetime | None = None) -> list[Row]:
    """The indicators of `cases` per group, as a list of Row(key, label, indicators).

    by="region": per child region of `parent` (a Region; None: per root region). The cases are
    first narrowed to `parent`'s subtree; a child's row counts its whole subtree; every child has
    a row, with zero counts when it has no cases; cases attached to `parent` itself (not below a
    child) get a last row keyed `parent.pk` labelled "<name>(本级)", only when there are such cases.
    Rows follow the region tree's order.

    by="department" (handling_department), "matter", "board", "worker" (handler): one row per key
    present among the cases, including a None key (no department / no handler) when some cases
    have none; rows are ordered by number of cases, most first, then by label.
    """
    if by not in BY:
        raise ValueError(f"breakdown by {by!r}: choose one of {', '.join(BY)}")
    as_of, calendar = _setup(as_of, calendar)
    cases = in_period(cases, start, end)
    if by == "region":
        cases, key, labels, order = _by_region(cases, parent)
    else:
        field = {"department": "handling_department", "matter": "matter", "board": "board", "worker": "handler"}[by]
        key, labels, order = F(field), None, None
    base = _base(cases)
    counts = {row.pop("group"): row for row in base.values(group=key).annotate(**_aggregates(as_of))}
    pairs = defaultdict(list)
    for group, reported_at, closed_at in _closed_pairs(base).annotate(group=key).values_list("group", "reported_at", "closed_at"):
        pairs[group].append((reported_at, closed_at))

    if labels is None:
        labels = _labels(by, counts.keys())
    keys = order if order is not None else list(counts)
    rows = [Row(k, labels.get(k, str(k)), Indicators(**counts.get(k, {}), **_hours(pairs[k], calendar))) for k in keys]
    if by == "region":
        own = parent.pk if parent is not None else None
        if own in counts:
            rows.append(Row(own, f"{parent.name}{OWN_LEVEL}" if parent is not None else EMPTY,
                            Indicators(**counts[own], **_hours(pairs[own], calendar))))
        return rows
    return sorted(rows, key=lambda row: (-row.indicators.cases, row.label))


def _by_region(cases: QuerySet, parent):
    from yiwang.regions.models import Region

    if parent is not None:
        cases = in_region(cases, parent)
        children = list(Region.objects.filter(parent=parent).order_by("path"))
    else:
        children = list(Region.objects.filter(parent__isnull=True).order_by("path"))
    # Paths are prefix-free (each ends in "/"), so at most one child matches a case.
    key = models.Case(*[When(region__path__startswith=child.path, then=Value(child.pk)) for child in children],
                      default=Value(parent.pk if parent is not None else None), output_field=BigIntegerField())
    return cases, key, {child.pk: child.name for child in children}, [child.pk for child in children]


def _labels(by: str, keys) -> dict:
    from django.contrib.auth import get_user_model

    from yiwang.matters.models import Board, Department, MatterType

    present = [k for k in keys if k is not None]
    if by == "board":
        labels = {k: str(Board(k).label) if k in Board.values else k for k in present}
    elif by == "matter":
        labels = {pk: str(m) for pk, m in MatterType.objects.in_bulk(present).items()}
    elif by == "department":
        labels = {pk: d.name for pk, d in Department.objects.in_bulk(present).items()}
    else:
        labels = {pk: u.get_full_name() or u.username for pk, u in get_user_model().objects.in_bulk(present).items()}
    labels[None] = NO_HANDLER if by == "worker" else NO_DEPARTMENT if by == "department" else EMPTY
    return labels


# The deadline light of one case's current step, as every page, list and the command screen show it.
LIGHT_TEXT = {Light.GREEN: gettext_lazy("正常"), Light.YELLOW: gettext_lazy("预警"), Light.RED: gettext_lazy("超时")}


def light_of(case: Case, now: datetime) -> dict | None:
    """The step's light with its word, so it is never colour alone (None when the step has no clock)."""
    if case.paused_at is not None and case.step_due_at is not None:
        return {"colour": "paused", "text": _("暂停计时")}
    light = light_at(now=now, warn_at=case.step_warn_at, due_at=case.step_due_at)
    return None if light is None else {"colour": light.value, "text": LIGHT_TEXT[light]}


def light_condition(colour: str, now: datetime) -> Q:
    """The cases whose light `light_of` gives as `colour` ("paused" or a Light) at `now`, as a query."""
    timed = Q(step_due_at__isnull=False)
    if colour == "paused":
        return timed & Q(paused_at__isnull=False)
    running = timed & Q(paused_at__isnull=True)
    if colour == Light.RED:
        return running & Q(step_due_at__lt=now)
    if colour == Light.YELLOW:
        return running & Q(step_due_at__gte=now, step_warn_at__lte=now)
    if colour == Light.GREEN:
        return running & Q(step_due_at__gte=now) & (Q(step_warn_at__isnull=True) | Q(step_warn_at__gt=now))
    raise ValueError(f"no light {colour!r}")
