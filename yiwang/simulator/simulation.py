"""Back-test and forward runs: fit, draw the cases, run today and the scenario, and shape the figures.

The back-test fits on the history before the last `weeks` weeks, replays those weeks and sets what
the model predicts beside what happened: the on-time rate, the weekly arrivals (their mean absolute
percentage error) and the open cases at each week's end. A forward run fits on the whole history
and runs `weeks` weeks from today, as things are and under the scenario. Each figure is the mean of
`REPLICATIONS` runs with seeds drawn from the one given, so the same seed gives the same figures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from .engine import COORDINATOR_STAGES, HANDLER_STAGES, STAGES, CaseSpec, Figures, figures_of, run
from .fitting import Fit, FitError, Template, fit, history_figures, local_midnight, simulation_region
from .scenario import Scenario, ScenarioError, check_handlers, parse, staff_after

MIN_WEEKS, MAX_WEEKS = 1, 52
REPLICATIONS = 5
Progress = Callable[[int], None]


class SimulationError(ValueError):
    """Bad input to a run (region, weeks, scenario): the message is Chinese and names it."""


def check_weeks(weeks) -> int:
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise SimulationError(gettext("推演周数应为 %(low)d 到 %(high)d 之间的整数，收到“%(value)s”")
                              % {"low": MIN_WEEKS, "high": MAX_WEEKS, "value": weeks})  # fmt: skip
    return weeks


@dataclass
class Plan:
    """The cases one replication runs, before the scenario's staffing is applied."""

    cases: list[CaseSpec]
    week_ends: list[float]
    start: float
    end: float


def _draw(rng: random.Random, values: list):
    return values[rng.randrange(len(values))]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method for small means, a rounded normal for large ones: daily counts of one street.
    if mean <= 0:
        return 0
    if mean > 60:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    import math

    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _spec(fitted: Fit, rng: random.Random, *, arrival: float, week: int, due: float | None, limit: float | None,
          stages, grid: str, matter: str, klass: str, unit: str, coordinator: str, held: bool = False) -> CaseSpec:
    pool = fitted.durations_of(klass)

    def draw() -> tuple[float, ...]:
        seconds, own_limit = _draw(rng, pool)
        if limit and own_limit:
            # The historic case's pace against its own limit, applied to this case's limit.
            return tuple(value * limit / own_limit for value in seconds)
        return seconds

    drawn = draw()
    durations = {stage: drawn[STAGES.index(stage)] for stage in stages}
    if held:
        durations = {stage: 1e12 for stage in stages}  # on hold at the start: stays open through the run
    rework = escalation = None
    if "handle" in stages and rng.random() < fitted.rework_rate.get(klass, 0.0):
        again = draw()
        rework = (again[STAGES.index("handle")], again[STAGES.index("verify")])
    if "handle" in stages and rng.random() < fitted.escalation_rate.get(klass, 0.0):
        escalation = draw()[STAGES.index("handle")]
    return CaseSpec(arrival=arrival, week=week, grid=grid, matter=matter, unit=unit, coordinator=coordinator, due=due,
                    durations=durations, rework=rework, escalation=escalation)  # fmt: skip


def plan(fitted: Fit, scenario: Scenario, *, start: datetime, weeks: int, seed: int) -> Plan:
    """Draw the cases of one replication: those open at `start`, then the arrivals day by day.

    Arrivals, surges and each case's own draws come from separate streams (a case's from its own
    index), so a scenario's extra cases never change the cases "today" has: the two compare like for like."""
    arrivals_rng, surge_rng = random.Random(f"{seed}:arrivals"), random.Random(f"{seed}:surges")
    calendar = fitted.calendar
    cases: list[CaseSpec] = []
    for index, case in enumerate(fitted.open_cases):
        rng = random.Random(f"{seed}:open:{index}")
        cases.append(_spec(fitted, rng, arrival=fitted.clock(start), week=-1, due=case.due, limit=case.limit, stages=case.stages,
                           grid=case.grid, matter=case.matter, klass=case.klass, unit=case.unit, coordinator=case.coordinator,
                           held=case.held))  # fmt: skip
    first_day = timezone.localdate(start)
    arrivals: list[tuple[datetime, str, Template]] = []
    for offset in range(weeks * 7):
        day = first_day + timedelta(days=offset)
        workday = calendar.is_workday(day)
        mean = fitted.rate_by_weekday[day.weekday()] if workday else fitted.rate_rest_day
        pool = fitted.workday_templates if workday else fitted.rest_day_templates
        for number in range(_poisson(arrivals_rng, mean)):
            template = pool[arrivals_rng.randrange(len(pool))]
            copies = 1.0
            for first, last, factor, matters in scenario.surges:
                if first <= day <= last and (not matters or template.matter in matters):
                    copies *= factor
            whole, part = divmod(copies, 1)
            copies = int(whole) + (surge_rng.random() < part)
            moved = day
            for first, last, days in scenario.shifts:
                if first <= day <= last:
                    moved = day + timedelta(days=days)
                    break
            midnight = datetime.combine(moved, datetime.min.time(), tzinfo=calendar.tz)
            for copy in range(copies):
                arrivals.append((midnight + timedelta(seconds=template.second_of_day), f"{offset}:{number}:{copy}", template))
    end_moment = start + timedelta(weeks=weeks)
    for moment, name, template in sorted(arrivals, key=lambda item: item[0]):
        if not start <= moment < end_moment:
            continue  # shifted out of the window
        rng = random.Random(f"{seed}:case:{name}")
        arrival = fitted.clock(moment)
        due = arrival + template.deadline + _limit_change(fitted, scenario, template.matter) if template.deadline is not None else None
        cases.append(_spec(fitted, rng, arrival=arrival, week=(moment - start).days // 7, due=due, limit=template.deadline,
                           stages=STAGES, grid=template.grid, matter=template.matter,
                           klass=template.klass, unit=template.unit, coordinator=template.coordinator))  # fmt: skip
    week_ends = [fitted.clock(start + timedelta(weeks=w + 1)) for w in range(weeks)]
    return Plan(cases=cases, week_ends=week_ends, start=fitted.clock(start), end=week_ends[-1])


def _limit_change(fitted: Fit, scenario: Scenario, matter: str) -> float:
    """How much later (or sooner) a case's deadline falls when the scenario changes a stage limit."""
    change = 0.0
    for stage in ("accept", "dispatch", "sign", "handle", "verify"):
        chosen = [seconds for s, m, seconds in scenario.stage_limits if s == stage and m in (None, matter)]
        specific = [seconds for s, m, seconds in scenario.stage_limits if s == stage and m == matter]
        if chosen:
            new = (specific or chosen)[-1]
            change += new - fitted.stage_limits.get((matter, stage), new)
    return change


def _apply_grids(cases: list[CaseSpec], unit_map: dict[str, list[str]], grids: dict[str, list[str]], seed: int) -> None:
    rng = random.Random(seed ^ 0x5EED)
    for spec in cases:
        targets = grids.get(spec.grid)
        if targets:
            choice = targets[rng.randrange(len(targets))]
            spec.grid = choice
            if spec.unit in unit_map:
                spec.unit = unit_map[spec.unit][targets.index(choice)]


def _used_units(cases: list[CaseSpec]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for spec in cases:
        used.setdefault(spec.coordinator, set()).update(set(COORDINATOR_STAGES) | {"verify"})
        used.setdefault(spec.unit, set()).update(HANDLER_STAGES)
    return used


def _replicate(fitted: Fit, scenario: Scenario, *, start: datetime, weeks: int, seed: int, runs: int,
               progress: Progress | None, share: tuple[int, int]) -> dict:
    """Mean figures over `runs` replications; `share` is the part of the progress bar this covers."""
    units, staff, unit_map = staff_after(fitted, scenario)
    results: list[Figures] = []
    for index in range(runs):
        replication = plan(fitted, scenario, start=start, weeks=weeks, seed=seed * 1000 + index)
        if scenario.grids:
            _apply_grids(replication.cases, unit_map, scenario.grids, seed * 1000 + index)
        if index == 0:
            check_handlers(fitted, units, staff, _used_units(replication.cases))
        outcome = run(replication.cases, units, staff, until=replication.end + 1, start=replication.start)
        results.append(figures_of(replication.cases, outcome, week_ends=replication.week_ends, start=replication.start,
                                  end=replication.end))  # fmt: skip
        if progress:
            low, high = share
            progress(low + (high - low) * (index + 1) // runs)
    return _mean(results, units, staff)


def _mean(results: list[Figures], units, staff) -> dict:
    count = len(results)
    weeks = len(results[0].arrivals_per_week)
    judged = sum(r.judged for r in results)
    workload = []
    for key, unit in sorted(units.items(), key=lambda pair: pair[1].label):
        cases = sum(r.unit_cases.get(key, 0) for r in results) / count
        utilisation = [r.unit_utilisation.get(key) for r in results if r.unit_utilisation.get(key) is not None]
        people = staff.get(key, unit.staff)
        if cases == 0 and not key.startswith("R:") and people == unit.staff:
            continue
        workload.append({"key": key, "unit": key[2:], "label": unit.label, "staff": people, "staff_known": unit.staff_known,
                         "cases": round(cases, 1), "cases_per_person": round(cases / people, 1) if people else None,
                         "utilisation": round(sum(utilisation) / len(utilisation), 3) if utilisation else None})  # fmt: skip
    return {
        "on_time_rate": round(sum(r.on_time for r in results) / judged, 4) if judged else None,
        "weekly_cases": [round(sum(r.arrivals_per_week[w] for r in results) / count, 1) for w in range(weeks)],
        "backlog": [round(sum(r.backlog_per_week[w] for r in results) / count, 1) for w in range(weeks)],
        "workload": workload,
    }


def _mape(predicted: list[float], actual: list[int]) -> float | None:
    pairs = [(p, a) for p, a in zip(predicted, actual, strict=True) if a]
    return round(sum(abs(p - a) / a for p, a in pairs) / len(pairs), 4) if pairs else None


def _relative_error(predicted: float, actual: int) -> float | None:
    return round(abs(predicted - actual) / actual, 4) if actual else None


def _region(code: str):
    try:
        return simulation_region(code)
    except FitError as exc:
        raise SimulationError(str(exc)) from None


def _fit(region, cutoff):
    try:
        return fit(region, cutoff=cutoff)
    except FitError as exc:
        raise SimulationError(str(exc)) from None


def backtest(region_code: str, *, weeks: int = 13, seed: int = 0, runs: int = REPLICATIONS, now: datetime | None = None,
             progress: Progress | None = None) -> dict:
    """Fit before the last `weeks` weeks, replay them, and set the prediction beside what happened."""
    check_weeks(weeks)
    region = _region(region_code)
    end = local_midnight(now or timezone.now())
    start = end - timedelta(weeks=weeks)
    fitted = _fit(region, start)
    if progress:
        progress(10)
    predicted = _replicate(fitted, Scenario(), start=start, weeks=weeks, seed=seed, runs=runs, progress=progress, share=(10, 95))
    actual = history_figures(region, fitted, start=start, weeks=weeks)
    actual_rate = actual["on_time"] / actual["judged"] if actual["judged"] else None
    on_time_error = abs(predicted["on_time_rate"] - actual_rate) if predicted["on_time_rate"] is not None and actual_rate is not None else None
    return {
        "region": {"code": region.code, "name": region.name},
        "weeks": weeks, "seed": seed, "runs": runs,
        "fitted_until": start.isoformat(), "replayed_until": end.isoformat(), "cases_fitted": fitted.cases_fitted,
        "backtest": {
            "on_time_rate": {"predicted": predicted["on_time_rate"], "actual": round(actual_rate, 4) if actual_rate is not None else None,
                             "error": round(on_time_error, 4) if on_time_error is not None else None},
            "weekly_cases": {"predicted": predicted["weekly_cases"], "actual": actual["arrivals"]},
            "weekly_cases_mape": _mape(predicted["weekly_cases"], actual["arrivals"]),
            "backlog": {"predicted": predicted["backlog"], "actual": actual["backlog"],
                        "mape": _mape(predicted["backlog"], actual["backlog"])},
            "workload": [dict(row, actual_cases=actual["unit_cases"].get(row["key"], 0),
                              cases_error=_relative_error(row["cases"], actual["unit_cases"].get(row["key"], 0)))
                         for row in predicted["workload"]],
        },
        "notes": fitted.notes,
    }  # fmt: skip


def forecast(region_code: str, *, weeks: int, scenario_data=None, seed: int = 0, runs: int = REPLICATIONS,
             now: datetime | None = None, progress: Progress | None = None) -> dict:
    """Run `weeks` weeks from today as things are and under the scenario."""
    check_weeks(weeks)
    region = _region(region_code)
    start = local_midnight(now or timezone.now())
    fitted = _fit(region, start)
    try:
        scenario = parse(scenario_data, fitted)
    except ScenarioError as exc:
        raise SimulationError(str(exc)) from None
    if progress:
        progress(10)
    today = _replicate(fitted, Scenario(), start=start, weeks=weeks, seed=seed, runs=runs, progress=progress, share=(10, 50))
    try:
        changed = _replicate(fitted, scenario, start=start, weeks=weeks, seed=seed, runs=runs, progress=progress, share=(50, 95))
    except ScenarioError as exc:
        raise SimulationError(str(exc)) from None
    return {
        "region": {"code": region.code, "name": region.name},
        "weeks": weeks, "seed": seed, "runs": runs, "from": start.isoformat(), "cases_fitted": fitted.cases_fitted,
        "scenario_name": scenario.name,
        "today": today, "scenario": changed, "notes": fitted.notes,
    }
