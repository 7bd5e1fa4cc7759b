"""Writes of simulations: start a what-if (with the region's back-test when its history has moved),
and the worker's run of either kind. The model is `simulation.py`; the rules of who may are here."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.statemachine import StateMachine, Transition

from . import simulation
from .models import RunKind, RunStatus, SimulationRun
from .selectors import BACKTEST_WEEKS, current_backtest, history_stamp, may_simulate, simulation_regions
from .tasks import run_simulation

log = logging.getLogger(__name__)
RUN_MACHINE = StateMachine([Transition("run", RunStatus.QUEUED, RunStatus.RUNNING, stamp="started_at")])
MAX_SEED = 2**31 - 1


def _enqueue(run: SimulationRun) -> None:
    transaction.on_commit(lambda: run_simulation.enqueue(run.pk))


def start_scenario(*, acting_user, region_code: str, weeks, scenario: dict, seed: int = 0) -> SimulationRun:
    """Queue a what-if for the worker, and the region's back-test beside it unless one holds for its history."""
    if not may_simulate(acting_user):
        raise PermissionDenied(_("只有街道、区指挥中心的工作人员可以推演"))
    problems: dict[str, str] = {}
    region = simulation_regions(acting_user).filter(code=region_code).first()
    if region is None:
        problems["region"] = _("请选择您辖区内的街道或区县")
    try:
        simulation.check_weeks(weeks)
    except simulation.SimulationError as exc:
        problems["weeks"] = str(exc)
    if not isinstance(scenario, dict):
        problems["scenario"] = _("情景应为 JSON 对象")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems["seed"] = _("随机种子应为非负整数")
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    with transaction.atomic():
        stamp = history_stamp(region)
        backtest = current_backtest(region, stamp=stamp)
        if backtest is None:
            backtest = SimulationRun.objects.create(kind=RunKind.BACKTEST, region=region, weeks=BACKTEST_WEEKS, seed=0,
                                                    history_stamp=stamp, created_by=acting_user, created_at=now)  # fmt: skip
            _enqueue(backtest)
        run = SimulationRun.objects.create(kind=RunKind.SCENARIO, region=region, weeks=weeks, seed=seed, scenario=scenario,
                                           history_stamp=stamp, backtest=backtest, created_by=acting_user, created_at=now)  # fmt: skip
        audit.record(actor=acting_user, action="simulator.start", target=run,
                     detail={"region": region.code, "weeks": weeks, "scenario": scenario, "backtest": backtest.pk})  # fmt: skip
        _enqueue(run)
    return run


def run_job(*, run_id: int) -> str:
    """The worker's side: run a queued simulation and keep its figures, or its problem in Chinese."""
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not RUN_MACHINE.can(run, "run"):
            return run.status if run else "missing"
        RUN_MACHINE.apply(run, "run", timezone.now())
        run.save(update_fields=["status", "started_at"])

    def progress(share: int) -> None:
        SimulationRun.objects.filter(pk=run.pk).update(progress=min(max(share, 0), 100))

    outcome: dict = {"status": RunStatus.FAILED}
    try:
        if run.kind == RunKind.BACKTEST:
            result = simulation.backtest(run.region.code, weeks=run.weeks, seed=run.seed, progress=progress)
        else:
            result = simulation.forecast(run.region.code, weeks=run.weeks, scenario_data=run.scenario, seed=run.seed, progress=progress)
    except simulation.SimulationError as exc:
        outcome["error"] = str(exc)[:500]
    except Exception:
        log.exception("simulation run %s failed", run.pk)
        outcome["error"] = _("推演时发生内部错误。请稍后重试；多次失败请联系系统管理员，并告知推演编号 %(id)s。") % {"id": run.pk}
    else:
        outcome = {"status": RunStatus.DONE, "result": result, "progress": 100}
    SimulationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), **outcome)
    return outcome["status"]
