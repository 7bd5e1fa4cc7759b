"""Reads for grid work: recent records, the work each grid worker did (for assessment), and
key-person care: which plan applies to whom, who is covered, who is overdue, coverage per grid.

The care rule, as the pages and docs state it:
- A person is *under a plan* when one of their key-group tags has an active care plan that has
  started, set for their region or a region above it; the nearest such plan (the deepest region)
  applies for that group. A person under several groups' plans follows the most frequent of them
  (a visit covers them all).
- A *care visit* is a home visit that names the person, by anyone.
- *Covered*: the last care visit falls within the frequency window, the last N days counting today
  (N = 7 for weekly): today - last visit < N.
- *Due date*: N days after the last care visit, or after the plan's start when there was no visit
  since it started. *Overdue* from the due date on (today >= due date); "since" is the due date.
  Not covered and not yet due is *pending* (a plan that just started, nobody visited yet).
- 重点对象关注覆盖率 (coverage) of a grid = covered persons / persons under a plan, in that grid.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.utils import timezone

from yiwang.core.scope import Role, scope_path
from yiwang.regions.models import Level, Region, ancestor_paths
from yiwang.registry.access import person_rules_apply
from yiwang.registry.models import KeyGroup, Person, PersonTag

from .models import CarePlan, Finding, HomeVisit, PatrolLog

COVERED, PENDING, OVERDUE = "covered", "pending", "overdue"
STATUS_LABELS = {COVERED: "已按期走访", PENDING: "待走访", OVERDUE: "已超期"}
# Grid staff whose names the overdue list shows beside each grid.
GRID_WORKER_FORCE_ROLES = ("grid_chief", "full_time_worker", "part_time_worker")


# --- the work each grid worker did -------------------------------------------------------------

def work_by_worker(*, region_path: str, since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Per user id: patrols and home visits recorded as theirs under `region_path` with `since <= at
    < until`, the findings of those records and the cases the findings opened. Records kept only
    under a name (no account) are not counted."""
    patrols = PatrolLog.objects.filter(region__path__startswith=region_path, at__gte=since, at__lt=until, worker__isnull=False)
    visits = HomeVisit.objects.filter(region__path__startswith=region_path, at__gte=since, at__lt=until, worker__isnull=False)
    work: dict[int, dict[str, int]] = defaultdict(lambda: {"patrols": 0, "visits": 0, "findings": 0, "cases_opened": 0})
    for key, records in (("patrols", patrols), ("visits", visits)):
        for row in records.order_by().values("worker").annotate(n=Count("id")):
            work[row["worker"]][key] = row["n"]
    for relation, records in (("patrol", patrols), ("visit", visits)):
        rows = (Finding.objects.filter(**{f"{relation}__in": records.values("pk")}).order_by()
                .values(f"{relation}__worker").annotate(n=Count("id"), cases=Count("case")))
        for row in rows:
            counts = work[row[f"{relation}__worker"]]
            counts["findings"] += row["n"]
            counts["cases_opened"] += row["cases"]
    return dict(work)


# --- records ------------------------------------------------------------------------------------

def _with_details(records):
    return records.select_related("region", "building", "place", "worker").prefetch_related("findings__case")


def patrols_in_scope(user):
    return _with_details(PatrolLog.objects.restrict(user))


def visits_in_scope(user):
    return _with_details(HomeVisit.objects.restrict(user)).select_related("household").prefetch_related("persons")


def recent_records(records_of_patrols, records_of_visits, limit: int = 20) -> list:
    """Patrols and visits together, newest first."""
    patrols = list(records_of_patrols.order_by("-at", "-id")[:limit])
    visits = list(records_of_visits.order_by("-at", "-id")[:limit])
    return sorted(chain(patrols, visits), key=lambda r: (r.at, r.recorded_at), reverse=True)[:limit]


def my_recent_records(user, limit: int = 20) -> list:
    return recent_records(patrols_in_scope(user).filter(worker=user), visits_in_scope(user).filter(worker=user), limit)


# --- key-person care ----------------------------------------------------------------------------

def care_status(*, last_visit_on: date | None, starts_on: date, frequency_days: int, today: date) -> tuple[str, date]:
    """(status, due date) of one person under a plan; see the module docstring."""
    if last_visit_on is not None and last_visit_on > today:
        last_visit_on = today
    base = last_visit_on if last_visit_on is not None and last_visit_on >= starts_on else starts_on
    due_on = base + timedelta(days=frequency_days)
    if last_visit_on is not None and (today - last_visit_on).days < frequency_days:
        return COVERED, due_on
    if today >= due_on:
        return OVERDUE, due_on
    return PENDING, due_on


def coverage_rate(covered: int, under_plan: int) -> float | None:
    """Covered / under a plan, or None when nobody is under a plan (no rate, rather than 0 or 100%)."""
    return covered / under_plan if under_plan else None


@dataclass
class CareRow:
    person_id: int
    person_name: str
    region: Region  # where the person is registered (micro-grid or grid)
    grid: Region | None
    groups: list[str]  # labels of the person's key groups under a plan
    plan: CarePlan  # the plan followed (the most frequent)
    last_visit_on: date | None
    due_on: date
    status: str
    today: date

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.due_on).days) if self.status == OVERDUE else 0

    @property
    def groups_text(self) -> str:
        return "、".join(self.groups)


@dataclass
class GridCoverage:
    grid: Region
    under_plan: int = 0
    covered: int = 0
    pending: int = 0
    overdue: int = 0
    workers: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return coverage_rate(self.covered, self.under_plan)

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%"


def plans_for(region_path: str, *, today: date):
    """Active, started plans that can apply to persons under `region_path`: set above it or inside it."""
    return (CarePlan.objects.filter(active=True, starts_on__lte=today)
            .filter(Q(region__path__in=ancestor_paths(region_path)) | Q(region__path__startswith=region_path))
            .select_related("region"))


def plans_visible_to(user):
    """Plans a user may read: those that apply to their scope (set above it) and those inside it."""
    prefix = scope_path(user)
    if prefix is None or (not user.is_superuser and user.role == Role.RESIDENT):
        return CarePlan.objects.none()
    return (CarePlan.objects.filter(Q(region__path__in=ancestor_paths(prefix)) | Q(region__path__startswith=prefix))
            .select_related("region", "created_by"))


def grids_for(region_path: str) -> dict[str, Region]:
    grids = Region.objects.filter(level=Level.GRID).filter(Q(path__in=ancestor_paths(region_path)) | Q(path__startswith=region_path))
    return {grid.path: grid for grid in grids.select_related("parent")}


def applying_plans(region_path: str, tags, plans_by_group: dict[str, list[CarePlan]]) -> list[tuple[str, CarePlan]]:
    """(group, plan) for each of the person's groups with a plan above them: the nearest one
    (`plans_by_group`'s lists are nearest first)."""
    applying = []
    for tag in tags:
        plan = next((p for p in plans_by_group.get(tag, ()) if region_path.startswith(p.region.path)), None)
        if plan is not None:
            applying.append((tag, plan))
    return applying


def followed_plan(applying: list[tuple[str, CarePlan]]) -> CarePlan:
    """The most frequent plan, the nearest one among equals."""
    return min((p for _, p in applying), key=lambda p: (p.frequency_days, -len(p.region.path), p.pk))


def care_rows(*, region_path: str, today: date | None = None, now: datetime | None = None, viewer=None) -> list[CareRow]:
    """Every person under `region_path` who is under a care plan, with their status; with a
    `viewer`, only the persons that user may see (need to know, sensitive groups)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    plans_by_group: dict[str, list[CarePlan]] = defaultdict(list)
    for plan in plans_for(region_path, today=today):
        plans_by_group[plan.group].append(plan)
    if not plans_by_group:
        return []
    for plans in plans_by_group.values():
        plans.sort(key=lambda p: len(p.region.path), reverse=True)  # nearest first
    tags = PersonTag.objects.filter(tag__in=list(plans_by_group), person__region__path__startswith=region_path)
    if viewer is not None and person_rules_apply(viewer):
        tags = tags.filter(person__in=Person.objects.restrict(viewer).values("pk"))
    tags = tags.order_by().values_list("person_id", "tag", "person__name", "person__region_id")
    person_tags: dict[int, list[str]] = defaultdict(list)
    names: dict[int, str] = {}
    region_ids: dict[int, int] = {}
    for person_id, tag, name, region_id in tags:
        names[person_id], region_ids[person_id] = name, region_id
        person_tags[person_id].append(tag)
    regions = Region.objects.in_bulk(set(region_ids.values()))
    grids = grids_for(region_path)
    last_visits = dict(
        HomeVisit.persons.through.objects.filter(person__region__path__startswith=region_path, homevisit__at__lte=now)
        .order_by().values("person_id").annotate(last=Max("homevisit__at")).values_list("person_id", "last"))
    labels = dict(KeyGroup.choices)
    rows = []
    for person_id, tagged in person_tags.items():
        region = regions[region_ids[person_id]]
        applying = applying_plans(region.path, tagged, plans_by_group)
        if not applying:
            continue
        plan = followed_plan(applying)
        last = last_visits.get(person_id)
        last_on = timezone.localdate(last) if last is not None else None
        status, due_on = care_status(last_visit_on=last_on, starts_on=plan.starts_on, frequency_days=plan.frequency_days, today=today)
        grid = next((grids[path] for path in reversed(ancestor_paths(region.path)) if path in grids), None)
        rows.append(CareRow(person_id=person_id, person_name=names[person_id], region=region, grid=grid,
                            groups=sorted({str(labels[tag]) for tag, _ in applying}), plan=plan, last_visit_on=last_on,
                            due_on=due_on, status=status, today=today))
    rows.sort(key=lambda r: (r.grid.path if r.grid else "", r.due_on, r.person_id))
    return rows


def overdue(rows: list[CareRow]) -> list[CareRow]:
    """Overdue persons, longest overdue first."""
    return sorted((r for r in rows if r.status == OVERDUE), key=lambda r: (r.due_on, r.grid.path if r.grid else "", r.person_id))


def grid_worker_names(grids) -> dict[int, list[str]]:
    """Per grid id: the grid workers answering for it (accounts scoped to it, and grid staff
    assigned to it in the forces roster), by name."""
    from yiwang.forces.models import Assignment

    grids = list(grids)
    by_path = {g.path: g.pk for g in grids}
    names: dict[int, list[str]] = defaultdict(list)

    def add(path: str, name: str) -> None:
        grid_id = next((by_path[p] for p in ancestor_paths(path) if p in by_path), None)
        if grid_id is not None and name and name not in names[grid_id]:
            names[grid_id].append(name)

    if not grids:
        return {}
    under = Q()
    for grid in grids:
        under |= Q(scope_region__path__startswith=grid.path)
    accounts = get_user_model().objects.filter(under, role=Role.GRID_WORKER, is_active=True).select_related("scope_region").order_by("username")
    for user in accounts:
        add(user.scope_region.path, user.get_full_name() or user.username)
    today = timezone.localdate()
    assigned = (Assignment.objects.filter(grid_id__in=[g.pk for g in grids], role__in=GRID_WORKER_FORCE_ROLES, member__active=True)
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).select_related("grid", "member").order_by("role", "member__name"))
    for assignment in assigned:
        add(assignment.grid.path, assignment.member.name)
    return dict(names)


def coverage_by_grid(rows: list[CareRow], *, region_path: str) -> list[GridCoverage]:
    """Every grid under `region_path` (or the grid above it) with its care counts and grid workers."""
    grids = sorted(grids_for(region_path).values(), key=lambda g: g.path)
    table = {grid.pk: GridCoverage(grid=grid) for grid in grids}
    for row in rows:
        if row.grid is None or row.grid.pk not in table:
            continue
        cell = table[row.grid.pk]
        cell.under_plan += 1
        setattr(cell, row.status, getattr(cell, row.status) + 1)
    workers = grid_worker_names(grids)
    for grid_id, cell in table.items():
        cell.workers = workers.get(grid_id, [])
    return list(table.values())


def totals(rows: list[CareRow]) -> dict:
    covered = sum(1 for r in rows if r.status == COVERED)
    overdue_count = sum(1 for r in rows if r.status == OVERDUE)
    return totals_of(under_plan=len(rows), covered=covered, overdue=overdue_count)


def totals_of(*, under_plan: int, covered: int, overdue: int) -> dict:
    rate = coverage_rate(covered, under_plan)
    return {"under_plan": under_plan, "covered": covered, "pending": under_plan - covered - overdue, "overdue": overdue,
            "rate": rate, "percent": "—" if rate is None else f"{rate * 100:.1f}%"}
