"""Fitting the simulation to a region's case history, using only what was known before a cutoff.

From the cases of the region (a street or a district) reported before the cutoff:

- arrivals: cases a day for each weekday over working days, and a day over rest days (holidays and
  weekends), from the last `RATE_WEEKS` weeks; what arrives (its grid, matter, handling unit,
  deadline and time of day) is drawn from the cases of the last `POOL_WEEKS` weeks, working-day and
  rest-day cases apart;
- stage durations in working seconds, per matter class (the matter and its time limit, else the
  matter, else its board, whichever first has `MIN_CLASS_CASES` closed cases), from the stage timestamps of cases closed before the cutoff
  without rework or escalation: the five durations of one historic case are drawn together, so a
  case that was quick to dispatch and slow to handle stays so, as shares of that case's time limit
  applied to the new case's (work is paced to the limit the case was given);
- rework and escalation rates per matter class;
- per handling unit: its staff (accounts doing that unit's work) and how many cases it must be able
  to hold at once (`_cases_in_hand`), which per person makes the unit's capacity;
- the cases still open at the cutoff, with the stages they still have to run.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.ab_roles.units import HANDLER_ROLE, LEVEL_OF_REGION
from yiwang.accounts.models import User
from yiwang.cases.models import VOID_STATUSES, Case
from yiwang.cases.stage_models import StageLimit
from yiwang.matters.models import STEPS, Department, MatterType
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region
from yiwang.worktime import calendar as work_calendar
from yiwang.worktime.sla import WorkCalendar

from .engine import STAGES, Unit

RATE_WEEKS = 8
POOL_WEEKS = 26
HISTORY_WEEKS = 104
MIN_CLASS_CASES = 30
ALL_CLASSES = "*"
COMMAND_PREFIX = "R:"
DEPARTMENT_PREFIX = "D:"


class FitError(ValueError):
    """The history cannot carry a simulation (a message in Chinese, naming what is missing)."""


@dataclass(frozen=True)
class Template:
    """A historic case as a pattern for new arrivals."""

    grid: str
    matter: str
    klass: str
    unit: str
    coordinator: str
    deadline: float | None  # working seconds from report to the case's deadline
    second_of_day: int


@dataclass(frozen=True)
class OpenCase:
    grid: str
    matter: str
    klass: str
    unit: str
    coordinator: str
    due: float | None  # working clock
    limit: float | None  # its time limit in working seconds
    stages: tuple[str, ...]  # still to run
    held: bool  # on hold (挂账) at the cutoff: stays open


@dataclass
class Fit:
    region_code: str
    region_name: str
    calendar: WorkCalendar
    origin: datetime
    cutoff: datetime
    rate_by_weekday: list[float]
    rate_rest_day: float
    workday_templates: list[Template]
    rest_day_templates: list[Template]
    # matter class → (the stage durations of each closed case, its own time limit in working seconds)
    durations: dict[str, list[tuple[tuple[float, ...], float | None]]]
    rework_rate: dict[str, float]
    escalation_rate: dict[str, float]
    units: dict[str, Unit]
    open_cases: list[OpenCase]
    matters: dict[str, str]  # code → name
    grids: dict[str, str]  # code → name
    stage_limits: dict[tuple[str, str], float]  # (matter code, stage) → working seconds today
    cases_fitted: int
    notes: list[str] = field(default_factory=list)

    def clock(self, moment: datetime) -> float:
        """`moment` on the working clock: office seconds since the origin."""
        return self.calendar.working_seconds_between(self.origin, moment)

    def durations_of(self, klass: str) -> list[tuple[tuple[float, ...], float | None]]:
        return self.durations.get(klass) or self.durations.get(ALL_CLASSES) or [((0.0,) * len(STAGES), None)]


def simulation_region(code: str) -> Region:
    """The street or district to simulate, or FitError naming the code."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise FitError(gettext("没有编码为 %(code)s 的区域") % {"code": code})
    if region.level not in (RegionLevel.STREET, RegionLevel.DISTRICT):
        raise FitError(gettext("推演以街道或区县为单位：%(name)s（%(code)s）不是街道或区县") % {"name": region.name, "code": code})
    return region


def local_midnight(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _streets(region: Region) -> list[Region]:
    if region.level == RegionLevel.STREET:
        return [region]
    return list(Region.objects.filter(path__startswith=region.path, level=RegionLevel.STREET).order_by("path"))


def _street_of(path: str, streets: list[Region]) -> str | None:
    for street in streets:
        if path.startswith(street.path):
            return street.code
    return None


def _region_staff(region_ids_by_unit: dict[str, tuple[int, str]]) -> dict[str, int]:
    """Active accounts doing each region unit's work: the level's handler role, scoped at the unit
    (a grid's micro-grids count for the grid)."""
    staff: dict[str, int] = {}
    regions = {r.pk: r for r in Region.objects.filter(pk__in=[pk for pk, _level in region_ids_by_unit.values()])}
    for key, (pk, level) in region_ids_by_unit.items():
        region = regions[pk]
        users = User.objects.filter(is_active=True, role=HANDLER_ROLE[level])
        if level == "grid":
            users = users.filter(scope_region__path__startswith=region.path)
        else:
            users = users.filter(scope_region=region)
        staff[key] = users.count()
    return staff


def _current_stage_limits(matter_ids: dict[int, str], calendar: WorkCalendar, today) -> dict[tuple[str, str], float]:
    """Working seconds of each stage's limit per matter as in force today (level-specific rows aside)."""
    rows = [r for r in StageLimit.objects.filter(effective_from__lte=today, level="") if r.amount is not None]
    limits: dict[tuple[str, str], float] = {}
    for matter in MatterType.objects.filter(pk__in=matter_ids):
        for stage in STEPS:
            own = [r for r in rows if r.stage == stage and r.matter_id in (None, matter.pk)]
            own.sort(key=lambda r: (r.matter_id is not None, r.effective_from))
            text = own[-1].limit_text if own else getattr(matter, f"{stage}_limit")
            limits[(matter.code, stage)] = calendar.limit_seconds(text)
    return limits


def _cases_in_hand(intervals: list[tuple[float, float]], since: float, until: float) -> float:
    """How many cases a unit must be able to hold at once: the most it held from `since` on (counted at
    each moment one was taken up), and no fewer than random arrivals of the same load would need
    (the mean in hand, by Little's law, plus three standard deviations of a Poisson count)."""
    starts = sorted(a for a, b in intervals if b > a)
    ends = sorted(b for a, b in intervals if b > a)
    peak = max((bisect_right(starts, t) - bisect_right(ends, t) for t in starts if t >= since), default=0)
    held = sum(max(min(b, until) - max(a, since), 0.0) for a, b in intervals)
    mean = held / max(until - since, 1.0)
    return max(peak, mean + 3 * math.sqrt(mean), 1.0)


def fit(region: Region, *, cutoff: datetime) -> Fit:
    """Fit on the region's history before `cutoff` (an aware datetime)."""
    calendar = work_calendar.current()
    origin = local_midnight(cutoff) - timedelta(weeks=HISTORY_WEEKS + 1)
    streets = _streets(region)
    if not streets:
        raise FitError(gettext("%(name)s（%(code)s）下没有街道，无法推演") % {"name": region.name, "code": region.code})

    def clock(moment):
        return calendar.working_seconds_between(origin, moment) if moment is not None else None

    since = cutoff - timedelta(weeks=HISTORY_WEEKS)
    fields = ("reported_at", "accepted_at", "dispatched_at", "signed_at", "handled_at", "closed_at", "close_due_at", "held_at",
              "rework_count", "escalation_count", "matter_id", "matter__code", "board", "level", "region__code", "region__path",
              "handling_region_id", "handling_region__code", "handling_region__level", "handling_department__code")  # fmt: skip
    base = Case.objects.filter(region__path__startswith=region.path).exclude(status__in=sorted(VOID_STATUSES))
    rows = list(base.filter(reported_at__gte=since, reported_at__lt=cutoff).order_by("reported_at", "pk").values_list(*fields))
    opened_before = list(base.filter(reported_at__lt=since).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=cutoff))
                         .order_by("reported_at", "pk").values_list(*fields))  # fmt: skip
    if len(rows) < 20:
        raise FitError(gettext("%(name)s在 %(day)s 之前的事件不足 20 件，历史太少，无法拟合推演模型")
                       % {"name": region.name, "day": timezone.localdate(cutoff).isoformat()})  # fmt: skip

    region_units: dict[str, tuple[int, str]] = {}
    department_codes: set[str] = set()
    matter_ids: dict[int, str] = {}
    by_class_count: Counter = Counter()

    def unit_of(row) -> str:
        if row[19]:
            department_codes.add(row[19])
            return DEPARTMENT_PREFIX + row[19]
        key = COMMAND_PREFIX + row[17]
        region_units.setdefault(key, (row[16], LEVEL_OF_REGION.get(row[18], "grid")))
        return key

    street_ids = {street.code: street.pk for street in streets}
    for street in streets:
        region_units[COMMAND_PREFIX + street.code] = (street.pk, "street")

    closed_rows = [r for r in rows if r[5] is not None and r[5] <= cutoff]
    deadlines = {id(r): calendar.working_seconds_between(r[0], r[6]) if r[6] is not None else None for r in rows + opened_before}

    def limit_hours(row) -> int | None:
        seconds = deadlines[id(row)]
        return None if seconds is None else round(seconds / 3600)

    for r in closed_rows:
        by_class_count[r[11]] += 1
        by_class_count[(r[11], limit_hours(r))] += 1

    def klass_of(row) -> str:
        # A matter's cases with the same time limit (its urgency and level decide it) are one class
        # when there are enough of them: a case given four hours is handled faster than one given ten days.
        if by_class_count[(row[11], limit_hours(row))] >= MIN_CLASS_CASES:
            return f"{row[11]}|{limit_hours(row)}h"
        return row[11] if by_class_count[row[11]] >= MIN_CLASS_CASES else "board:" + row[12]

    durations: dict[str, list[tuple[tuple[float, ...], float | None]]] = defaultdict(list)
    reworked: Counter = Counter()
    escalated: Counter = Counter()
    closed_count: Counter = Counter()
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    workday_templates: list[Template] = []
    rest_templates: list[Template] = []
    open_cases: list[OpenCase] = []
    end_now = clock(cutoff)
    pool_since = cutoff - timedelta(weeks=POOL_WEEKS)
    rate_since = local_midnight(cutoff) - timedelta(weeks=RATE_WEEKS)
    per_day: Counter = Counter()
    grids: set[str] = set()

    for r in rows + opened_before:
        matter_ids[r[10]] = r[11]
        klass = klass_of(r)
        unit = unit_of(r)
        street = _street_of(r[15], streets)
        if street is None:
            continue
        coordinator = COMMAND_PREFIX + street
        grid = r[14]
        grids.add(grid)
        # The stage timestamps known at the cutoff; a skipped stage (none recorded) takes no time.
        raw = [r[0]] + [m if m is not None and m <= cutoff else None for m in r[1:6]]
        if raw[5] is not None and raw[4] is None:
            # Closed with no handling recorded (an imported export keeps only the report and the
            # close; a case solved on the spot): its handler held it until the close, not the verifier.
            raw[4] = raw[5]
        last = max(i for i, m in enumerate(raw) if m is not None)
        moments = list(raw)
        for i in range(1, last + 1):
            if moments[i] is None:
                moments[i] = moments[i - 1]
        times = [clock(m) for m in moments]
        # Cases in hand per unit over the history: handler from dispatch to handled, coordinator otherwise.
        def span(a, b):
            return (times[a], times[b] if times[b] is not None else end_now) if times[a] is not None else None

        for a, b, holder in ((0, 1, coordinator), (1, 2, coordinator), (2, 4, unit), (4, 5, coordinator)):
            interval = span(a, b)
            if interval is not None:
                intervals[holder].append(interval)
        if last == len(STAGES):
            closed_count[klass] += 1
            reworked[klass] += r[8] > 0
            escalated[klass] += r[9] > 0
            if not r[8] and not r[9]:
                stage_seconds = tuple(max(times[i + 1] - times[i], 0.0) for i in range(len(STAGES)))
                durations[klass].append((stage_seconds, deadlines[id(r)]))
                durations[ALL_CLASSES].append((stage_seconds, deadlines[id(r)]))
        else:
            held = r[7] is not None and r[7] <= cutoff and (r[4] is None or r[4] > cutoff or r[4] < r[7])
            open_cases.append(OpenCase(grid=grid, matter=r[11], klass=klass, unit=unit, coordinator=coordinator,
                                       due=clock(r[6]) if r[6] is not None else None, limit=deadlines[id(r)], stages=STAGES[last:], held=held))  # fmt: skip
        if r[0] >= pool_since:
            local = timezone.localtime(r[0])
            deadline = deadlines[id(r)]
            template = Template(grid=grid, matter=r[11], klass=klass, unit=unit, coordinator=coordinator, deadline=deadline,
                                second_of_day=local.hour * 3600 + local.minute * 60 + local.second)  # fmt: skip
            (workday_templates if calendar.is_workday(local.date()) else rest_templates).append(template)
        if r[0] >= rate_since:
            per_day[timezone.localdate(r[0])] += 1


    by_weekday: dict[int, list[int]] = defaultdict(list)
    rest: list[int] = []
    day = rate_since.date()
    while day < timezone.localdate(cutoff):
        (by_weekday[day.weekday()] if calendar.is_workday(day) else rest).append(per_day.get(day, 0))
        day += timedelta(days=1)
    all_workdays = [n for counts in by_weekday.values() for n in counts]
    workday_mean = sum(all_workdays) / len(all_workdays) if all_workdays else 0.0
    rate_by_weekday = [sum(by_weekday[d]) / len(by_weekday[d]) if by_weekday[d] else workday_mean for d in range(7)]
    rate_rest = sum(rest) / len(rest) if rest else 0.0
    if not workday_templates:
        workday_templates = rest_templates
    if not rest_templates:
        rest_templates = workday_templates
    if not workday_templates:
        raise FitError(gettext("%(name)s近 %(weeks)d 周没有事件，无法推演到达量") % {"name": region.name, "weeks": POOL_WEEKS})

    # Units: staff from the accounts, capacity per person from the most cases in hand at once.
    staff = _region_staff(region_units)
    for department in Department.objects.filter(code__in=department_codes).prefetch_related("members"):
        staff[DEPARTMENT_PREFIX + department.code] = sum(1 for u in department.members.all() if u.is_active)
    labels = {COMMAND_PREFIX + code: name for code, name in Region.objects.filter(
        pk__in=[pk for pk, _level in region_units.values()]).values_list("code", "name")}  # fmt: skip
    labels.update({DEPARTMENT_PREFIX + code: name for code, name in Department.objects.filter(code__in=department_codes).values_list("code", "name")})
    for code in street_ids:
        labels[COMMAND_PREFIX + code] = gettext("%(name)s指挥中心") % {"name": labels[COMMAND_PREFIX + code]}
    peak_since = clock(pool_since)
    units: dict[str, Unit] = {}
    notes: list[str] = []
    for key in sorted(set(region_units) | {DEPARTMENT_PREFIX + c for c in department_codes}):
        known = staff.get(key, 0) > 0
        people = staff.get(key, 0) if known else 1
        peak = _cases_in_hand(intervals.get(key, []), peak_since, end_now)
        units[key] = Unit(key=key, label=labels.get(key, key[2:]), staff=people, cases_per_person=peak / people, staff_known=known)
        if not known:
            notes.append(gettext("%(unit)s没有登记工作人员账号，按 1 人计") % {"unit": units[key].label})

    matters = dict(MatterType.objects.filter(pk__in=matter_ids).values_list("code", "name"))
    grid_names = dict(Region.objects.filter(code__in=grids).values_list("code", "name"))
    rates = {klass: (reworked[klass] / n, escalated[klass] / n) for klass, n in closed_count.items() if n}
    return Fit(region_code=region.code, region_name=region.name, calendar=calendar, origin=origin, cutoff=cutoff,
               rate_by_weekday=rate_by_weekday, rate_rest_day=rate_rest, workday_templates=workday_templates,
               rest_day_templates=rest_templates, durations=dict(durations),
               rework_rate={k: v[0] for k, v in rates.items()}, escalation_rate={k: v[1] for k, v in rates.items()},
               units=units, open_cases=open_cases, matters=matters, grids=grid_names,
               stage_limits=_current_stage_limits(matter_ids, calendar, timezone.localdate(cutoff)),
               cases_fitted=len(rows), notes=notes)  # fmt: skip


def history_figures(region: Region, fitted: Fit, *, start: datetime, weeks: int) -> dict:
    """What really happened in the weeks from `start`: arrivals and open cases at each week's end,
    and the on-time count of the cases that arrived then, judged as the simulation judges them."""
    end = start + timedelta(weeks=weeks)
    base = Case.objects.filter(region__path__startswith=region.path).exclude(status__in=sorted(VOID_STATUSES))
    arrivals, backlog = [], []
    for week in range(weeks):
        week_start, week_end = start + timedelta(weeks=week), start + timedelta(weeks=week + 1)
        arrivals.append(base.filter(reported_at__gte=week_start, reported_at__lt=week_end).count())
        backlog.append(base.filter(reported_at__lt=week_end).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=week_end)).count())
    window = base.filter(reported_at__gte=start, reported_at__lt=end, close_due_at__isnull=False)
    on_time = window.filter(closed_at__lte=end).filter(closed_at__lte=F("close_due_at")).count()
    judged = window.filter(Q(closed_at__lte=end) | Q(close_due_at__lt=end)).count()
    # Cases each unit handled in the window (a street's command centre: the cases it closed).
    unit_cases: Counter = Counter()
    # A case closed with no handling recorded (imported history) was handled when it closed, as the fit takes it.
    handled = (base.annotate(handled_on=Coalesce("handled_at", "closed_at")).filter(handled_on__gte=start, handled_on__lt=end)
               .values_list("handling_department__code", "handling_region__code"))
    for department, region_code in handled:
        unit_cases[DEPARTMENT_PREFIX + department if department else COMMAND_PREFIX + region_code] += 1
    streets = _streets(region)
    for path in base.filter(closed_at__gte=start, closed_at__lt=end).values_list("region__path", flat=True):
        street = _street_of(path, streets)
        if street:
            unit_cases[COMMAND_PREFIX + street] += 1
    return {"arrivals": arrivals, "backlog": backlog, "on_time": on_time, "judged": judged, "unit_cases": dict(unit_cases)}
