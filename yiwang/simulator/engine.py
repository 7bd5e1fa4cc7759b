"""The simulation itself, on SimPy, with no database: a fitted `Model` in, the figures out.

Time runs on a working-time clock: one simulated second is one office second of the working
calendar, so nothing moves at night, at weekends or over the Spring Festival, exactly as the
deadlines count. Each handling unit is a SimPy resource whose capacity is the number of cases its
staff can hold at once (staff × the most cases in hand per person seen in the history). A case
arrives, passes the five stages (accept, dispatch and verify at the street's command centre; sign
and handle at its handling unit), each taking a duration drawn from what the history shows for its
matter class, waiting when its unit is full; it may be escalated (handled once more at the street)
or sent back for rework (handled and verified again), at the historic rates.

Everything a case will need (its arrival, durations, rework, escalation) is drawn when the case is
made, from one seeded generator, so "today" and a scenario meet the very same cases (common random
numbers) and the same seed gives the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

COORDINATOR_STAGES = ("accept", "dispatch")
HANDLER_STAGES = ("sign", "handle")
CLOSING_STAGE = "verify"
STAGES = ("accept", "dispatch", "sign", "handle", "verify")


@dataclass
class Unit:
    """A handling unit: a street's command centre, a community, a grid or a department."""

    key: str
    label: str
    staff: int
    # How many cases one person held at once at most in the history (fitted); capacity = staff × this.
    cases_per_person: float
    staff_known: bool = True

    def capacity(self, staff: int | None = None) -> int:
        staff = self.staff if staff is None else staff
        if staff <= 0:
            return 0
        return max(1, math.ceil(staff * self.cases_per_person - 1e-9))


@dataclass
class CaseSpec:
    """One case as the simulation will run it (all random draws already made)."""

    arrival: float  # working-clock seconds
    week: int  # the week of the run it arrives in (0-based); -1 for a case already open at the start
    grid: str
    matter: str
    unit: str  # handling unit key
    coordinator: str  # the street command centre's unit key
    due: float | None  # working-clock deadline
    durations: dict[str, float]  # stage → working seconds, for the stages still to run
    rework: tuple[float, float] | None = None  # (handle, verify) of the second round
    escalation: float | None = None  # handle seconds at the street after escalation


@dataclass
class Outcome:
    """What one run gives: per case its close time (None when still open), and per unit its load."""

    closed: list[float | None]
    unit_cases: dict[str, int]
    unit_busy: dict[str, float]
    unit_capacity: dict[str, int]


def run(cases: list[CaseSpec], units: dict[str, Unit], staff: dict[str, int], *, until: float, start: float) -> Outcome:
    """Run the cases through the units (capacity from `staff`) until the working clock reaches `until`."""
    import simpy

    env = simpy.Environment(initial_time=start)
    capacity = {key: units[key].capacity(staff.get(key, units[key].staff)) for key in units}
    resources = {key: simpy.Resource(env, capacity=cap) for key, cap in capacity.items() if cap > 0}
    closed: list[float | None] = [None] * len(cases)
    unit_cases = dict.fromkeys(units, 0)
    unit_busy = dict.fromkeys(units, 0.0)

    def hold(unit_key: str, seconds: float):
        with resources[unit_key].request() as slot:
            yield slot
            began = env.now
            yield env.timeout(seconds)
            unit_busy[unit_key] += env.now - began

    def case_process(index: int, spec: CaseSpec):
        if spec.arrival > env.now:
            yield env.timeout(spec.arrival - env.now)
        for stage in STAGES:
            if stage not in spec.durations:
                continue
            unit_key = spec.unit if stage in HANDLER_STAGES else spec.coordinator
            yield from hold(unit_key, spec.durations[stage])
            if stage == "handle":
                unit_cases[spec.unit] += 1
                if spec.escalation is not None:
                    yield from hold(spec.coordinator, spec.escalation)
        if spec.rework is not None:
            yield from hold(spec.unit, spec.rework[0])
            yield from hold(spec.coordinator, spec.rework[1])
        if "verify" in spec.durations:
            unit_cases[spec.coordinator] += 1
        closed[index] = env.now

    for index, spec in enumerate(cases):
        env.process(case_process(index, spec))
    env.run(until=until)
    return Outcome(closed=closed, unit_cases=unit_cases, unit_busy=unit_busy, unit_capacity=capacity)


@dataclass
class Figures:
    """The figures of a run over a window of weeks, as the history gives them too."""

    arrivals_per_week: list[int]
    backlog_per_week: list[int]  # open at each week's end
    judged: int  # closed by the end or past their deadline at the end
    on_time: int  # closed by their deadline (and by the end)
    unit_cases: dict[str, int] = field(default_factory=dict)
    unit_utilisation: dict[str, float] = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


def figures_of(cases: list[CaseSpec], outcome: Outcome, *, week_ends: list[float], start: float, end: float) -> Figures:
    """Weekly arrivals and backlog, and the on-time rate of the cases that arrived in the window."""
    weeks = len(week_ends)
    arrivals = [0] * weeks
    backlog = [0] * weeks
    judged = on_time = 0
    for spec, closed in zip(cases, outcome.closed, strict=True):
        if spec.week >= 0:
            arrivals[spec.week] += 1
            if spec.due is not None:
                if closed is not None and closed <= spec.due:
                    judged += 1
                    on_time += 1
                elif (closed is not None) or spec.due < end:
                    judged += 1
        for week, week_end in enumerate(week_ends):
            if spec.arrival <= week_end and spec.week <= week and (closed is None or closed > week_end):
                backlog[week] += 1
    span = max(end - start, 1.0)
    utilisation = {key: round(outcome.unit_busy[key] / (cap * span), 4) if cap else None
                   for key, cap in outcome.unit_capacity.items()}  # fmt: skip
    return Figures(arrivals, backlog, judged, on_time, dict(outcome.unit_cases), utilisation)
