"""Reads of 分析研判: hot spots, recurring addresses, repeat callers, duplicate clusters, workload and
the weekly forecast, over the cases a command-center user may see.

Every function takes a Case queryset already narrowed by `scope_for` (the user's scope, then the
region asked for) and plain dates. Days are local (settings.TIME_ZONE) calendar days; a window of
n days "ending at as_of" is the n days as_of - (n - 1) .. as_of inclusive, the same days the case
list's `since`/`until` filters take, so a count and its link agree. The statistics are in stats.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BigIntegerField, Count, Min, Q, QuerySet, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.cases import indicators as ind
from yiwang.cases.selectors import filter_cases
from yiwang.cases.models import OPEN_STATUSES, VOID_STATUSES, Case, Channel
from yiwang.core.scope import Role, is_command_center_staff
from yiwang.regions.models import Level, Region

from . import stats
from .clusters import Point, near_duplicate_components, normalise_address

# The roles that run a command center; grid workers, departments and residents have other screens.
WINDOWS = (7, 28)
BASELINE_WEEKS = 26
DEFAULT_PERIOD_DAYS = 28
MAX_PERIOD_DAYS = 366
HISTORY_WEEKS = 104  # two years: a year of seasonal lag plus the held-back weeks
MAX_CASE_NUMBERS = 30  # case numbers listed per address, caller or cluster


# Scope -------------------------------------------------------------------------------------------

@dataclass
class Scope:
    """What the user looks at: the region (None: everything, superuser without a region) and its cases."""

    user: object
    region: Region | None
    cases: QuerySet
    home: Region | None = None  # the user's own scope region

    @property
    def code(self) -> str:
        return self.region.code if self.region is not None else ""


def scope_for(user, region_code: str | None = None) -> Scope:
    """The user's cases, narrowed to the region with `region_code` when given. PermissionDenied for
    users without a command-center role; Http404 for a region outside the user's scope (or unknown)."""
    if not is_command_center_staff(user):
        raise PermissionDenied(gettext("分析研判仅对区、街道、社区指挥中心开放"))
    home = None if user.is_superuser else user.scope_region
    region = home
    if region_code:
        region = Region.objects.restrict(user).filter(code=region_code).first()
        if region is None:
            raise Http404(gettext("区域不存在或不在您的数据范围内"))
    cases = Case.objects.restrict(user)
    if region is not None:
        cases = filter_cases(cases, region=region)  # a micro-grid: its cases, as everywhere
    return Scope(user=user, region=region, cases=cases, home=home)


def valid(cases: QuerySet) -> QuerySet:
    """Cases that count as problems: rejected and merged ones are left out (a merged case is a duplicate)."""
    return cases.exclude(status__in=sorted(VOID_STATUSES))


# Days --------------------------------------------------------------------------------------------

def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def check_day(day: date | None, name: str) -> date | None:
    """Days this far from now are typing mistakes (and would overflow the date arithmetic)."""
    if day is not None and not 1900 <= day.year <= 2100:
        raise ValidationError({name: "日期应在 1900 年至 2100 年之间"})
    return day


def last_complete_day() -> date:
    """The forecast's default end: yesterday, so the last week it learns from is a whole week."""
    return timezone.localdate() - timedelta(days=1)


def today() -> date:
    return timezone.localdate()


def period(since: date | None, until: date | None, *, default_days: int = DEFAULT_PERIOD_DAYS) -> tuple[date, date]:
    """(since, until), both inclusive; by default the `default_days` days ending today."""
    since, until = check_day(since, "since"), check_day(until, "until")
    until = until or today()
    since = since or until - timedelta(days=default_days - 1)
    if since > until:
        raise ValidationError({"since": "起始日期不能晚于截止日期"})
    if (until - since).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"since": f"时段不能超过 {MAX_PERIOD_DAYS} 天"})
    return since, until


def in_days(cases: QuerySet, since: date, until: date) -> QuerySet:
    return cases.filter(reported_at__gte=day_start(since), reported_at__lt=day_start(until + timedelta(days=1)))


def cases_link(**filters) -> str:
    """A link to the staff case list with the filters the list understands (region, matter,
    department, handler, since, until, state). Rejected and merged cases are left out here, as in
    every count of this app, unless another state is asked for."""
    filters.setdefault("state", "cases")
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v not in (None, "")}
    return f"{reverse('case-list')}?{urlencode(query)}"


def case_link(number: str) -> str:
    return reverse("case-detail", args=[number])


def first_day(cases: QuerySet) -> date | None:
    """The local date of the first case on record among `cases` (the start of their history)."""
    first = cases.order_by().aggregate(first=Min("reported_at"))["first"]
    return timezone.localtime(first).date() if first else None


# 1. Hot spots ------------------------------------------------------------------------------------

@dataclass
class HotSpot:
    grid: Region
    matter: object
    window_days: int
    observed: int
    expected: float
    baseline_cases: int
    p: float
    q: float
    link: str

    @property
    def ratio(self) -> float:
        return self.observed / self.expected

    def as_dict(self) -> dict:
        return {"grid_code": self.grid.code, "grid": self.grid.name, "matter_id": self.matter.pk, "matter": self.matter.name,
                "window_days": self.window_days, "observed": self.observed, "expected": round(self.expected, 4),
                "baseline_cases": self.baseline_cases, "ratio": round(self.ratio, 2), "p": self.p, "q": self.q, "cases_url": self.link}


@dataclass
class HotSpotWindow:
    days: int
    since: date
    until: date
    baseline_since: date
    baseline_days: int
    tested: int
    hotspots: list[HotSpot] = field(default_factory=list)
    # Cells above their usual level by the single test (p < alpha, enough cases) that do not survive
    # the correction for testing many cells: worth a word ("略多"), not a flag.
    elevated: list[HotSpot] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"days": self.days, "since": self.since, "until": self.until, "baseline_since": self.baseline_since,
                "baseline_days": self.baseline_days, "tested": self.tested, "items": [h.as_dict() for h in self.hotspots],
                "elevated": [h.as_dict() for h in self.elevated]}


def hotspots(cases: QuerySet, *, as_of: date, days: int, baseline_weeks: int = BASELINE_WEEKS,
             alpha: float = stats.ALPHA, min_cases: int = stats.MIN_CASES) -> HotSpotWindow:
    """Grid × matter cells whose count in the `days` ending at `as_of` is beyond the grid's own rate.

    Cells tested: every (grid, matter) with at least one valid case in the window or its baseline
    (the `baseline_weeks` weeks before the window, not before the first case on record). Each gets
    stats.hotspot_test; Benjamini–Hochberg over all of them; flagged when q < alpha and count >= min_cases.
    """
    return hotspot_windows(cases, as_of=as_of, windows=(days,), baseline_weeks=baseline_weeks, alpha=alpha, min_cases=min_cases)[0]


def hotspot_windows(cases: QuerySet, *, as_of: date, windows: tuple[int, ...], baseline_weeks: int = BASELINE_WEEKS,
                    alpha: float = stats.ALPHA, min_cases: int = stats.MIN_CASES) -> list[HotSpotWindow]:
    """`hotspots` for each window length, all counted in one pass over the cases (a district's
    half-year of cases is read once, not once per window)."""
    from yiwang.matters.models import MatterType

    for days in windows:
        if not 1 <= days <= 182:
            raise ValidationError({"window": "窗口为 1 至 182 天"})
    cases = valid(cases)
    start = first_day(cases)
    spans = []  # (days, since, baseline_since) per window
    for days in windows:
        since = as_of - timedelta(days=days - 1)
        baseline_since = since - timedelta(weeks=baseline_weeks)
        if start is not None and start > baseline_since:
            baseline_since = min(start, since)
        spans.append((days, since, baseline_since))
    counts = {}
    for i, (_days, since, baseline_since) in enumerate(spans):
        window_start = day_start(since)
        counts[f"window_{i}"] = Count("pk", filter=Q(reported_at__gte=window_start))
        counts[f"base_{i}"] = Count("pk", filter=Q(reported_at__gte=day_start(baseline_since), reported_at__lt=window_start))
    earliest = min(baseline_since for _days, _since, baseline_since in spans)
    # Tuples, not dicts: a district has tens of thousands of grid × matter cells.
    all_rows = list(in_days(cases, earliest, as_of).order_by().values("region", "matter").annotate(**counts)
                    .values_list("region", "matter", *counts))
    found = []
    for i, (days, since, baseline_since) in enumerate(spans):
        # A window's cells are those with a case in it or its own baseline, as if counted alone.
        window_at, base_at = 2 + 2 * i, 3 + 2 * i
        rows = [{"region": r[0], "matter": r[1], "window": r[window_at], "base": r[base_at]}
                for r in all_rows if r[window_at] or r[base_at]]
        found.append(_hotspot_window(rows, days=days, since=since, until=as_of, baseline_since=baseline_since,
                                     alpha=alpha, min_cases=min_cases, matter_model=MatterType))
    return found


def _hotspot_window(rows: list[dict], *, days: int, since: date, until: date, baseline_since: date, alpha: float, min_cases: int,
                    matter_model) -> HotSpotWindow:
    baseline_days = (since - baseline_since).days
    # Cells share their few small counts: each (observed, baseline) pair is tested once.
    tested: dict[tuple[int, int], stats.CellTest] = {}
    for r in rows:
        pair = (r["window"], r["base"])
        if pair not in tested:
            tested[pair] = stats.hotspot_test(observed=pair[0], baseline_cases=pair[1], baseline_days=baseline_days, window_days=days)
    tests = [tested[(r["window"], r["base"])] for r in rows]
    qs = stats.benjamini_hochberg([t.p for t in tests])
    hits = [(r, t, q) for r, t, q in zip(rows, tests, qs) if stats.flagged(q=q, observed=t.observed, alpha=alpha, min_cases=min_cases)]
    near = [(r, t, q) for r, t, q in zip(rows, tests, qs)
            if not stats.flagged(q=q, observed=t.observed, alpha=alpha, min_cases=min_cases) and t.p < alpha and t.observed >= min_cases]
    grids = Region.objects.in_bulk({r["region"] for r, _, _ in hits + near})
    matters = matter_model.objects.in_bulk({r["matter"] for r, _, _ in hits + near})

    def spots(cells):
        found = [HotSpot(grid=grids[r["region"]], matter=matters[r["matter"]], window_days=days, observed=t.observed, expected=t.expected,
                         baseline_cases=r["base"], p=t.p, q=q,
                         link=cases_link(region=grids[r["region"]].code, matter=r["matter"], since=since, until=until))
                 for r, t, q in cells]
        return sorted(found, key=lambda h: (h.q, h.p, -h.observed, h.grid.code))

    return HotSpotWindow(days=days, since=since, until=until, baseline_since=baseline_since, baseline_days=baseline_days,
                         tested=len(rows), hotspots=spots(hits), elevated=spots(near))


# Matters by share --------------------------------------------------------------------------------

@dataclass
class MatterShare:
    name: str
    count: int
    top_grid: str  # the grid (or region) with most of this matter's cases
    top_grid_count: int
    link: str


@dataclass
class MatterShares:
    since: date
    until: date
    total: int  # every valid case in the period, the matters left out of `matters` too
    matters: list[MatterShare] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def others(self) -> int:
        return self.total - sum(m.count for m in self.matters)


def matter_shares(cases: QuerySet, *, since: date, until: date, limit: int = 8) -> MatterShares:
    """Valid cases of the period per matter, most first (the `limit` largest), each with the region that holds most of them."""
    rows = list(in_days(valid(cases), since, until).order_by().values("matter", "matter__name", "region__name").annotate(n=Count("pk")))
    per_matter: dict[int, dict] = {}
    for row in rows:
        entry = per_matter.setdefault(row["matter"], {"name": row["matter__name"], "count": 0, "grids": defaultdict(int)})
        entry["count"] += row["n"]
        entry["grids"][row["region__name"]] += row["n"]
    ordered = sorted(per_matter.items(), key=lambda kv: (-kv[1]["count"], kv[1]["name"]))[:limit]
    shares = []
    for pk, entry in ordered:
        top = min(entry["grids"].items(), key=lambda kv: (-kv[1], kv[0]))
        shares.append(MatterShare(name=entry["name"], count=entry["count"], top_grid=top[0], top_grid_count=top[1],
                                  link=cases_link(matter=pk, since=since, until=until)))
    return MatterShares(since=since, until=until, total=sum(r["n"] for r in rows), matters=shares)


# 2. Recurring addresses and repeat callers -------------------------------------------------------

@dataclass
class Recurrence:
    """Cases sharing one address or one caller: their count, matters, first and last dates, numbers."""

    label: str
    count: int
    matters: list[str]
    first: datetime
    last: datetime
    numbers: list[str]

    def as_dict(self) -> dict:
        return {"label": self.label, "count": self.count, "matters": self.matters, "first": self.first, "last": self.last,
                "cases": [{"number": n, "url": case_link(n)} for n in self.numbers]}


def _recurrence(label: str, rows: list[tuple]) -> Recurrence:
    """rows: (number, matter name, reported_at), any order."""
    rows = sorted(rows, key=lambda r: r[2])
    matter_counts: dict[str, int] = defaultdict(int)
    for _, matter, _ in rows:
        matter_counts[matter] += 1
    matters = sorted(matter_counts, key=lambda m: (-matter_counts[m], m))
    return Recurrence(label=label, count=len(rows), matters=matters, first=rows[0][2], last=rows[-1][2],
                      numbers=[r[0] for r in rows if r[0]][-MAX_CASE_NUMBERS:])


def recurring_addresses(cases: QuerySet, *, since: date, until: date, min_cases: int = 3, limit: int = 50) -> list[Recurrence]:
    """Normalised addresses (clusters.normalise_address) with at least `min_cases` valid cases in the period, most first."""
    cases = in_days(valid(cases), since, until).exclude(address="")
    # Group the distinct spellings in the database first, then fold them in Python: far fewer rows than cases.
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for address, n in cases.order_by().values("address").annotate(n=Count("pk")).values_list("address", "n"):
        key = normalise_address(address)
        if key:
            groups[key][address] = n
    totals = {key: sum(spellings.values()) for key, spellings in groups.items()}
    keys = sorted((k for k in groups if totals[k] >= min_cases), key=lambda k: (-totals[k], k))[:limit]
    # The cases of every address shown, in one query (not one per address), then sorted out by spelling.
    by_spelling: dict[str, list[tuple]] = defaultdict(list)
    wanted = [spelling for key in keys for spelling in groups[key]]
    for address, number, matter, at in cases.filter(address__in=wanted).values_list("address", "number", "matter__name", "reported_at"):
        by_spelling[address].append((number, matter, at))
    result = []
    for key in keys:
        spellings = groups[key]
        rows = [row for spelling in spellings for row in by_spelling[spelling]]
        label = max(spellings, key=lambda s: (spellings[s], s))  # the most used spelling
        result.append(_recurrence(label, rows))
    return result


def repeat_callers(cases: QuerySet, *, since: date, until: date, min_cases: int = 3, limit: int = 50) -> list[Recurrence]:
    """Callers (same phone_digest) with at least `min_cases` cases in the period, most first. Every
    case counts, merged and rejected too: each was a call. The phone and its digest are never shown."""
    cases = in_days(cases, since, until).exclude(phone_digest="")
    digests = list(cases.order_by().values("phone_digest").annotate(n=Count("pk")).filter(n__gte=min_cases)
                   .order_by("-n", "phone_digest").values_list("phone_digest", flat=True)[:limit])
    by_digest: dict[str, list[tuple]] = defaultdict(list)
    for digest, number, matter, at in cases.filter(phone_digest__in=digests).values_list("phone_digest", "number", "matter__name", "reported_at"):
        by_digest[digest].append((number, matter, at))
    callers = [_recurrence("", by_digest[d]) for d in digests]
    callers.sort(key=lambda r: (-r.count, -r.last.timestamp()))
    for i, caller in enumerate(callers, 1):
        caller.label = f"来电人{i}"
    return callers


# 3. Duplicate clusters ---------------------------------------------------------------------------

@dataclass
class Cluster:
    matter: str
    numbers: list[str]
    grids: list[str]
    first: datetime
    last: datetime
    lon: float
    lat: float
    open: int

    def as_dict(self) -> dict:
        return {"matter": self.matter, "size": len(self.numbers), "open": self.open, "grids": self.grids, "first": self.first,
                "last": self.last, "lon": round(self.lon, 6), "lat": round(self.lat, 6),
                "cases": [{"number": n, "url": case_link(n)} for n in self.numbers]}


def duplicate_clusters(cases: QuerySet, *, since: date, until: date, radius_m: float | None = None,
                       window_hours: float | None = None, limit: int = 50) -> list[Cluster]:
    """Groups of near-duplicate cases that were not merged: valid cases with a position that are
    open now or were reported in the period, joined by the intake's duplicate rule (same matter,
    within `radius_m` and `window_hours`; defaults YIWANG_DUPLICATE_RADIUS_M / _WINDOW_HOURS)."""
    radius_m = settings.YIWANG_DUPLICATE_RADIUS_M if radius_m is None else radius_m
    window_hours = settings.YIWANG_DUPLICATE_WINDOW_HOURS if window_hours is None else window_hours
    if not 0 < radius_m <= 5000:
        raise ValidationError({"radius_m": "半径为 1 至 5000 米"})
    if not 0 < window_hours <= 24 * 30:
        raise ValidationError({"hours": "时间窗为 1 至 720 小时"})
    recent = Q(reported_at__gte=day_start(since), reported_at__lt=day_start(until + timedelta(days=1)))
    rows = {r[0]: r for r in valid(cases).filter(recent | Q(status__in=sorted(OPEN_STATUSES)), lon__isnull=False, lat__isnull=False)
            .order_by().values_list("pk", "matter_id", "lon", "lat", "reported_at", "number", "matter__name", "region__name", "status")}
    components = near_duplicate_components((Point(pk, m, lon, lat, at) for pk, m, lon, lat, at, *_ in rows.values()),
                                           radius_m=radius_m, window_hours=window_hours)
    clusters = []
    for keys in components[:limit]:
        members = [rows[k] for k in keys]
        clusters.append(Cluster(
            matter=members[0][6], numbers=[m[5] or f"#{m[0]}" for m in members], grids=sorted({m[7] for m in members}),
            first=members[0][4], last=members[-1][4], lon=sum(m[2] for m in members) / len(members),
            lat=sum(m[3] for m in members) / len(members), open=sum(1 for m in members if m[8] in OPEN_STATUSES)))
    return clusters


# 4. Workload -------------------------------------------------------------------------------------

@dataclass
class WorkerLoad:
    user_id: int
    name: str
    role: str
    handled: int = 0  # handler of cases reported in the period
    reported: int = 0  # registered (reported_by) cases in the period
    open_now: int = 0  # handler of cases open now
    closed: int = 0  # handler of cases closed in the period (closed_at)
    on_time_rate: float | None = None  # of the cases reported in the period (docs/indicators.md)
    links: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "role": self.role, "handled": self.handled, "reported": self.reported,
                "open_now": self.open_now, "closed": self.closed, "on_time_rate": self.on_time_rate, "links": self.links}


@dataclass
class DepartmentLoad:
    department_id: int
    name: str
    received: int = 0  # cases reported in the period with this handling department
    handled: int = 0  # of its cases, handled (handled_at) in the period
    open_now: int = 0
    overdue_now: int = 0  # open and past close_due_at now (docs/indicators.md: open_overdue)
    links: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"department_id": self.department_id, "name": self.name, "received": self.received, "handled": self.handled,
                "open_now": self.open_now, "overdue_now": self.overdue_now, "links": self.links}


def _in_closed(cases: QuerySet, since: date, until: date) -> QuerySet:
    return cases.filter(closed_at__gte=day_start(since), closed_at__lt=day_start(until + timedelta(days=1)))


def worker_load(scope: Scope, *, since: date, until: date, now: datetime | None = None) -> list[WorkerLoad]:
    """Per person: the grid workers of the region (with zeros) and everyone else who handled or
    registered its cases. Counts come from cases.indicators.breakdown(by="worker")."""
    from yiwang.accounts.models import User

    now = now or timezone.now()
    cases = scope.cases
    in_period = in_days(cases, since, until)
    loads: dict[int, WorkerLoad] = {}
    people = User.objects.filter(role=Role.GRID_WORKER, is_active=True)
    if scope.region is not None:
        people = people.filter(scope_region__path__startswith=scope.region.path)
    wanted = set(people.values_list("pk", flat=True))

    def load(pk: int) -> WorkerLoad:
        return loads.setdefault(pk, WorkerLoad(user_id=pk, name="", role=""))

    for row in ind.breakdown(in_period, by="worker", as_of=now):
        if row.key is not None:
            entry = load(row.key)
            entry.handled, entry.on_time_rate = row.indicators.cases, row.indicators.on_time_rate
    for row in ind.breakdown(cases.filter(status__in=sorted(OPEN_STATUSES)), by="worker", as_of=now):
        if row.key is not None:
            load(row.key).open_now = row.indicators.open
    for row in ind.breakdown(_in_closed(cases, since, until), by="worker", as_of=now):
        if row.key is not None:
            load(row.key).closed = row.indicators.closed
    # Staff who registered cases; a resident's own 随手拍 (reported_by since 我的上报) is no one's workload.
    for pk, n in valid(in_period).exclude(reported_by=None).exclude(channel=Channel.RESIDENT).order_by().values_list("reported_by").annotate(n=Count("pk")):
        load(pk).reported = n
    for pk in wanted:
        load(pk)
    users = User.objects.in_bulk(list(loads))
    for pk, entry in loads.items():
        user = users[pk]
        entry.name = user.get_full_name() or user.username
        entry.role = user.get_role_display()
        entry.links = {"handled": cases_link(region=scope.code, handler=pk, since=since, until=until),
                       "open_now": cases_link(region=scope.code, handler=pk, state="open")}
    return sorted(loads.values(), key=lambda w: (-(w.handled + w.open_now + w.reported), w.name))


def department_load(scope: Scope, *, since: date, until: date, now: datetime | None = None) -> list[DepartmentLoad]:
    """Per handling department of the region's cases. Counts come from cases.indicators.breakdown(by="department")."""
    from yiwang.matters.models import Department

    now = now or timezone.now()
    cases = scope.cases.exclude(handling_department=None)
    loads: dict[int, DepartmentLoad] = {}

    def load(pk: int) -> DepartmentLoad:
        return loads.setdefault(pk, DepartmentLoad(department_id=pk, name=""))

    for row in ind.breakdown(in_days(cases, since, until), by="department", as_of=now):
        load(row.key).received = row.indicators.cases
    handled = cases.filter(handled_at__gte=day_start(since), handled_at__lt=day_start(until + timedelta(days=1)))
    for row in ind.breakdown(handled, by="department", as_of=now):
        load(row.key).handled = row.indicators.handled
    for row in ind.breakdown(cases.filter(status__in=sorted(OPEN_STATUSES)), by="department", as_of=now):
        entry = load(row.key)
        entry.open_now, entry.overdue_now = row.indicators.open, row.indicators.open_overdue
    names = Department.objects.in_bulk(list(loads))
    for pk, entry in loads.items():
        entry.name = names[pk].name
        entry.links = {"received": cases_link(region=scope.code, department=pk, since=since, until=until),
                       "open_now": cases_link(region=scope.code, department=pk, state="open"),
                       "overdue_now": cases_link(region=scope.code, department=pk, state="overdue")}
    return sorted(loads.values(), key=lambda d: (-d.overdue_now, -d.open_now, -d.received, d.name))


# 5. Forecast -------------------------------------------------------------------------------------

@dataclass
class Forecast:
    region: Region
    weeks: list[int]  # the weekly history, oldest first; week i ends at as_of - 7 * (len - 1 - i) days
    forecast: float | None
    seasonal: bool  # the blend used last year's week
    backtest: stats.Backtest
    last_week_link: str

    def as_dict(self) -> dict:
        bt = self.backtest
        return {"region_code": self.region.code, "region": self.region.name, "forecast": None if self.forecast is None else round(self.forecast, 2),
                "seasonal": self.seasonal, "history_weeks": len(self.weeks), "last_week": self.weeks[-1] if self.weeks else None,
                "recent_weeks": self.weeks[-stats.HOLDOUT:], "mae": bt.mae, "mape": bt.mape, "smape": bt.smape,
                "holdout": [{"actual": a, "forecast": round(f, 2)} for a, f in bt.pairs], "last_week_url": self.last_week_link}


def forecast_units(scope: Scope) -> list[Region]:
    """Streets under a district (the children of the region shown when it is above street level); the region itself otherwise."""
    region = scope.region
    if region is None:
        return list(Region.objects.filter(level=Level.STREET).order_by("path"))
    if region.level in (Level.PROVINCE, Level.CITY, Level.DISTRICT):
        return list(Region.objects.filter(path__startswith=region.path, level=Level.STREET).order_by("path"))
    return [region]


def weekly_history(cases: QuerySet, units: list[Region], *, as_of: date, max_weeks: int = HISTORY_WEEKS) -> dict[int, list[int]]:
    """Valid cases per unit per 7-day block ending at as_of (oldest first). The history starts at the
    first whole block after the first case on record, so weeks before the system began are not zeros."""
    cases = valid(cases)
    start = first_day(cases)
    if start is None or not units:
        return {u.pk: [] for u in units}
    weeks = min(max_weeks, ((as_of - start).days + 1) // 7)
    if weeks <= 0:
        return {u.pk: [] for u in units}
    since = as_of - timedelta(days=7 * weeks - 1)
    key = CaseWhen(*[When(region__path__startswith=u.path, then=Value(u.pk)) for u in units], default=Value(None), output_field=BigIntegerField())
    series = {u.pk: [0] * weeks for u in units}
    rows = (in_days(cases, since, as_of).order_by().annotate(unit=key, day=TruncDate("reported_at"))
            .values("unit", "day").annotate(n=Count("pk")).values_list("unit", "day", "n"))
    for unit, day, n in rows:
        if unit in series:
            series[unit][(day - since).days // 7] += n
    return series


@dataclass
class WeeklyTotal:
    """All the units' weeks added up, with the same forecast and back-test as each unit's (the model is
    linear, so the total's forecast is the sum of the units' forecasts)."""

    as_of: date
    weeks: list[int]
    forecast: float | None
    backtest: stats.Backtest

    def week_ends(self) -> list[date]:
        return [self.as_of - timedelta(days=7 * (len(self.weeks) - 1 - i)) for i in range(len(self.weeks))]


def weekly_total(forecasts: list[Forecast], *, as_of: date) -> WeeklyTotal:
    length = max((len(f.weeks) for f in forecasts), default=0)
    weeks = [0] * length
    for f in forecasts:
        for i, n in enumerate(f.weeks[-length:] if f.weeks else [], start=length - len(f.weeks)):
            weeks[i] += n
    return WeeklyTotal(as_of=as_of, weeks=weeks, forecast=stats.forecast_next(weeks), backtest=stats.backtest(weeks))


def forecasts(scope: Scope, *, as_of: date) -> list[Forecast]:
    units = forecast_units(scope)
    history = weekly_history(scope.cases, units, as_of=as_of)
    result = []
    for unit in units:
        weeks = history[unit.pk]
        result.append(Forecast(region=unit, weeks=weeks, forecast=stats.forecast_next(weeks), seasonal=len(weeks) >= stats.SEASON,
                               backtest=stats.backtest(weeks),
                               last_week_link=cases_link(region=unit.code, since=as_of - timedelta(days=6), until=as_of)))
    return result


# Drill-down --------------------------------------------------------------------------------------

def drill(scope: Scope) -> tuple[list[Region], list[Region]]:
    """(crumbs from the user's own region down to the region shown, the shown region's children above grid level)."""
    crumbs = []
    if scope.region is not None:
        top = scope.home.path if scope.home is not None else ""
        crumbs = [r for r in Region.objects.filter(path__in=_ancestor_paths(scope.region.path)).order_by("depth") if r.path.startswith(top)]
        children = Region.objects.filter(parent=scope.region)
    else:
        children = Region.objects.filter(parent=None)
    children = children.exclude(level__in=[Level.MICRO_GRID]).order_by("code")
    return crumbs, list(children)


def _ancestor_paths(path: str) -> list[str]:
    from yiwang.regions.models import ancestor_paths

    return ancestor_paths(path)
