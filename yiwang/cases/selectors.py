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
from .states import STATES as LIST_STATES  # the names the links and filters carry

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
    # The statuses first (their index): the steps' conditions alone let the database read every case in scope.
    cases = _narrowed(user, query, now).filter(status__in=list(conditions)).filter(reduce(or_, conditions.values()))
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
    # Only the steps' statuses are read (their index), not every case in scope: most are closed.
    counts = (_narrowed(user, query, now).filter(status__in=list(conditions)).order_by()
              .aggregate(**{status: Count("pk", filter=q) for status, q in conditions.items()}))
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


def summon_candidates(user) -> QuerySet:
    """The people the summons form offers: `summonable_members`, with their unit, by unit then name."""
    return summonable_members(user).select_related("scope_region").order_by("scope_region__path", "first_name", "last_name", "username")


# A summoned party's check-in, in one word: checked in by the deadline, after it (迟到), not yet,
# or not yet with the deadline passed. Pages, counts and the API all read it from here.
CHECKIN_STATES = {
    "on_time": gettext_lazy("准时报到"), "late": gettext_lazy("迟到"),
    "waiting": gettext_lazy("未报到"), "missed": gettext_lazy("超时未报到"),
}
# The summons list's filters: open or past summonses, or those with a late or missing check-in.
SUMMONS_FILTERS = {
    "open": gettext_lazy("进行中"), "closed": gettext_lazy("已完成"),
    "late": gettext_lazy("有迟到"), "waiting": gettext_lazy("有未报到"),
}


def with_checkin_state(parts: QuerySet, *, now=None) -> QuerySet:
    """Summons parts annotated with `checkin_state` (a key of CHECKIN_STATES): late is a check-in
    after the part's `checkin_due_at` (the summons time plus the working hours the summoner gave)."""
    from django.db.models import Case as Choose
    from django.db.models import CharField, Value, When

    now = now or timezone.now()
    return parts.annotate(checkin_state=Choose(
        When(checked_in_at__isnull=False, checked_in_at__gt=F("checkin_due_at"), then=Value("late")),
        When(checked_in_at__isnull=False, then=Value("on_time")),
        When(checkin_due_at__lt=now, then=Value("missed")),
        default=Value("waiting"), output_field=CharField()))


def visible_summonses(user) -> QuerySet:
    """The summonses `user` may see: those on cases in their scope, and those that call them by name."""
    from .models import Summons

    mine = Summons.objects.filter(parts__member_id=getattr(user, "pk", None)).values("pk")
    return Summons.objects.filter(Q(pk__in=Summons.objects.restrict(user).values("pk")) | Q(pk__in=mine))


def summons_list(user, *, state: str = "", now=None) -> QuerySet:
    """The summons list: newest first, each with its case and its parts (check-in state annotated),
    narrowed to one of SUMMONS_FILTERS when `state` names one."""
    from django.db.models import Prefetch

    from .models import SummonsPart, SummonsStatus

    now = now or timezone.now()
    rows = visible_summonses(user)
    late = with_checkin_state(SummonsPart.objects.all(), now=now)
    if state == "open":
        rows = rows.filter(status=SummonsStatus.OPEN)
    elif state == "closed":
        rows = rows.filter(status=SummonsStatus.CLOSED)
    elif state == "late":
        rows = rows.filter(pk__in=late.filter(checkin_state="late").values("summons_id"))
    elif state == "waiting":
        rows = rows.filter(pk__in=SummonsPart.objects.filter(checked_in_at__isnull=True).values("summons_id"))
    parts = with_checkin_state(SummonsPart.objects.select_related("department", "member", "member__scope_region"), now=now).order_by("id")
    return (rows.select_related("case", "case__matter", "case__region", "region", "summoned_by")
            .prefetch_related(Prefetch("parts", queryset=parts)).order_by("-created_at", "-id"))


def summons_counts(user, *, now=None) -> dict:
    """Open and past summonses the user sees, and their parts by check-in state (CHECKIN_STATES)."""
    from .models import SummonsPart, SummonsStatus

    summonses = visible_summonses(user)
    by_status = dict(summonses.values_list("status").annotate(n=Count("id")).order_by())
    parts = with_checkin_state(SummonsPart.objects.filter(summons__in=summonses.values("pk")), now=now)
    by_state = dict(parts.values_list("checkin_state").annotate(n=Count("id")).order_by())
    return {"open": by_status.get(SummonsStatus.OPEN, 0), "closed": by_status.get(SummonsStatus.CLOSED, 0),
            **{key: by_state.get(key, 0) for key in CHECKIN_STATES}}


def public_timeline(case: Case) -> QuerySet:
    """The events a resident sees on the tracking page: public ones, no staff names."""
    return CaseEvent.objects.filter(case=case, public=True).order_by("at", "id")


def yearly_summons_counts(parts: QuerySet, *, year: int | None = None) -> list[dict]:
    """Per department and year: summonses answered (the part done) and how many were asked.
    Alliance units owe at least two answered a year (`short` flags those below)."""
    rows = (parts.filter(department__isnull=False)
            .annotate(year=ExtractYear("summons__created_at"))
            .values("department", "department__name", "department__is_alliance_unit", "year")
            .annotate(asked=Count("id"), answered=Count("id", filter=Q(done_at__isnull=False)),
                      late=Count("id", filter=Q(checked_in_at__gt=F("checkin_due_at"))))
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
                         "asked": 0, "answered": 0, "late": 0})
    return [{**row, "short": bool(row["department__is_alliance_unit"]) and row["answered"] < 2} for row in rows]


# The lists behind the command center's numbers: each state is one condition of cases.states, the
# same the numbers count by, so a list holds exactly the cases a number counted.


def filter_cases(cases: QuerySet, *, region=None, board: str = "", matter: int | None = None, department: int | None = None,
                 handler: int | None = None, since=None, until=None, state: str = "", as_of=None) -> QuerySet:
    """Narrow `cases` (already scoped): region subtree (a micro-grid: its cases), board, matter,
    handling department, handler, reported on since..until (local dates, both included) and a state
    of cases.states (which leaves void cases out, as the indicators do). A bad board, state or a
    since after until raises ValidationError naming the parameter. The case list page and
    /api/cases both narrow here."""
    from datetime import datetime, time, timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from yiwang.matters.models import Board

    from .states import filter_state

    as_of = as_of or timezone.now()
    if region is not None:
        cases = cases.filter(micro_grid=region) if region.level == "micro_grid" else cases.filter(region__path__startswith=region.path)
    if board:
        if board not in Board.values:
            raise ValidationError({"board": gettext("没有“%(board)s”这个板块，可选：%(choices)s") % {"board": board[:20], "choices": "、".join(Board.values)}})
        cases = cases.filter(board=board)
    for field, value in (("matter_id", matter), ("handling_department_id", department), ("handler_id", handler)):
        if value is not None:
            cases = cases.filter(**{field: value})
    if since is not None and until is not None and since > until:
        raise ValidationError({"since": gettext("开始日期不能晚于结束日期")})
    if since is not None:
        cases = cases.filter(reported_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until is not None:
        cases = cases.filter(reported_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    if state:
        if state not in LIST_STATES:
            raise ValidationError({"state": gettext("没有“%(state)s”这种状态，可选：%(choices)s") % {"state": state[:20], "choices": "、".join(LIST_STATES)}})
        cases = filter_state(cases, state, as_of)
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


# A resident's own reports (我的上报) ------------------------------------------------------------------

# Each status as the resident reads it: whether someone has it, is on it, or is done; not the loop's steps.
RESIDENT_STATUS_WORDS = {
    Status.REPORTED: gettext_lazy("已收到，等待受理"), Status.ACCEPTED: gettext_lazy("已受理"),
    Status.REJECTED: gettext_lazy("未予受理"), Status.MERGED: gettext_lazy("已与同一问题合并办理"),
    Status.DISPATCHED: gettext_lazy("正在办理"), Status.SIGNED: gettext_lazy("正在办理"), Status.ON_HOLD: gettext_lazy("暂缓办理"),
    Status.HANDLED: gettext_lazy("已处理，正在核查"), Status.VERIFIED: gettext_lazy("已处理，正在核查"),
    Status.CLOSED: gettext_lazy("已办结，请您评价"), Status.RATED: gettext_lazy("已办结"),
}


def resident_status(case: Case) -> str:
    return str(RESIDENT_STATUS_WORDS.get(case.status, case.get_status_display()))


def my_reports(user) -> QuerySet:
    """The reports a signed-in resident filed as themselves on 随手拍, newest first; nobody else's,
    and nothing for staff (their cases are on their own pages)."""
    from yiwang.core.scope import is_resident

    from .models import Channel

    if not is_resident(user) or not user.is_active:
        return Case.objects.none()
    return (Case.objects.filter(reported_by=user, channel=Channel.RESIDENT, number__isnull=False)
            .select_related("matter", "region").order_by("-reported_at", "-pk"))


def is_own_report(user, case: Case) -> bool:
    """The signed-in resident filed this case: they read it in full, as with its access code."""
    return case.reported_by_id is not None and my_reports(user).filter(pk=case.pk).exists()
