"""Reads for assessment: the counts each formula in scoring.py needs, and the records behind them.

Every figure is computed from the rows of the apps that own them (the closed loop's cases, summons
and points ledger; grid work; campaigns; votes; volunteer hours), through those apps' selectors,
for a period [since, until) and a region the caller may see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from yiwang.cases import indicators as case_indicators
from yiwang.cases.models import VOID_STATUSES, Case, Rating
from yiwang.cases.stages import late_stage_counts
from yiwang.core.scope import Role
from yiwang.matters.models import Department, DepartmentKind
from yiwang.points.models import PointEntry
from yiwang.regions.models import Level, Region, ancestor_paths
from yiwang.registry.models import Place, PlaceKind

from . import scoring
from .models import AssessmentRule, ManagedArea


def rules() -> dict[str, float]:
    """The rule values in force: the table's, with the defaults for any row missing."""
    return scoring.rule_values(dict(AssessmentRule.objects.values_list("code", "value")))


def year_period(year: int) -> tuple[datetime, datetime]:
    """[1 Jan, 1 Jan next year) in local time; ValidationError for a year outside 2000..this year."""
    from django.core.exceptions import ValidationError

    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": f"年度须在 2000 到 {timezone.localdate().year} 之间"})
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


# Grid workers ----------------------------------------------------------------------------------

@dataclass
class WorkerRow:
    worker: object
    grid: Region
    community: Region | None
    score: scoring.Score
    rank_in_community: int = 0
    workers_in_community: int = 0


def _communities_of(grids: list[Region]) -> dict[int, Region]:
    paths = {p for grid in grids for p in ancestor_paths(grid.path)}
    communities = {c.path: c for c in Region.objects.filter(path__in=paths, level=Level.COMMUNITY)}
    return {grid.pk: next((communities[p] for p in ancestor_paths(grid.path) if p in communities), None) for grid in grids}


def grid_workers(region: Region):
    """Active grid-worker accounts whose scope is a grid (or micro-grid) under `region`."""
    return (get_user_model().objects.filter(role=Role.GRID_WORKER, is_active=True, scope_region__path__startswith=region.path)
            .select_related("scope_region").order_by("scope_region__path", "username"))


def worker_counts(*, region: Region, since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Per grid-worker id: the counts scoring.grid_worker_score takes."""
    from yiwang.campaigns.selectors import checks_by_worker
    from yiwang.gridwork.selectors import work_by_worker

    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"ledger_points": 0, "patrols": 0, "visits": 0, "cases_opened": 0,
                                                             "campaign_checks": 0})
    ledger = (PointEntry.objects.filter(region__path__startswith=region.path, at__gte=since, at__lt=until)
              .values("worker").annotate(total=Sum("points")))
    for row in ledger:
        counts[row["worker"]]["ledger_points"] = row["total"] or 0
    for worker_id, work in work_by_worker(region_path=region.path, since=since, until=until).items():
        for key in ("patrols", "visits", "cases_opened"):
            counts[worker_id][key] = work.get(key, 0)
    for worker_id, checks in checks_by_worker(region_path=region.path, since=since, until=until).items():
        counts[worker_id]["campaign_checks"] = checks
    return counts


def grid_worker_ranking(*, region: Region, since: datetime, until: datetime) -> list[WorkerRow]:
    """Every grid worker under `region` with their score, ranked within their community
    (highest first; equal scores share a rank)."""
    values = rules()
    workers = list(grid_workers(region))
    counts = worker_counts(region=region, since=since, until=until)
    communities = _communities_of([w.scope_region for w in workers])
    rows = [WorkerRow(w, w.scope_region, communities.get(w.scope_region_id),
                      scoring.grid_worker_score(**counts.get(w.pk, {"ledger_points": 0, "patrols": 0, "visits": 0, "cases_opened": 0,
                                                                    "campaign_checks": 0}), rules=values))
            for w in workers]
    by_community: dict[int | None, list[WorkerRow]] = defaultdict(list)
    for row in rows:
        by_community[row.community.pk if row.community else None].append(row)
    for members in by_community.values():
        members.sort(key=lambda r: (-r.score.total, r.worker.username))
        for row in members:
            row.rank_in_community = 1 + sum(1 for other in members if other.score.total > row.score.total)
            row.workers_in_community = len(members)
    return sorted(rows, key=lambda r: (r.community.path if r.community else "", r.rank_in_community, r.worker.username))


def worker_ledger(*, worker, region_path: str, since: datetime, until: datetime):
    """The closed-loop ledger entries behind a worker's ledger points (the same rows the score sums)."""
    return (PointEntry.objects.filter(worker=worker, region__path__startswith=region_path, at__gte=since, at__lt=until)
            .select_related("case", "region").order_by("-at"))


def worker_records(*, worker, region_path: str, since: datetime, until: datetime) -> dict:
    """The patrols, visits, findings that opened cases and campaign checks behind a worker's
    counts: the rows gridwork's work_by_worker and campaigns' checks_by_worker count."""
    from yiwang.campaigns.models import TargetCheck
    from yiwang.gridwork.models import Finding, HomeVisit, PatrolLog

    window = {"region__path__startswith": region_path, "at__gte": since, "at__lt": until, "worker": worker}
    patrols = PatrolLog.objects.filter(**window).select_related("region").order_by("-at")
    visits = HomeVisit.objects.filter(**window).select_related("region").order_by("-at")
    findings = (Finding.objects.filter(Q(patrol__in=patrols.values("pk")) | Q(visit__in=visits.values("pk")), case__isnull=False)
                .select_related("case").order_by("-pk"))
    checks = (TargetCheck.objects.filter(target__region__path__startswith=region_path, checked_at__gte=since, checked_at__lt=until,
                                         checked_by=worker)
              .select_related("target__campaign", "target__place", "target__household").order_by("-checked_at"))
    return {"patrols": patrols, "visits": visits, "findings": findings, "checks": checks}


# Departments -----------------------------------------------------------------------------------

@dataclass
class DepartmentRow:
    department: Department
    indicators: case_indicators.Indicators
    summons_asked: int
    checked_in_on_time: int
    rating_average: float | None  # the summoners' rating of this department
    rating_of_street_average: float | None  # this department's rating of the summoners (the other way)
    score: scoring.Score
    late_stages: int = 0  # stages the department held when the sweep marked them late (cases.stages)

    @property
    def checkin_rate(self) -> float | None:
        return case_indicators.ratio(self.checked_in_on_time, self.summons_asked)


def _summons_figures(parts) -> dict[int, dict]:
    rows = (parts.filter(department__isnull=False).values("department")
            .annotate(asked=Count("id"), on_time=Count("id", filter=Q(checked_in_at__isnull=False, checked_in_at__lte=F("checkin_due_at"))),
                      rating=Avg("rating_of_participant"), rating_back=Avg("rating_of_summoner")))
    return {row["department"]: row for row in rows}


def department_scores(*, cases, parts, since: datetime, until: datetime) -> list[DepartmentRow]:
    """Departments with cases or summons in the period, scored. `cases` and `parts` are the
    caller's scoped Case and SummonsPart querysets."""
    values = rules()
    as_of = min(until, timezone.now())
    by_department = {row.key: row.indicators for row in
                     case_indicators.breakdown(cases, by="department", as_of=as_of, start=since, end=until) if row.key is not None}
    summons = _summons_figures(parts.filter(summons__created_at__gte=since, summons__created_at__lt=until))
    departments = Department.objects.in_bulk(set(by_department) | set(summons))
    late = late_stage_counts(cases, since=since, until=until, by="department")
    rows = []
    for pk, department in departments.items():
        ind = by_department.get(pk) or case_indicators.Indicators()
        figures = summons.get(pk, {"asked": 0, "on_time": 0, "rating": None, "rating_back": None})
        checkin_rate = case_indicators.ratio(figures["on_time"], figures["asked"])
        score = scoring.department_score(on_time_rate=ind.on_time_rate, rework_rate=ind.rework_rate, checkin_rate=checkin_rate,
                                         rating_average=figures["rating"], rules=values)
        rows.append(DepartmentRow(department, ind, figures["asked"], figures["on_time"], figures["rating"], figures["rating_back"], score,
                                  late.get(pk, 0)))
    return sorted(rows, key=lambda r: (-r.score.total, r.department.name))


def department_cases(*, cases, department: Department, since: datetime, until: datetime):
    return case_indicators.in_period(cases.filter(handling_department=department), since, until).order_by("-reported_at")


def department_parts(*, parts, department: Department, since: datetime, until: datetime):
    return (parts.filter(department=department, summons__created_at__gte=since, summons__created_at__lt=until)
            .select_related("summons__case").order_by("-summons__created_at"))


# Property companies ----------------------------------------------------------------------------

@dataclass
class PropertyRow:
    company: Place
    areas: list
    households: int | None
    complaints: int
    failed_items: int
    checks: int
    rated: int
    satisfied: int
    light: scoring.TrafficLight


def _area_filter(areas) -> Q:
    query = Q(pk__in=[])
    for area in areas:
        query |= Q(region__path__startswith=area.region.path)
    return query


def property_cases(areas, *, since: datetime, until: datetime):
    """Non-void cases in the company's areas reported in the period."""
    return (Case.objects.filter(_area_filter(areas), reported_at__gte=since, reported_at__lt=until)
            .exclude(status__in=VOID_STATUSES))


def property_complaints(areas, *, since: datetime, until: datetime):
    """The cases counted as complaints about a property company: matters the housing (物业) side answers for."""
    return property_cases(areas, since=since, until=until).filter(matter__department_kind=DepartmentKind.HOUSING)


def property_ratings(*, companies, since: datetime, until: datetime) -> list[PropertyRow]:
    """The red-yellow-green light of each company (registry.Place of kind property_company)."""
    from yiwang.campaigns.selectors import place_check_results

    values = rules()
    companies = list(companies)
    areas_by_company: dict[int, list] = defaultdict(list)
    for area in ManagedArea.objects.filter(company__in=companies).select_related("region"):
        areas_by_company[area.company_id].append(area)
    inspections = place_check_results(place_ids=[c.pk for c in companies], since=since, until=until)
    rows = []
    for company in companies:
        areas = areas_by_company.get(company.pk, [])
        known = [a.households for a in areas if a.households]
        households = sum(known) if areas and len(known) == len(areas) else None
        complaints = property_complaints(areas, since=since, until=until).count() if areas else 0
        rated = satisfied = 0
        if areas:
            ratings = property_cases(areas, since=since, until=until).exclude(rating="").aggregate(
                rated=Count("id"), satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])))
            rated, satisfied = ratings["rated"], ratings["satisfied"]
        found = inspections.get(company.pk, {"checks": 0, "failed_items": 0})
        light = scoring.property_light(complaints=complaints, households=households, failed_items=found["failed_items"],
                                       rated=rated, satisfied=satisfied, rules=values)
        rows.append(PropertyRow(company, areas, households, complaints, found["failed_items"], found["checks"], rated, satisfied, light))
    order = {scoring.RED: 0, scoring.YELLOW: 1, scoring.GREEN: 2}
    return sorted(rows, key=lambda r: (order[r.light.colour], r.company.name))


def property_companies(places):
    """Property companies among a scoped Place queryset."""
    return places.filter(kind=PlaceKind.PROPERTY_COMPANY).order_by("name")
