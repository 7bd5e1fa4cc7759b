"""Reads for the reviews: who may see them, which region, and the daily supervision sheet (日督导).

The sheet lists the open cases whose running step is red (past its due time) or yellow (past its
warning time, not yet due) at a moment, grouped by the unit handling them. The light is the one the
case pages show: `yiwang.worktime.sla.light_at` over the case's `step_warn_at` / `step_due_at`, and a
paused clock is neither yellow nor red (as `yiwang.cases.indicators.light_of` shows "暂停计时").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.cases.indicators import light_condition
from yiwang.cases.selectors import filter_cases
from yiwang.cases.states import count_states
from yiwang.cases.models import Case
from yiwang.core.scope import is_command_center_staff, scope_path
from yiwang.regions.models import Region
from yiwang.worktime.sla import Light, light_at

# The reviews are the command centres' tools: staff whose scope is a region they answer for.
def require_reviewer(user) -> None:
    if not is_command_center_staff(user):
        raise PermissionDenied(gettext("督导和调度报告仅供区、街道、社区工作人员使用"))


def region_for(user, code: str | None = None) -> Region:
    """The region a review is about: `code` when it lies inside the user's scope (404 otherwise),
    else the user's own scope region (a superuser: the first root of the tree)."""
    require_reviewer(user)
    prefix = scope_path(user)
    if code:
        region = Region.objects.filter(code=code, path__startswith=prefix).first()
    elif user.scope_region_id:
        region = user.scope_region
    else:
        region = Region.objects.filter(parent__isnull=True).order_by("path").first()
    if region is None:
        raise Http404(gettext("区域不存在或不在您的数据范围内"))
    return region


def reviewable_cases(user) -> QuerySet:
    """The cases a reviewer may see (the scope rule of yiwang.cases)."""
    require_reviewer(user)
    return Case.objects.restrict(user)


# The daily sheet -----------------------------------------------------------------------------------

def sheet_moment(day: date, now: datetime | None = None) -> datetime:
    """The moment the sheet of `day` judges lights at: now for today, the end of the day otherwise.

    Cases keep only their current step, so a past day's sheet is today's open cases judged at that
    day's end (cases closed since are gone from it); a future day's sheet previews what will be late.
    """
    now = now or timezone.now()
    if day == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def duration_text(seconds: float) -> str:
    """3.5 days → "3天12小时"; 80 minutes → "1小时20分"."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分"


def person_label(user) -> str:
    return "" if user is None else (user.get_full_name() or user.username)


@dataclass
class SheetRow:
    case: Case
    light: Light
    overdue_seconds: float  # past the step's due time (0 for a yellow case)
    left_seconds: float  # until the step's due time (0 for a red case)

    @property
    def number(self) -> str:
        return self.case.number or str(self.case.pk)

    @property
    def handler(self) -> str:
        return person_label(self.case.handler)

    @property
    def assignee(self) -> str:
        return person_label(self.case.assignee)

    @property
    def overdue_hours(self) -> float:
        return round(self.overdue_seconds / 3600, 1)

    @property
    def overdue_text(self) -> str:
        return duration_text(self.overdue_seconds) if self.light == Light.RED else ""

    @property
    def left_text(self) -> str:
        return duration_text(self.left_seconds) if self.light == Light.YELLOW else ""


@dataclass
class SheetUnit:
    """A handling unit: the case's handling department, or its handling region when it has none."""

    key: str
    label: str
    kind: str  # "department" or "region"
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def step_overdue(self) -> int:
        return sum(1 for row in self.rows if row.light == Light.RED)

    @property
    def warning(self) -> int:
        return sum(1 for row in self.rows if row.light == Light.YELLOW)


@dataclass
class DailySheet:
    region: Region
    day: date
    as_of: datetime
    units: list[SheetUnit]
    # 超期未结: open and past the whole case's deadline at as_of, counted by cases.states as the
    # command screen's tile and /cases/?state=overdue count it (whatever the step's light).
    overdue: int = 0

    @property
    def step_overdue(self) -> int:
        return sum(unit.step_overdue for unit in self.units)

    @property
    def warning(self) -> int:
        return sum(unit.warning for unit in self.units)

    def links(self) -> dict[str, str]:
        """The case list behind each of the sheet's totals (today's: a past day's list would be judged now)."""
        from urllib.parse import urlencode

        return {state: "/cases/?" + urlencode({"region": self.region.code, "state": state}) for state in ("overdue", "step_overdue", "warning")}

    def as_dict(self) -> dict:
        return {
            "region": {"code": self.region.code, "name": self.region.name},
            "day": self.day.isoformat(), "as_of": self.as_of.isoformat(),
            "overdue": self.overdue, "step_overdue": self.step_overdue, "warning": self.warning,
            "links": self.links(),
            "units": [{
                "key": unit.key, "label": unit.label, "kind": unit.kind, "step_overdue": unit.step_overdue, "warning": unit.warning,
                "cases": [{
                    "number": row.number, "light": row.light.value, "status": row.case.get_status_display(),
                    "matter": row.case.matter.name, "grid": row.case.region.name, "handler": row.handler, "assignee": row.assignee,
                    "step": row.case.step, "step_warn_at": row.case.step_warn_at.isoformat() if row.case.step_warn_at else None,
                    "step_due_at": row.case.step_due_at.isoformat(), "overdue_hours": row.overdue_hours,
                    "url": f"/cases/{row.number}/",
                } for row in unit.rows],
            } for unit in self.units],
        }


def _unit_of(case: Case) -> tuple[str, str, str]:
    if case.handling_department_id:
        return f"department:{case.handling_department_id}", case.handling_department.name, "department"
    return f"region:{case.handling_region_id}", case.handling_region.name, "region"


def daily_sheet(cases: QuerySet, *, region: Region, day: date | None = None, now: datetime | None = None) -> DailySheet:
    """The open cases of `region` (within `cases`, already scoped) that are red or yellow at the
    sheet's moment, grouped by handling unit: most overdue units first, and within a unit the red
    cases longest overdue first, then the yellow ones nearest their due time."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    as_of = sheet_moment(day, now)
    candidates = (filter_cases(cases, region=region).open()
                  .filter(reported_at__lte=as_of)
                  .filter(light_condition(Light.RED, as_of) | light_condition(Light.YELLOW, as_of))
                  .select_related("matter", "region", "handling_department", "handling_region", "handler", "assignee"))
    units: dict[str, SheetUnit] = {}
    for case in candidates:
        light = light_at(now=as_of, warn_at=case.step_warn_at, due_at=case.step_due_at)
        if light not in (Light.RED, Light.YELLOW):
            continue
        key, label, kind = _unit_of(case)
        gap = (as_of - case.step_due_at).total_seconds()
        units.setdefault(key, SheetUnit(key, label, kind)).rows.append(
            SheetRow(case, light, overdue_seconds=max(gap, 0.0), left_seconds=max(-gap, 0.0)))
    for unit in units.values():
        unit.rows.sort(key=lambda row: (row.light != Light.RED, -row.overdue_seconds, row.left_seconds, row.number))
    ordered = sorted(units.values(), key=lambda unit: (-unit.step_overdue, -unit.warning, unit.label))
    overdue = count_states(filter_cases(cases, region=region).filter(reported_at__lte=as_of), ["overdue"], as_of)["overdue"]
    return DailySheet(region=region, day=day, as_of=as_of, units=ordered, overdue=overdue)
