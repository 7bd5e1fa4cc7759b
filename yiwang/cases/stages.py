"""Stage deadlines (环节时限) as data: which limit version a stage runs under, its checks, the timing
row of each stage run, who owned a stage that went red, and each stage's light for the case page.

The case keeps the running stage's clock in its own fields (`step_warn_at` = yellow, `step_due_at` =
red; `clock.start_step` asks `rule_for` here for them), so the sweep, the lights and the counts read
one clock. A `StageTiming` row per stage run keeps the version the stage started under, when it was
warned, marked late and done, and whose it was then. See docs/case-lifecycle.md (环节时限).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from yiwang.ab_roles.units import Level
from yiwang.core.scope import Role, ancestor_paths
from yiwang.core.stamped import StampedCache, table_stamp
from yiwang.matters.models import STEPS
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region
from yiwang.worktime.sla import MAX_LIMIT, Light, light_at

from .models import Case, Status
from .stage_models import LimitUnit, Stage, StageLimit, StageTiming

# Stages whose clock runs while the handling unit holds the case (the rest are the coordinators').
HANDLER_STAGES = frozenset({Stage.SIGN, Stage.HANDLE})
# Thresholds beyond the limit are allowed (a grace period before red), up to twice the limit.
MAX_RED_PERCENT = 200
DEFAULT_YELLOW, DEFAULT_RED = 80, 100


@dataclass(frozen=True)
class StageRule:
    """What a stage run uses: the limit ("4h"/"3d"), the thresholds in percent, and the version row."""

    limit: str
    yellow_percent: int
    red_percent: int
    version: StageLimit | None


def _all_versions() -> dict[str, list[StageLimit]]:
    by_stage: dict[str, list[StageLimit]] = {}
    for row in StageLimit.objects.all():
        by_stage.setdefault(row.stage, []).append(row)
    return by_stage


# A small table read at every stage start (and for each row of a case import): kept per process.
_versions = StampedCache(stamp=lambda: table_stamp(StageLimit.objects.all()), build=_all_versions)


def versions_changed() -> None:
    _versions.invalidate()


def rule_for(case: Case, stage: str, *, at: datetime) -> StageRule:
    """The version in force for `case`'s `stage` starting at `at`: the most specific row (matter and
    level, matter, level, default) effective on that day, the latest of those. Without any row (or
    without an amount on it) the matter version's own step limit applies."""
    day = timezone.localdate(at)
    rows = [r for r in _versions.get().get(stage, ()) if r.effective_from <= day and r.matter_id in (None, case.matter_id)
            and r.level in ("", case.level)]
    ranked = sorted(rows, key=lambda r: (r.matter_id is not None, r.level != "", r.effective_from, r.pk), reverse=True)
    version = ranked[0] if ranked else None
    own_limit = case.matter_version.limits[stage]
    if version is None:
        return StageRule(own_limit, DEFAULT_YELLOW, DEFAULT_RED, None)
    return StageRule(version.limit_text or own_limit, version.yellow_percent, version.red_percent, version)


# Checks (the model's clean calls them, so the admin, a service or the shell all obey) ---------------

def _whole_case_seconds(matter, day_seconds: int) -> float:
    from yiwang.worktime.sla import Limit

    total = 0.0
    for step in STEPS:
        limit = Limit.parse(getattr(matter, f"{step}_limit"))
        total += limit.amount * (3600 if limit.unit == "h" else day_seconds)
    return total


def check_stage_limit(row: StageLimit) -> dict[str, str]:
    """{field: the reason in Chinese} for everything wrong with a stage limit version; empty when good."""
    from yiwang.matters.models import MatterType
    from yiwang.worktime import calendar as work_calendar

    errors: dict[str, str] = {}
    if row.stage not in Stage.values:
        errors["stage"] = gettext("请选择环节（受理立案、派遣、签收、处置或核查结案）")
    if row.level and row.level not in Level.values:
        errors["level"] = gettext("没有“%(level)s”这个办理层级") % {"level": row.level}
    if row.unit not in LimitUnit.values:
        errors["unit"] = gettext("时限单位须为工作小时或工作日")
    if row.effective_from is None:
        errors["effective_from"] = gettext("请填写生效日期")
    amount = None
    if row.amount is not None:
        try:
            amount = Decimal(str(row.amount))
        except InvalidOperation:
            errors["amount"] = gettext("时限须为数字")
        else:
            if amount <= 0:
                errors["amount"] = gettext("时限须大于零，不能为负数或零")
            elif row.unit in MAX_LIMIT and amount > MAX_LIMIT[row.unit]:
                errors["amount"] = gettext("时限最多为%(max)s%(unit)s") % {"max": MAX_LIMIT[row.unit], "unit": LimitUnit(row.unit).label}
    yellow, red = row.yellow_percent, row.red_percent
    if yellow is None or not 1 <= yellow <= 100:
        errors["yellow_percent"] = gettext("黄灯阈值须在1%至100%之间")
    if red is None or not 1 <= red <= MAX_RED_PERCENT:
        errors["red_percent"] = gettext("红灯阈值须在1%%至%(max)s%%之间") % {"max": MAX_RED_PERCENT}
    elif yellow is not None and "yellow_percent" not in errors and red <= yellow:
        errors["red_percent"] = gettext("红灯阈值（%(red)s%%）须晚于黄灯阈值（%(yellow)s%%）") % {"red": red, "yellow": yellow}
    if amount is not None and "amount" not in errors and "unit" not in errors:
        day_seconds = work_calendar.current().day_seconds
        seconds = float(amount) * (3600 if row.unit == LimitUnit.HOURS else day_seconds)
        matters = [row.matter] if row.matter_id else MatterType.objects.filter(active=True).order_by("kind", "code")
        for matter in matters:
            if seconds > _whole_case_seconds(matter, day_seconds):
                errors["amount"] = gettext("环节时限%(limit)s长于事项“%(matter)s”整个事件的办结时限，请缩短") % {
                    "limit": f"{amount.normalize():f}{LimitUnit(row.unit).label}", "matter": matter.name}
                break
    if row.pk and not errors and row.timings.exists():
        # A version cases already run under stays as it was: a change is a new version from a date.
        before = StageLimit.objects.get(pk=row.pk)
        fields = ("amount", "unit", "yellow_percent", "red_percent", "matter_id", "level", "stage", "effective_from")
        given = {**{f: getattr(row, f) for f in fields}, "amount": amount}
        changed = [f for f in fields if getattr(before, f) != given[f]]
        if changed:
            errors[changed[0].removesuffix("_id")] = gettext("已有事件按此版本计时，不能修改；请新增一个版本并填写生效日期")
    return errors


# Timing rows ------------------------------------------------------------------------------------

def follow(case: Case, *, now: datetime, new: bool = False) -> None:
    """After a case was saved: the running stage's row follows the case's clock (a pause or an
    extension moved it), or, when another stage started or the clock stopped, the last run is done
    and the new one begins with the version `clock.start_step` chose. `new`: the case was just
    created, so it has no row yet (intake skips the read)."""
    running = None if new else case.stage_timings.filter(done_at__isnull=True).first()
    same_run = running is not None and case.step == running.stage and case.step_started_at == running.started_at
    if same_run:
        if (running.warn_at, running.due_at) != (case.step_warn_at, case.step_due_at):
            running.warn_at, running.due_at = case.step_warn_at, case.step_due_at
            running.save(update_fields=["warn_at", "due_at"])
        return
    if running is not None:
        running.done_at = now
        running.save(update_fields=["done_at"])
    if case.step and case.step_started_at is not None:
        rule = getattr(case, "_stage_rule", None) or rule_for(case, case.step, at=case.step_started_at)
        StageTiming.objects.create(case=case, stage=case.step, limit_version=rule.version, limit=rule.limit, level=case.level,
                                   started_at=case.step_started_at, warn_at=case.step_warn_at, due_at=case.step_due_at)


def note_warned(case: Case, *, now: datetime) -> None:
    """The sweep warned the running stage's owner (once per stage run)."""
    case.stage_timings.filter(done_at__isnull=True, warned_at__isnull=True).update(warned_at=now)


@dataclass(frozen=True)
class Owner:
    """Who held a stage: the unit (a region or a department) and the one person answering for it, if any."""

    region: Region | None
    department: object | None
    person: object | None


def owner_of_stage(case: Case) -> Owner:
    """The holder of the running stage. Signing and handling are the handling unit's (its handler, the
    one who signed, when the unit is not a department); accepting, dispatching and verifying are the
    coordinators' (the community over a grid or community case, the street over a street or
    department case), a unit with no single person."""
    if case.step in HANDLER_STAGES:
        if case.level == Level.DEPARTMENT:
            return Owner(None, case.handling_department, None)
        return Owner(case.handling_region, None, case.handler)
    above = RegionLevel.STREET if case.level in (Level.STREET, Level.DEPARTMENT) else RegionLevel.COMMUNITY
    unit = Region.objects.filter(path__in=ancestor_paths(case.region.path), level=above).first()
    return Owner(unit or case.handling_region, None, None)


def mark_late(case: Case, *, now: datetime) -> list:
    """The running stage went red: record it on the stage's row with its owner, and return the grid
    workers the overdue penalty goes to (the owner, when that is one grid worker; nobody when the
    stage was a unit's, which then counts it in the unit's assessment)."""
    owner = owner_of_stage(case)
    case.stage_timings.filter(done_at__isnull=True, overdue_at__isnull=True).update(
        overdue_at=now, owner_region=owner.region, owner_department=owner.department, owner=owner.person)
    person = owner.person
    return [person] if person is not None and person.role == Role.GRID_WORKER else []


def late_stage_counts(cases, *, since: datetime, until: datetime, by: str = "department") -> dict:
    """{department id (or region id): stages of `cases` marked late in [since, until)}: the units'
    share of late stages, for the assessment (a late stage with no single owner counts only here)."""
    field = "owner_department" if by == "department" else "owner_region"
    rows = (StageTiming.objects.filter(case__in=cases.values("pk"), overdue_at__gte=since, overdue_at__lt=until, **{f"{field}__isnull": False})
            .values(field).annotate(late=Count("pk")))
    return {row[field]: row["late"] for row in rows}


# The case page's stages ---------------------------------------------------------------------------

STAGE_LIGHT_TEXT = {
    Light.GREEN: gettext_lazy("正常"), Light.YELLOW: gettext_lazy("预警"), Light.RED: gettext_lazy("超时"),
    "done": gettext_lazy("按时完成"), "done_late": gettext_lazy("超时完成"), "paused": gettext_lazy("暂停计时"),
    "untimed": gettext_lazy("未计时"), "waiting": gettext_lazy("未开始"),
}
# Done without a timing row (cases from before stage timings, or imported): only the moment is known.
DONE_FIELD = {"accept": "accepted_at", "dispatch": "dispatched_at", "sign": "signed_at", "handle": "handled_at", "verify": "closed_at"}


def _light(colour: str, key) -> dict:
    return {"colour": colour, "text": STAGE_LIGHT_TEXT[key]}


def stage_rows(case: Case, *, now: datetime) -> list[dict]:
    """Each of the five stages of `case` with its start, yellow and red moments, done time, limit,
    version and light (green, yellow, red, or grey for a paused, untimed or not yet started stage).
    The running stage reads the case's own clock, so it shows what the sweep and the lists use."""
    latest: dict[str, StageTiming] = {}
    runs: dict[str, int] = {}
    for timing in case.stage_timings.select_related("limit_version", "owner", "owner_region", "owner_department").order_by("started_at", "id"):
        latest[timing.stage] = timing
        runs[timing.stage] = runs.get(timing.stage, 0) + 1
    rows = []
    for stage in STEPS:
        timing = latest.get(stage)
        row = {"stage": stage, "label": Stage(stage).label, "runs": runs.get(stage, 0), "timing": timing,
               "started_at": timing.started_at if timing else None, "warn_at": timing.warn_at if timing else None,
               "due_at": timing.due_at if timing else None, "done_at": timing.done_at if timing else None,
               "limit": timing.limit if timing else "", "version": timing.limit_version if timing else None}
        running = case.is_open and case.step == stage and case.step_due_at is not None
        if running:
            row.update(started_at=case.step_started_at, warn_at=case.step_warn_at, due_at=case.step_due_at, done_at=None)
            if case.paused_at is not None:
                row["light"] = _light("grey", "paused")
            else:
                light = light_at(now=now, warn_at=case.step_warn_at, due_at=case.step_due_at)
                row["light"] = _light(light.value, light)
        elif timing is not None and timing.done_at is not None:
            late = timing.due_at is not None and timing.done_at > timing.due_at
            row["light"] = _light("red" if late else "green", "done_late" if late else "done")
        else:
            done = getattr(case, DONE_FIELD[stage]) if case.status not in (Status.REJECTED, Status.MERGED) else None
            row["done_at"] = row["done_at"] or done
            row["light"] = _light("grey", "untimed" if row["done_at"] else "waiting")
        row["late_owner"] = _owner_label(timing) if timing is not None and timing.overdue_at else ""
        rows.append(row)
    return rows


def _owner_label(timing: StageTiming) -> str:
    unit = timing.owner_department or timing.owner_region
    person = timing.owner.get_full_name() or timing.owner.username if timing.owner else ""
    names = [str(unit.name) if unit else "", person]
    return "·".join(name for name in names if name) or gettext("办理单位")
