"""Hand-made cases for the command screen: a known mix of statuses, deadlines, ratings, boards,
departments, grids and micro-grids (and one street beside), made through Case.save so the
rollups follow them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.cases.conftest import matters, report  # noqa: F401  (the closed loop's fixtures, used here too)


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def other_grid(tree):
    """A community and grid under the neighbouring street (汉丰街道)."""
    from tests.conftest import rect
    from yiwang.regions.models import Level, Region

    community = Region.objects.create(parent=tree.other_street, level=Level.COMMUNITY, code="500154001001", name="汉丰社区",
                                      boundary=rect(108.40, 31.10, 108.42, 31.11))
    return Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154001001001", name="汉丰社区第1网格",
                                 boundary=rect(108.40, 31.10, 108.41, 31.11))


@pytest.fixture
def command_department(tree):
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="KZ-CMD", name="开州区城管执法局", kind="urban_management", region=tree.district)
    dept.areas.add(tree.street)
    return dept


def make_case(*, matter, grid, micro=None, status="reported", reported_at, close_due_at=None, closed_at=None, rating="",
              department=None, lon=None, lat=None, ever_overdue=False, step_due_at=None, step_warn_at=None):
    from yiwang.cases.models import Case, Channel, Level
    from yiwang.matters.services import current_version

    return Case.objects.create(
        channel=Channel.DESK, matter=matter, matter_version=current_version(matter), board=matter.board, tier="A", level=Level.GRID,
        region=grid, micro_grid=micro, handling_region=grid, handling_department=department, status=status, reported_at=reported_at,
        close_due_at=close_due_at, closed_at=closed_at, rating=rating, lon=lon, lat=lat, ever_overdue=ever_overdue,
        step_due_at=step_due_at, step_warn_at=step_warn_at, number=None)


@pytest.fixture
def cases(tree, other_grid, command_department):
    """About 60 cases over the last 100 days, at random but from a fixed seed; deadlines are kept
    hours away from now so that figures read a few seconds apart agree."""
    from yiwang.cases.models import Case, Rating, Status
    from yiwang.matters.models import MatterType

    rng = random.Random(20260)
    chosen = [MatterType.objects.get(kind="community", code="S0001")]
    chosen += list(MatterType.objects.filter(kind="event", active=True).exclude(board=chosen[0].board).order_by("code")[:2])
    now = timezone.now()
    places = [(tree.grid_a, tree.micro_a1), (tree.grid_a, tree.micro_a2), (tree.grid_a, None), (tree.grid_b, tree.micro_b1),
              (other_grid, None)]
    made = []
    for i in range(60):
        grid, micro = rng.choice(places)
        matter = rng.choice(chosen)
        reported = now - timedelta(days=rng.choice([0, 0, 1, 3, 8, 20, 29, 45, 80, 100]), hours=rng.uniform(0.5, 5))
        if reported > now - timedelta(minutes=30):
            reported = now - timedelta(hours=1)
        status = rng.choice([Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.CLOSED, Status.CLOSED,
                             Status.RATED, Status.REJECTED])
        due = reported + timedelta(hours=rng.choice([6, 48, 24 * 40])) if rng.random() < 0.9 else None
        if due is not None and abs((due - now).total_seconds()) < 7200:
            due += timedelta(hours=5)
        closed_at = reported + timedelta(hours=rng.uniform(1, 100)) if status in (Status.CLOSED, Status.RATED) else None
        if closed_at is not None and closed_at > now:
            closed_at = now - timedelta(minutes=5)
        rating = rng.choice([Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED]) if status == Status.RATED else ""
        lon = lat = None
        if rng.random() < 0.7 and grid.min_lon is not None:
            lon = rng.uniform(grid.min_lon + 0.001, grid.max_lon - 0.001)
            lat = rng.uniform(grid.min_lat + 0.001, grid.max_lat - 0.001)
        step_due = now + timedelta(hours=rng.choice([-30, 3, 30])) if status in (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED) else None
        made.append(make_case(matter=matter, grid=grid, micro=micro, status=status, reported_at=reported, close_due_at=due, closed_at=closed_at,
                              rating=rating, department=command_department if rng.random() < 0.4 else None, lon=lon, lat=lat,
                              ever_overdue=rng.random() < 0.2, step_due_at=step_due,
                              step_warn_at=step_due - timedelta(hours=4) if step_due else None))
    for case in made:
        Case.objects.filter(pk=case.pk).update(number=f"T{case.pk:06d}")
    return {"matters": chosen, "cases": Case.objects.filter(pk__in=[c.pk for c in made]), "other_grid": other_grid}
