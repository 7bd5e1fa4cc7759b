"""Reads for cases: inboxes, timelines for residents, yearly summons counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from yiwang.ab_roles.units import HANDLER_ROLE
from yiwang.core.scope import Role, scope_path
from yiwang.regions.models import ancestor_paths

from .lifecycle import STEP_OF, Actor, Transition, actions_from
from .models import Case, CaseEvent, ExtensionRequest, Level, RequestStatus, Status
from .permissions import COORDINATOR_ROLES, SUPERVISOR_ROLES

HANDLER_ROLE_LEVEL = {role: level for level, role in HANDLER_ROLE.items()}


# The inbox ---------------------------------------------------------------------------------------
# One tab per step of the loop: the statuses whose clock runs (lifecycle.STEP_OF, in the loop's
# order), each finished by the first move in the transition table that leaves it; that move's actor
# says who the step waits for. The words below only name those moves.
STEP_WORDS = {
    "accept": gettext_lazy("待受理"), "dispatch": gettext_lazy("待派遣"), "sign": gettext_lazy("待签收"),
    "handle": gettext_lazy("办理中"), "verify": gettext_lazy("待核查"), "close": gettext_lazy("待结案"),
}
ALL_STEPS = "all"
INBOX_LIGHTS = {"red": gettext_lazy("超时"), "yellow": gettext_lazy("预警"), "green": gettext_lazy("正常"), "paused": gettext_lazy("暂停计时")}
# Reported within one day, within three days, or earlier.
INBOX_AGES = {"1d": gettext_lazy("1天内上报"), "3d": gettext_lazy("3天内上报"), "older": gettext_lazy("3天以前上报")}
INBOX_SORTS = {"urgent": gettext_lazy("最紧急在前"), "newest": gettext_lazy("最新上报在前")}


def step_move(status: str) -> Transition:
    """The move that finishes the step of `status`: the table's first row from it to another status."""
    return next(t for t in actions_from(status) if t.target not in (None, status))


def inbox_steps() -> list[tuple[str, str]]:
    """(status, its step's word) for every step of the loop, in order."""
    return [(str(status), str(STEP_WORDS.get(step_move(status).action, Status(status).label))) for status in STEP_OF]


@dataclass(frozen=True)
class InboxQuery:
    """What a user asked of the inbox: a step's tab, filters and an order (all optional)."""

    step: str = ALL_STEPS
    grid: object = None  # a Region in the user's scope (its subtree)
    matter: int | None = None
    light: str = ""
    age: str = ""
    sort: str = "urgent"

    def as_params(self) -> dict[str, str]:
        """The query string that asks for this again (empty values left out)."""
        params = {"step": self.step, "grid": self.grid.code if self.grid is not None else "", "matter": str(self.matter or ""),
                  "light": self.light, "age": self.age, "sort": "" if self.sort == "urgent" else self.sort}
        return {key: value for key, value in params.items() if value}


def read_inbox_query(user, params) -> tuple[InboxQuery, dict[str, str]]:
    """The inbox query from request parameters, and a Chinese message per refused field (that field
    is then left out). The page and the API read their parameters here."""
    from yiwang.regions.models import Region

    def text(name: str) -> str:
        value = params.get(name)
        return str(value).strip() if value is not None else ""

    errors: dict[str, str] = {}
    fields: dict = {}
    step = text("step")
    if step:
        if step == ALL_STEPS or step in STEP_OF:
            fields["step"] = step
        else:
            errors["step"] = gettext("没有“%(value)s”这个环节") % {"value": step[:20]}
    grid = text("grid")
    if grid:
        region = Region.objects.restrict(user).filter(code=grid[:32]).first()
        if region is None:
            errors["grid"] = gettext("您的范围内没有编码为“%(value)s”的网格") % {"value": grid[:32]}
        fields["grid"] = region
    matter = text("matter")
    if matter:
        if matter.isdigit() and 0 < int(matter) < 2**31:
            fields["matter"] = int(matter)
        else:
            errors["matter"] = gettext("事项应从列表中选择")
    for name, choices, word in (("light", INBOX_LIGHTS, gettext("时限灯")), ("age", INBOX_AGES, gettext("上报时间")),
                                ("sort", INBOX_SORTS, gettext("排序"))):
        value = text(name)
        if value and value not in choices:
            errors[name] = gettext("“%(field)s”只能是：%(choices)s") % {"field": word, "choices": "、".join(str(c) for c in choices.values())}
        elif value:
            fields[name] = value
    return InboxQuery(**{k: v for k, v in fields.items() if v is not None}), errors


def _step_conditions(user) -> dict[str, Q]:
    """Per step (status), the cases of that step `user` must act on; steps the user never acts on are left out."""
    path = scope_path(user)
    if path is None:
        return {}
    coordinated = None
    if user.is_superuser or user.role in COORDINATOR_ROLES:
        coordinated = Q(region__path__startswith=path)
        if not user.is_superuser and user.role not in SUPERVISOR_ROLES:
            coordinated &= Q(level__in=[Level.GRID, Level.COMMUNITY])
    handled = None
    if user.role == Role.DEPARTMENT:
        handled = Q(level=Level.DEPARTMENT, handling_department__in=list(user.departments.values_list("pk", flat=True)))
    elif user.role in HANDLER_ROLE_LEVEL and path:
        unit = Q(handling_region__path__in=ancestor_paths(path)) | Q(handling_region__path__startswith=path)
        handled = Q(level=HANDLER_ROLE_LEVEL[user.role]) & unit
    conditions = {}
    for status in STEP_OF:
        actor = step_move(status).actor
        wanted = coordinated if actor == Actor.COORDINATOR else handled if actor == Actor.HANDLER else None
        if status == Status.SIGNED and coordinated is not None:
            # An extension request waits for the coordinators' answer while the handler works on.
            pending = Exists(ExtensionRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING))
            wanted = coordinated & pending if wanted is None else wanted | (coordinated & pending)
        if wanted is not None:
            conditions[str(status)] = Q(status=status) & wanted
    return conditions


def _narrowed(user, query: InboxQuery, now) -> QuerySet:
    from .indicators import light_condition

    cases = Case.objects.restrict(user)
    if cases.query.distinct:  # department staff: restrict joins summonses; count over plain rows instead
        cases = Case.objects.filter(pk__in=cases.order_by().values("pk"))
    if query.grid is not None:
        cases = cases.filter(micro_grid=query.grid) if query.grid.level == "micro_grid" else cases.filter(region__path__startswith=query.grid.path)
    if query.matter is not None:
        cases = cases.filter(matter_id=query.matter)
    if query.light:
        cases = cases.filter(light_condition(query.light, now))
    if query.age:
        cases = cases.filter(reported_at__gte=now - timedelta(days=1)) if query.age == "1d" else \
            cases.filter(reported_at__gte=now - timedelta(days=3)) if query.age == "3d" else cases.filter(reported_at__lt=now - timedelta(days=3))
    return cases


def inbox(user, query: InboxQuery | None = None, *, now=None) -> QuerySet:
    """What the user must act on next (accept, dispatch, sign, handle, verify, close) in the query's
    step (all steps by default) and filters; most urgent first (the step's due time), or newest first."""
    query = query or InboxQuery()
    now = now or timezone.now()
    conditions = _step_conditions(user)
    if query.step != ALL_STEPS:
        conditions = {query.step: conditions[query.step]} if query.step in conditions else {}
    if not conditions:
        return Case.objects.none()
    cases = _narrowed(user, query, now).filter(reduce(or_, conditions.values()))
    cases = cases.select_related("matter", "region", "handling_region", "handling_department", "assignee")
    if query.sort == "newest":
        return cases.order_by("-reported_at", "-id")
    return cases.order_by(F("step_due_at").asc(nulls_last=True), "reported_at", "id")


def inbox_counts(user, query: InboxQuery | None = None, *, now=None) -> dict[str, int]:
    """{step: how many cases that tab lists} for the steps the user acts on, with the query's filters
    (its step aside), and the total under "all"; one query."""
    query = query or InboxQuery()
    now = now or timezone.now()
    conditions = _step_conditions(user)
    if not conditions:
        return {ALL_STEPS: 0}
    counts = _narrowed(user, query, now).order_by().aggregate(**{status: Count("pk", filter=q) for status, q in conditions.items()})
    return {**counts, ALL_STEPS: sum(counts.values())}


def inbox_choices(user, *, now=None) -> dict[str, list[tuple]]:
    """The grids and matters among the user's inbox, to filter by: [(code, name)] and [(pk, name)]."""
    cases = inbox(user, now=now).order_by()
    grids = cases.values_list("region__code", "region__name").distinct().order_by("region__code")
    matters = cases.values_list("matter_id", "matter__name").distinct().order_by("matter__name")
    return {"grids": list(grids), "matters": list(matters)}


def dispatch_departments(case: Case) -> QuerySet:
    """The active departments a case may be dispatched or summoned to: those of the units above it
    (a district's departments serve the whole district) and those whose service areas hold it.
    The dispatch form offers these and the services refuse any other."""
    from yiwang.matters.models import Department

    paths = ancestor_paths(case.region.path)
    return (Department.objects.filter(active=True).filter(Q(region__path__in=paths) | Q(areas__path__in=paths))
            .distinct().order_by("kind", "code"))


def dispatch_regions(user, case: Case) -> QuerySet:
    """The units in the user's scope a case may be pushed to: its street, its community, and its
    grid when the matter is admitted to grids."""
    from yiwang.duties.admission import grid_admission
    from yiwang.regions.models import Level as RegionLevel
    from yiwang.regions.models import Region

    levels = [RegionLevel.STREET, RegionLevel.COMMUNITY]
    if grid_admission(grid=case.region, matter_type=case.matter).admitted:
        levels.append(RegionLevel.GRID)
    return Region.objects.restrict(user).filter(path__in=ancestor_paths(case.region.path), level__in=levels).order_by("path")


def summonable_members(user) -> QuerySet:
    """The people `user` may summon to a case by name: active staff accounts within the user's scope."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    path = scope_path(user)
    if path is None:
        return User.objects.none()
    # Accounts the user may look up at all, then only those below them (not the chain above).
    people = User.objects.restrict(user).filter(is_active=True).exclude(role=Role.RESIDENT)
    if path:
        people = people.filter(scope_region__path__startswith=path)
    return people.order_by("username")


def public_timeline(case: Case) -> QuerySet:
    """The events a resident sees on the tracking page: public ones, no staff names."""
    return CaseEvent.objects.filter(case=case, public=True).order_by("at", "id")


def yearly_summons_counts(parts: QuerySet, *, year: int | None = None) -> list[dict]:
    """Per department and year: summonses answered (the part done) and how many were asked.
    Alliance units owe at least two answered a year (`short` flags those below)."""
    rows = (parts.filter(department__isnull=False)
            .annotate(year=ExtractYear("summons__created_at"))
            .values("department", "department__name", "department__is_alliance_unit", "year")
            .annotate(asked=Count("id"), answered=Count("id", filter=Q(done_at__isnull=False)))
            .order_by("year", "department__name"))
    if year is not None:
        rows = rows.filter(year=year)
    rows = list(rows)
    if year is not None:
        # An alliance unit never summoned that year still owes its two answers: list it with zero.
        from yiwang.matters.models import Department

        listed = {row["department"] for row in rows}
        for dept in Department.objects.filter(is_alliance_unit=True, active=True).exclude(pk__in=listed).order_by("name"):
            rows.append({"department": dept.pk, "department__name": dept.name, "department__is_alliance_unit": True, "year": year,
                         "asked": 0, "answered": 0})
    return [{**row, "short": bool(row["department__is_alliance_unit"]) and row["answered"] < 2} for row in rows]


# The lists behind the command center's numbers: each state is the indicator condition of that
# name (indicators._conditions), so a list holds exactly the cases a number counted.
LIST_STATES = {
    "cases": "cases", "open": "open", "overdue": "open_overdue", "closed": "closed", "on_time": "closed_on_time",
    "late": "closed_late", "rated": "rated", "judged": None, "satisfied": None, "warning": None,
}


def filter_cases(cases: QuerySet, *, region=None, board: str = "", matter: int | None = None, department: int | None = None,
                 handler: int | None = None, since=None, until=None, state: str = "", as_of=None) -> QuerySet:
    """Narrow `cases` (already scoped): region subtree (a micro-grid: its cases), board, matter,
    handling department, handler, reported on since..until (local dates, both included) and a state.
    A state leaves void cases out, as the indicators do; "satisfied" is satisfied or basically
    satisfied (the satisfaction rate's numerator); "warning" is open, past the step's warning time
    and not yet due (the yellow light)."""
    from datetime import datetime, time, timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from yiwang.matters.models import Board

    from .indicators import _conditions
    from .models import OPEN_STATUSES, VOID_STATUSES, Rating

    as_of = as_of or timezone.now()
    if region is not None:
        cases = cases.filter(micro_grid=region) if region.level == "micro_grid" else cases.filter(region__path__startswith=region.path)
    if board:
        if board not in Board.values:
            raise ValidationError({"board": gettext("没有“%(board)s”这个板块") % {"board": board}})
        cases = cases.filter(board=board)
    for field, value in (("matter_id", matter), ("handling_department_id", department), ("handler_id", handler)):
        if value is not None:
            cases = cases.filter(**{field: value})
    if since is not None:
        cases = cases.filter(reported_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until is not None:
        cases = cases.filter(reported_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    if state:
        if state not in LIST_STATES:
            raise ValidationError({"state": gettext("没有“%(state)s”这种状态，可选：%(choices)s") % {"state": state, "choices": "、".join(LIST_STATES)}})
        conditions = _conditions(as_of)
        cases = cases.exclude(status__in=sorted(VOID_STATUSES))
        if state == "judged":
            q = conditions["closed_on_time"] | conditions["closed_late"] | conditions["open_overdue"]
        elif state == "satisfied":
            q = Q(rating__in=[Rating.SATISFIED, Rating.BASIC])
        elif state == "warning":
            q = Q(status__in=sorted(OPEN_STATUSES), paused_at__isnull=True, step_warn_at__lte=as_of, step_due_at__gte=as_of)
        else:
            q = conditions[LIST_STATES[state]]
        cases = cases.filter(q)
    return cases


def trackable_case(number: str) -> Case | None:
    """The case a resident may follow on the tracking page by its number (None when there is none):
    what residents can report or have reported for them, and any case of a publicly offered matter
    (as Open311 shows them). Cases that staff opened in a household (campaign checks, patrols, home
    visits) have no resident to follow them: they are not tracked at all."""
    from .models import Channel
    from .moderation import HOUSEHOLD_SOURCES

    resident_channels = [Channel.RESIDENT, Channel.DESK, Channel.HOTLINE, Channel.OPEN311]
    return (Case.objects.select_related("matter", "region").filter(number=number)
            .filter(Q(matter__public=True) | Q(channel__in=resident_channels)).exclude(external_source__in=HOUSEHOLD_SOURCES).first())
