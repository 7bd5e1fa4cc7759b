"""Reads for the party alliance: alliances in scope with their figures, the quarters without a joint
meeting, and each unit's record (`unit_record`, read by the assessment app).

A unit's record over a period [since, until) — the current calendar year when not given:

* projects led / joined: projects (not cancelled) the unit leads or cooperates on that ran in the
  period (started before its end, not completed before its start); done: those completed in it;
* milestones: those the unit answers for (its own, or the lead's when a milestone names nobody)
  due in the period; done on time = done on or before the due date; overdue = not done and past due;
* needs answered: the needs behind those projects; met: those now met;
* resources offered and meetings attended in the period;
* summonses (吹哨报到): summonses created in the period that called the unit's department, or a
  member of its staff; answered = checked in; on time = checked in by the check-in deadline;
  done = the task reported done. Seed 003 asks each alliance unit to answer at least two a year.
  A unit known only by name has no account in the closed loop: its summons figures are zero.

Each figure comes with the ids of the rows behind it, so the assessment can show its working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yiwang.cases.models import SummonsPart
from yiwang.core.scope import Action
from yiwang.matters.models import Department

from .models import (
    OPEN_PROJECT_STATUSES, Alliance, AllianceMember, AllianceMeeting, AllianceMilestone, AllianceNeed, NeedStatus, AllianceProject, ProjectStatus, AllianceResource,
)

# "每个联盟单位…每年响应哨声到街道社区报到并完成哨令不少于两次" (seed 003).
SUMMONSES_REQUIRED_PER_YEAR = 2
QUARTERS_SHOWN = 8


# Periods -------------------------------------------------------------------------------------------

def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end


def _previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


# Alliances ----------------------------------------------------------------------------------------

def alliances_in_scope(user) -> QuerySet:
    return Alliance.objects.restrict(user, Action.VIEW).select_related("region").annotate(
        member_count=Count("members", filter=Q(members__left_on__isnull=True), distinct=True),
        open_needs=Count("needs", filter=Q(needs__status=NeedStatus.OPEN), distinct=True),
        open_projects=Count("projects", filter=Q(projects__status__in=OPEN_PROJECT_STATUSES), distinct=True),
        done_projects=Count("projects", filter=Q(projects__status=ProjectStatus.DONE), distinct=True),
    )


@dataclass
class QuarterRow:
    year: int
    quarter: int
    start: date
    end: date
    meetings: list[AllianceMeeting]
    current: bool

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def status(self) -> str:
        """held; missing (a past quarter without a meeting); pending (this quarter, none yet)."""
        if self.meetings:
            return "held"
        return "pending" if self.current else "missing"

    @property
    def status_label(self) -> str:
        return {"held": "已召开", "missing": "未召开", "pending": "本季度尚未召开"}[self.status]


def meeting_quarters(alliance: Alliance, *, today: date | None = None, limit: int = QUARTERS_SHOWN) -> list[QuarterRow]:
    """The alliance's quarters from its founding to now (latest first, at most `limit`), each with
    its meetings: the view of which quarter lacks its joint meeting."""
    today = today or timezone.localdate()
    first = quarter_of(alliance.founded_on)
    year, quarter = quarter_of(today)
    keys: list[tuple[int, int]] = []
    while (year, quarter) >= first and len(keys) < limit:
        keys.append((year, quarter))
        year, quarter = _previous_quarter(year, quarter)
    if not keys:
        return []
    oldest_start = quarter_bounds(*keys[-1])[0]
    meetings = list(alliance.meetings.filter(held_on__gte=oldest_start).order_by("held_on"))
    rows = []
    for key in keys:
        start, end = quarter_bounds(*key)
        rows.append(QuarterRow(year=key[0], quarter=key[1], start=start, end=end,
                               meetings=[m for m in meetings if start <= m.held_on < end], current=key == quarter_of(today)))
    return rows


def missing_quarters(alliance: Alliance, *, today: date | None = None, limit: int = QUARTERS_SHOWN) -> list[QuarterRow]:
    return [row for row in meeting_quarters(alliance, today=today, limit=limit) if row.status == "missing"]


# A unit's record -----------------------------------------------------------------------------------

def _memberships(unit: AllianceMember | Department) -> tuple[list[AllianceMember], Department | None, str]:
    if isinstance(unit, Department):
        return list(AllianceMember.objects.filter(department=unit)), unit, unit.name
    if isinstance(unit, AllianceMember):
        department = unit.department if unit.department_id else None
        return [unit], department, unit.label
    raise TypeError(f"unit_record expects an AllianceMember or a matters.Department, not {type(unit).__name__}")


def summons_parts(department: Department | None, *, since: datetime, until: datetime) -> QuerySet:
    """The department's summons parts (to the department itself or to one of its staff) of
    summonses created in [since, until)."""
    if department is None:
        return SummonsPart.objects.none()
    staff = department.members.values("pk")
    return (SummonsPart.objects.filter(Q(department=department) | Q(member__in=staff))
            .filter(summons__created_at__gte=since, summons__created_at__lt=until))


def unit_record(unit: AllianceMember | Department, *, since: date | datetime | None = None, until: date | datetime | None = None,
                today: date | None = None) -> dict:
    """The record of an alliance unit (a membership, or a department across all its memberships)
    over [since, until), the current calendar year by default. See the module docstring."""
    today = today or timezone.localdate()
    default_since, default_until = year_bounds(today.year)
    since_day = _as_date(since) if since is not None else default_since
    until_day = _as_date(until) if until is not None else default_until
    since_at = _as_datetime(since) if since is not None else _as_datetime(since_day)
    until_at = _as_datetime(until) if until is not None else _as_datetime(until_day)
    members, department, label = _memberships(unit)
    member_ids = [m.pk for m in members]

    live = AllianceProject.objects.exclude(status=ProjectStatus.CANCELLED).filter(starts_on__lt=until_day).filter(
        Q(completed_on__isnull=True) | Q(completed_on__gte=since_day))
    led = sorted(live.filter(lead__in=member_ids).values_list("pk", flat=True))
    joined = sorted(live.filter(cooperating__in=member_ids).exclude(pk__in=led).values_list("pk", flat=True).distinct())
    done = sorted(AllianceProject.objects.filter(pk__in=[*led, *joined], status=ProjectStatus.DONE,
                                         completed_on__gte=since_day, completed_on__lt=until_day).values_list("pk", flat=True))

    answerable = AllianceMilestone.objects.filter(Q(unit__in=member_ids) | Q(unit__isnull=True, project__lead__in=member_ids)).exclude(
        project__status=ProjectStatus.CANCELLED).filter(due_on__gte=since_day, due_on__lt=until_day)
    due = list(answerable.values("pk", "due_on", "done_on"))
    on_time = sorted(m["pk"] for m in due if m["done_on"] is not None and m["done_on"] <= m["due_on"])
    late = sorted(m["pk"] for m in due if m["done_on"] is not None and m["done_on"] > m["due_on"])
    overdue = sorted(m["pk"] for m in due if m["done_on"] is None and m["due_on"] < min(today, until_day))

    needs = list(AllianceNeed.objects.filter(projects__pk__in=[*led, *joined]).distinct().values("pk", "status"))
    resources = sorted(AllianceResource.objects.filter(unit__in=member_ids, offered_on__gte=since_day, offered_on__lt=until_day).values_list("pk", flat=True))
    meetings = sorted(AllianceMeeting.objects.filter(attendees__in=member_ids, held_on__gte=since_day, held_on__lt=until_day)
                      .values_list("pk", flat=True).distinct())

    parts = list(summons_parts(department, since=since_at, until=until_at).values("pk", "summons_id", "checked_in_at", "checkin_due_at", "done_at"))
    summoned = {p["summons_id"] for p in parts}
    checked_in = {p["summons_id"] for p in parts if p["checked_in_at"] is not None}
    on_time_in = {p["summons_id"] for p in parts if p["checked_in_at"] is not None and p["checked_in_at"] <= p["checkin_due_at"]}
    finished = {p["summons_id"] for p in parts if p["done_at"] is not None}
    years = max(1, round((until_day - since_day).days / 365))

    return {
        "unit": label,
        "member_ids": member_ids,
        "department_id": department.pk if department else None,
        "since": since_day,
        "until": until_day,
        "projects_led": len(led),
        "projects_joined": len(joined),
        "projects_done": len(done),
        "milestones_due": len(due),
        "milestones_done_on_time": len(on_time),
        "milestones_done_late": len(late),
        "milestones_overdue": len(overdue),
        "needs_answered": len(needs),
        "needs_met": sum(1 for n in needs if n["status"] == NeedStatus.MET),
        "resources_offered": len(resources),
        "meetings_attended": len(meetings),
        "summonses": len(summoned),
        "summonses_answered": len(checked_in),
        "summonses_answered_on_time": len(on_time_in),
        "summonses_done": len(finished),
        "summonses_required": SUMMONSES_REQUIRED_PER_YEAR * years if department is not None else 0,
        "records": {
            "projects_led": led,
            "projects_joined": joined,
            "projects_done": done,
            "milestones_done_on_time": on_time,
            "milestones_done_late": late,
            "milestones_overdue": overdue,
            "needs_answered": sorted(n["pk"] for n in needs),
            "resources_offered": resources,
            "meetings_attended": meetings,
            "summons_parts": sorted(p["pk"] for p in parts),
            "summonses_answered": sorted(checked_in),
        },
    }


def unit_records(alliance: Alliance, *, since=None, until=None) -> list[tuple[AllianceMember, dict]]:
    """Every member unit of an alliance with its record (for the alliance page's table)."""
    members = alliance.members.select_related("department", "party_organization").order_by("left_on", "joined_on", "id")
    return [(member, unit_record(member, since=since, until=until)) for member in members]


def overdue_milestones(projects: QuerySet, *, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return AllianceMilestone.objects.filter(project__in=projects.filter(status__in=OPEN_PROJECT_STATUSES), done_on__isnull=True, due_on__lt=today)


def upcoming_milestones(projects: QuerySet, *, today: date | None = None, days: int = 30) -> QuerySet:
    today = today or timezone.localdate()
    return AllianceMilestone.objects.filter(project__in=projects.filter(status__in=OPEN_PROJECT_STATUSES), done_on__isnull=True,
                                    due_on__gte=today, due_on__lte=today + timedelta(days=days))
