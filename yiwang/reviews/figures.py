"""The figures of a weekly dispatch report (周调度), as plain JSON-ready data.

Every indicator comes from `yiwang.cases.indicators` (`indicators()` / `breakdown()`): the week's
population is the cases reported from Monday 00:00 to the next Monday 00:00 (local time), judged at
the end of the week (or now, for the running week); last week is judged at its own end. Summonses
are those blown during the week. Overdue units count the open cases past their deadline at the
report's moment, whenever they were reported (the backlog the meeting must chase).

`weekly_figures()` is the one function the screen, the Excel and the PDF are made from.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from yiwang.cases.indicators import Indicators, breakdown, in_period, in_region, indicators, ratio
from yiwang.cases.models import VOID_STATUSES, Case, SummonsPart
from yiwang.matters.models import Department
from yiwang.regions.models import Region

# The headline indicators, in the order shown: (key, label, kind).
KPIS = (
    ("cases", "上报事件", "count"),
    ("closed", "已结案", "count"),
    ("open_overdue", "在办超期", "count"),
    ("on_time_rate", "按期结案率", "rate"),
    ("closing_rate", "结案率", "rate"),
    ("satisfaction_rate", "满意率", "rate"),
)
TOP_MATTERS = 10
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in the local time zone."""
    start = timezone.make_aware(datetime.combine(week_start, time.min))
    end = timezone.make_aware(datetime.combine(week_start + timedelta(days=7), time.min))
    return start, end


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Rates are kept to 6 decimals (0.0001 %): enough for any display, and they survive the round trip
# through an .xlsx cell exactly, so the workbook's numbers equal these figures.
RATE_DIGITS = 6


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def _change(this, last):
    if this is None or last is None:
        return None
    return round(this - last, RATE_DIGITS) if isinstance(this, float) or isinstance(last, float) else this - last


def _kpis(this: Indicators, last: Indicators) -> list[dict]:
    rows = []
    for key, label, kind in KPIS:
        a, b = getattr(this, key), getattr(last, key)
        if kind == "rate":
            a, b = _rate(a), _rate(b)
        rows.append({"key": key, "label": label, "kind": kind, "this": a, "last": b, "change": _change(a, b)})
    return rows


def _ranking(this_rows, last_rows) -> list[dict]:
    """Rows of a breakdown with last week's beside them, ranked by on-time rate (no rate: last)
    and, separately, by cases reported."""
    last = {row.key: row.indicators for row in last_rows}
    items = []
    for row in this_rows:
        before = last.get(row.key, Indicators())
        items.append({
            "key": row.key, "label": row.label,
            "cases": row.indicators.cases, "closed": row.indicators.closed, "open_overdue": row.indicators.open_overdue,
            "on_time_rate": _rate(row.indicators.on_time_rate), "satisfaction_rate": _rate(row.indicators.satisfaction_rate),
            "last_cases": before.cases, "last_on_time_rate": _rate(before.on_time_rate),
            "change_cases": row.indicators.cases - before.cases,
            "change_on_time_rate": _change(_rate(row.indicators.on_time_rate), _rate(before.on_time_rate)),
        })
    by_cases = sorted(items, key=lambda item: (-item["cases"], item["label"]))
    for rank, item in enumerate(by_cases, start=1):
        item["rank_cases"] = rank
    by_rate = sorted(items, key=lambda item: (item["on_time_rate"] is None, -(item["on_time_rate"] or 0), -item["cases"], item["label"]))
    for rank, item in enumerate(by_rate, start=1):
        item["rank_on_time"] = rank
    return by_rate


def _top_matters(this_rows, last_rows) -> list[dict]:
    last = {row.key: row.indicators.cases for row in last_rows}
    return [{"key": row.key, "label": row.label, "cases": row.indicators.cases, "last_cases": last.get(row.key, 0),
             "change": row.indicators.cases - last.get(row.key, 0)}
            for row in this_rows[:TOP_MATTERS] if row.indicators.cases]


def _summons_counts(parts) -> dict:
    counts = parts.aggregate(
        summonses=Count("summons", distinct=True), parts=Count("pk"),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        on_time=Count("pk", filter=Q(checked_in_at__isnull=False, checked_in_at__lte=F("checkin_due_at"))),
        done=Count("pk", filter=Q(done_at__isnull=False)),
    )
    counts["checkin_rate"] = _rate(ratio(counts["checked_in"], counts["parts"]))
    counts["on_time_rate"] = _rate(ratio(counts["on_time"], counts["parts"]))
    counts["done_rate"] = _rate(ratio(counts["done"], counts["parts"]))
    return counts


def _summons(region: Region, start: datetime, end: datetime, last_start: datetime) -> dict:
    """吹哨报到 blown this week and last: summoned parties, checked in, checked in on time, done."""
    parts = SummonsPart.objects.filter(summons__case__region__path__startswith=region.path)
    this = parts.filter(summons__created_at__gte=start, summons__created_at__lt=end)
    last = parts.filter(summons__created_at__gte=last_start, summons__created_at__lt=start)
    by_party = []
    rows = (this.values("department", "department__name", "member", "member__username", "member__first_name", "member__last_name")
            .annotate(parts=Count("pk"), checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
                      on_time=Count("pk", filter=Q(checked_in_at__isnull=False, checked_in_at__lte=F("checkin_due_at"))),
                      done=Count("pk", filter=Q(done_at__isnull=False))))
    for row in rows:
        name = row["department__name"] or (f"{row['member__last_name']}{row['member__first_name']}" or row["member__username"])
        by_party.append({"label": name, "parts": row["parts"], "checked_in": row["checked_in"], "on_time": row["on_time"], "done": row["done"]})
    by_party.sort(key=lambda item: (-item["parts"], item["label"]))
    return {"this": _summons_counts(this), "last": _summons_counts(last), "by_party": by_party}


def _overdue_units(cases, as_of: datetime) -> list[dict]:
    """Per handling unit (department, else region), its open cases and those past due at `as_of`,
    counted by `indicators()` over the unit's cases (so "past due" is the indicators' rule)."""
    candidates = (cases.open().filter(close_due_at__lt=as_of)
                  .values_list("handling_department", "handling_region").distinct())
    # One unit per department whatever regions its cases sit in (else it would be counted once per region).
    units = sorted({(d, None) if d is not None else (None, r) for d, r in candidates}, key=lambda unit: (unit[0] is None, unit[0] or 0, unit[1] or 0))
    departments = Department.objects.in_bulk([d for d, _ in units if d is not None])
    regions = Region.objects.in_bulk([r for d, r in units if d is None])
    rows = []
    for department, handling_region in units:
        if department is not None:
            unit_cases, label, kind = cases.filter(handling_department=department), departments[department].name, "department"
        else:
            unit_cases = cases.filter(handling_department__isnull=True, handling_region=handling_region)
            label, kind = regions[handling_region].name, "region"
        counts = indicators(unit_cases, as_of=as_of)
        if counts.open_overdue:
            rows.append({"label": label, "kind": kind, "open": counts.open, "open_overdue": counts.open_overdue})
    # A department and a region can share a name only by accident; keep both rows.
    rows.sort(key=lambda row: (-row["open_overdue"], -row["open"], row["label"]))
    return rows


def _trend(cases, start: datetime, end: datetime) -> list[int]:
    """Cases reported on each day of [start, start + 7 days), non-void (the KPI's population)."""
    counts = dict(in_period(cases, start, end).exclude(status__in=sorted(VOID_STATUSES)).order_by()
                  .annotate(day=TruncDate("reported_at", tzinfo=timezone.get_current_timezone()))
                  .values_list("day").annotate(n=Count("pk")).values_list("day", "n"))
    first = timezone.localdate(start)
    return [counts.get(first + timedelta(days=offset), 0) for offset in range(7)]


def weekly_figures(*, region: Region, week_start: date, now: datetime | None = None) -> dict:
    """Everything a weekly report shows, for the cases of `region`'s subtree (not scoped: the
    caller has checked that the requester may see `region`). Rates are floats in [0, 1] or None.

    Cases keep only their current state, so "open past due" is judged at each week's end, while
    closing and rating are as they stand when the report is made: a report made again later can
    show last week's rates higher, as late closings and ratings arrive."""
    now = now or timezone.now()
    start, end = week_bounds(week_start)
    last_start = start - timedelta(days=7)
    as_of = min(now, end)
    cases = in_region(Case.objects.all(), region)

    this_week = indicators(cases, start=start, end=end, as_of=as_of)
    last_week = indicators(cases, start=last_start, end=start, as_of=start)

    def both(by, **extra):
        return (breakdown(cases, by=by, start=start, end=end, as_of=as_of, **extra),
                breakdown(cases, by=by, start=last_start, end=start, as_of=start, **extra))

    regions_this, regions_last = both("region", parent=region)
    departments_this, departments_last = both("department")
    matters_this, matters_last = both("matter")

    return {
        "region": {"code": region.code, "name": region.name, "level": region.get_level_display()},
        "week_start": week_start.isoformat(), "week_end": (week_start + timedelta(days=6)).isoformat(),
        "last_week_start": (week_start - timedelta(days=7)).isoformat(),
        "as_of": timezone.localtime(as_of).isoformat(timespec="seconds"),
        "kpis": _kpis(this_week, last_week),
        "region_ranking": _ranking(regions_this, regions_last),
        "department_ranking": _ranking(departments_this, departments_last),
        "top_matters": _top_matters(matters_this, matters_last),
        "summons": _summons(region, start, end, last_start),
        "overdue_units": _overdue_units(cases, as_of),
        "trend": {"days": list(WEEKDAYS), "this": _trend(cases, start, end), "last": _trend(cases, last_start, start)},
        "national": _national(cases, start, end, last_start),
    }


def _national(cases, start: datetime, end: datetime, last_start: datetime) -> list[dict]:
    """The national indicators (yiwang.cases.national) of the week's cases and last week's, each
    with its numerator and denominator."""
    from yiwang.cases.national import COUNT_LABELS, RATES, national_rates

    this, last = national_rates(cases, start=start, end=end), national_rates(cases, start=last_start, end=start)
    return [{"key": name, "label": label, "numerator_label": COUNT_LABELS[num], "denominator_label": COUNT_LABELS[den],
             "this": _rate(this[name].value), "this_numerator": this[name].numerator, "this_denominator": this[name].denominator,
             "last": _rate(last[name].value), "last_numerator": last[name].numerator, "last_denominator": last[name].denominator,
             "change": _change(_rate(this[name].value), _rate(last[name].value))}
            for name, label, num, den in RATES]
