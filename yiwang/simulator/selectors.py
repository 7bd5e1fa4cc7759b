"""Reads of simulations: who may run them, on which regions, and the runs a user may see."""

from __future__ import annotations

from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext

from yiwang.cases.models import VOID_STATUSES, Case
from yiwang.core.scope import Role, is_command_center_staff
from yiwang.regions.models import Level, Region

from .models import RunKind, RunStatus, SimulationRun

SIMULATING_ROLES = frozenset({Role.DISTRICT, Role.STREET})
BACKTEST_WEEKS = 13


def may_simulate(user) -> bool:
    """Street and district staff plan their staffing; grid and community workers do not."""
    return is_command_center_staff(user) and (user.is_superuser or user.role in SIMULATING_ROLES)


def simulation_regions(user):
    """The streets and districts a user may simulate: those within their scope."""
    if not may_simulate(user):
        return Region.objects.none()
    return Region.objects.restrict(user).filter(level__in=[Level.STREET, Level.DISTRICT]).order_by("path")


def runs_of(user):
    """Runs on regions within the user's scope (a street's staff see their street's runs)."""
    return SimulationRun.objects.filter(region__in=simulation_regions(user)).select_related("region", "backtest")


def run_of(user, pk: int) -> SimulationRun:
    run = runs_of(user).filter(pk=pk).first()
    if run is None:
        raise Http404(gettext("没有这个推演任务"))
    return run


def history_stamp(region: Region) -> str:
    """What the region's history is now: a back-test fitted on another stamp is stale."""
    cases = Case.objects.filter(region__path__startswith=region.path).exclude(status__in=sorted(VOID_STATUSES))
    figures = cases.aggregate(reported=Max("reported_at"), closed=Max("closed_at"))
    latest = [value.isoformat(timespec="seconds") if value else "-" for value in (figures["reported"], figures["closed"])]
    return f"{cases.count()}|{latest[0]}|{latest[1]}"[:100]


def current_backtest(region: Region, *, stamp: str | None = None) -> SimulationRun | None:
    """The back-test of the region on its current history (queued, running or done), if any."""
    stamp = history_stamp(region) if stamp is None else stamp
    return (SimulationRun.objects.filter(region=region, kind=RunKind.BACKTEST, weeks=BACKTEST_WEEKS, history_stamp=stamp)
            .exclude(status=RunStatus.FAILED).order_by("-created_at", "-id").first())  # fmt: skip
