"""Demo data for the closed loop: departments and alliance units, IoT devices, an Open311 key and
a few months of cases in every state, all made through the real services so that timelines,
routing rows, deadlines and points are what production would write."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.cases import services
from yiwang.cases.lifecycle import TRANSITIONS
from yiwang.core.statemachine import IllegalTransition
from yiwang.cases.models import Case, CaseRollup, Channel, Device, DeviceSource, OpenCaseRollup, RollupDelta, Summons
from yiwang.matters.models import STEPS, Department, MatterType
from yiwang.open311.models import ApiKey
from yiwang.points.models import PointEntry
from yiwang.regions.models import Level, Region

DEMO_OPEN311_KEY_NAME = "demo open311 client"
DEMO_IOT_SOURCE = "demo-iot"

# (code, name, kind, alliance unit?) for the district; 派出所 are per street.
DEPARTMENTS = [
    ("KZ-CGZF", "开州区城市管理综合执法局", "urban_management", False),
    ("KZ-SCJG", "开州区市场监督管理局", "market", False),
    ("KZ-YJGL", "开州区应急管理局", "emergency", False),
    ("KZ-STHJ", "开州区生态环境局", "ecology", False),
    ("KZ-SW", "开州区水利局", "water", False),
    ("KZ-ZJ", "开州区住房和城乡建设委员会", "housing", False),
    ("KZ-MZ", "开州区民政局", "civil_affairs", False),
    ("KZ-RQ", "开州区燃气公司", "utility", True),
    ("KZ-GD", "国网开州供电公司", "utility", True),
]
# Matter codes the simulated residents and workers report, with weights.
REPORTED = [("event", "06010", 6), ("event", "06036", 4), ("event", "09009", 3), ("event", "06028", 2), ("event", "06001", 1),
            ("community", "S0001", 4), ("community", "S0004", 3), ("community", "S0003", 2), ("community", "S0007", 2),
            ("community", "S0010", 3), ("community", "S0009", 2), ("event", "06013", 1)]


@dataclass
class ClosedLoopSummary:
    departments: int
    devices: int
    cases: int
    left_open: list[int]  # the live cases OPEN_CASES leaves open on purpose


def build_closed_loop(*, seed: int, district_code: str, street_code: str, cases: int = 80, now: datetime | None = None) -> ClosedLoopSummary:
    rng = random.Random(f"{seed}:cases")
    district = Region.objects.get(code=district_code)
    street = Region.objects.get(code=street_code)
    departments = _departments(district, street)
    devices = _devices(rng, street)
    now = now or timezone.now()
    left_open: list[int] = []
    made = _cases(rng, street=street, count=cases, now=now, left_open=left_open) + _device_alerts(devices, now=now)
    return ClosedLoopSummary(departments=len(departments), devices=len(devices), cases=made, left_open=left_open)


def _departments(district: Region, street: Region) -> list[Department]:
    made = []
    for code, name, kind, alliance in DEPARTMENTS:
        dept, _ = Department.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "region": district, "is_alliance_unit": alliance})
        dept.areas.set([district])
        made.append(dept)
    police, _ = Department.objects.update_or_create(code=f"PCS-{street.code}", defaults={"name": f"{street.name.removesuffix('街道')}派出所", "kind": "police", "region": street})
    police.areas.set([street])
    made.append(police)
    department_user = User.objects.filter(username="department").first()
    if department_user is not None:
        made[0].members.add(department_user)
    return made


# What the demo's devices sent, through the real intake (cases.iot.receive): (device kind, alert type,
# message, hours ago of each alert (repeats within the window join one case), walked round to closed?).
ALERTS = [
    ("charging", "over_charge", "充电电流超限，疑似过充", (52, 51.8, 51.6), True),
    ("smoke", "smoke", "烟雾浓度超标", (29,), True),
    ("manhole", "tilt", "井盖倾斜角度超过15°", (2.5, 2.3), False),
    ("charging", "over_charge", "充电时长超过8小时", (0.8,), False),
]


def _devices(rng: random.Random, street: Region) -> list[Device]:
    """Charging monitors, smoke detectors and manhole tilt sensors, each registered on a component of
    its grid in the registry (its place), else on a point of its own."""
    from yiwang.registry.models import Component

    source = DeviceSource.objects.filter(name=DEMO_IOT_SOURCE).first()
    if source is None:
        source = DeviceSource(name=DEMO_IOT_SOURCE)
        source.set_secret("demo-iot-secret")
        source.save()
    kinds = {
        "charging": (MatterType.objects.get(kind="community", code="S0004"), "电动车充电监测", "01054"),
        "smoke": (MatterType.objects.get(kind="community", code="S0005"), "烟感", "05002"),
        "manhole": (MatterType.objects.get(kind="component", code="01011"), "井盖倾斜监测", "01011"),
    }
    # The demo workers' grids first, so the alerts' cases can be walked round the loop by their own worker.
    worker_grids = list(User.objects.filter(username__in=["gridworker1", "gridworker2"]).values_list("scope_region_id", flat=True))
    grids = sorted(Region.objects.filter(path__startswith=street.path, level=Level.GRID), key=lambda g: (g.pk not in worker_grids, g.code))[:6]
    devices = []
    for i, grid in enumerate(grids, start=1):
        for key, (matter, label, component_type) in kinds.items():
            component = Component.objects.filter(region__path__startswith=grid.path, type__code=component_type).order_by("code").first()
            lon, lat = (None, None) if component is not None else _point_in(rng, grid)
            device, _ = Device.objects.update_or_create(source=source, code=f"YF-{grid.code[-6:]}-{key}", defaults={
                "name": f"{grid.name}{label}", "matter": matter, "region": grid, "component": component, "lon": lon, "lat": lat,
                "address": "" if component is not None else f"{grid.name}{i}号楼"})
            devices.append(device)
    return devices


def _device_alerts(devices: list[Device], *, now: datetime) -> int:
    """Send the ALERTS from the first device of each kind; the older ones' cases are walked to closed."""
    from yiwang.cases import iot

    logins = {u.username: u for u in User.objects.filter(username__in=["community", "street", "gridworker1", "gridworker2", "department"])}
    workers = {u.scope_region_id: u for u in logins.values() if u.username.startswith("gridworker")}
    by_kind: dict[str, list[Device]] = {}
    for device in devices:
        by_kind.setdefault(device.code.rsplit("-", 1)[1], []).append(device)
    opened = 0
    for n, (kind, alert_type, message, hours_ago, walk) in enumerate(ALERTS):
        candidates = by_kind.get(kind, [])
        if not candidates:
            continue
        device = candidates[n % len(candidates)]
        case = None
        for hours in hours_ago:
            at = now - timedelta(hours=hours)
            try:
                alert, new = iot.receive(device.source, {"device_id": device.code, "alert_type": alert_type, "time": at.isoformat(),
                                                         "message": message}, now=at)
            except ValidationError:
                break
            opened += new
            case = alert.case
        if case is None or not walk or len(logins) < 5:
            continue
        coordinator = logins["street"] if case.level == "street" else logins["community"]
        handler = logins["department"] if case.level == "street" else workers.get(case.region_id)
        clock = case.reported_at
        for action, user, params in [("accept", coordinator, {}), ("dispatch", coordinator, {}), ("sign", handler, {}),
                                     ("handle", handler, {"note": "已到场排除隐患"}), ("verify", coordinator, {}), ("close", coordinator, {})]:
            if user is handler and handler is not None:
                user = _handler(case, logins=logins, worker=handler)
            params = _params(case, action, params, user=user, logins=logins)
            clock += timedelta(minutes=40)
            if user is None or clock >= now:
                break
            try:
                services.perform(case, action, acting_user=user, now=clock, **params)
            except (IllegalTransition, PermissionDenied, ValidationError):
                break
            case.refresh_from_db()
    return opened


def _point_in(rng: random.Random, grid: Region) -> tuple[float, float]:
    from yiwang.regions import lookup

    for _ in range(200):
        lon, lat = rng.uniform(grid.min_lon, grid.max_lon), rng.uniform(grid.min_lat, grid.max_lat)
        if lookup.locate(lon, lat).grid_id == grid.pk:
            return round(lon, 6), round(lat, 6)
    raise ValueError(f"no point found inside {grid}")


# The live cases open now, each (steps taken, what happens then, its light now): recent, so their
# step clock is mostly green, a few yellow, one red; every state of the loop is there, rework and a
# pending extension request included. The other live cases are closed, most of them on time.
OPEN_CASES = [(0, "", "green"), (0, "", "green"), (0, "", "yellow"), (1, "", "green"), (1, "", "green"), (1, "", "yellow"),
              (2, "", "green"), (2, "", "yellow"), (3, "", "green"), (3, "", "yellow"), (3, "", "green"), (3, "", "red"), (3, "extension", "green"),
              (4, "", "green"), (4, "", "yellow"), (4, "rework", "green"), (5, "", "green"), (5, "", "green")]
# Share of the step's limit used when the next action comes (closed cases), or when the demo is built (open cases).
LIGHT_USED = {"green": (0.1, 0.6), "yellow": (0.83, 0.95), "red": (1.3, 2.0)}
CLOSED_LATE_SHARE = 0.05
CLOSED_DAYS_AGO = (8, 75)


def _cases(rng: random.Random, *, street: Region, count: int, now: datetime, left_open: list[int]) -> int:
    from yiwang.worktime import calendar as work_calendar

    logins = {u.username: u for u in User.objects.filter(username__in=["community", "street", "gridworker1", "gridworker2", "department"])}
    if len(logins) < 5:
        return 0
    calendar = work_calendar.current()
    matters = {(k, c): MatterType.objects.get(kind=k, code=c) for k, c, _ in REPORTED}
    weights = [w for _, _, w in REPORTED]
    grids = {u.scope_region_id: u for u in (logins["gridworker1"], logins["gridworker2"])}
    grid_regions = list(Region.objects.filter(pk__in=grids))
    plans = OPEN_CASES[:count] + [None] * max(0, count - len(OPEN_CASES))
    made = 0
    for i, plan in enumerate(plans):
        kind, code, _ = rng.choices(REPORTED, weights=weights)[0]
        matter = matters[(kind, code)]
        grid = rng.choice(grid_regions)
        worker = grids[grid.pk]
        shares: list[float] = []
        if plan is None:
            reported_at = now - timedelta(days=rng.uniform(*CLOSED_DAYS_AGO))
        else:
            # Back from now by the working time the steps before take (the walk uses the same shares)
            # and the share of the current step's limit used by now.
            taken, _then, light = plan
            limits = _step_seconds(matter, calendar)
            shares = [rng.uniform(*LIGHT_USED["green"]) for _ in STEPS[:taken]]
            used = [share * limits[step] for share, step in zip(shares, STEPS, strict=False)]
            used.append(rng.uniform(*LIGHT_USED[light]) * limits[STEPS[min(taken, len(STEPS) - 1)]])
            reported_at = _working_time_before(calendar, now, sum(used))
        channel = rng.choice([Channel.GRID_WORKER, Channel.GRID_WORKER, Channel.RESIDENT, Channel.HOTLINE])
        lon, lat = _point_in(rng, grid)
        report = services.Report(channel=channel, matter=matter, lon=lon, lat=lat, reported_at=reported_at,
                                 description=f"{matter.name}:{grid.name}居民反映", reporter_name="居民" if channel != Channel.GRID_WORKER else "",
                                 reporter_phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if channel != Channel.GRID_WORKER else "",
                                 attributes={"location_kind": "corridor"} if code == "S0004" else {},
                                 publish=channel == Channel.RESIDENT and i % 2 == 0)  # half the residents chose 公开显示
        try:
            intake = services.report_case(report, acting_user=worker if channel == Channel.GRID_WORKER else None, now=reported_at)
        except ValidationError:
            continue
        made += 1
        _release(intake.case, moderator=logins["street"], at=reported_at + timedelta(hours=1))
        _advance(rng, intake, logins=logins, worker=worker, plan=plan, shares=shares, calendar=calendar, now=now)
        if plan is not None:
            left_open.append(intake.case.pk)
    return made


def _step_seconds(matter: MatterType, calendar) -> dict[str, float]:
    from yiwang.matters.services import current_version
    from yiwang.worktime.sla import Limit

    return {step: calendar.limit_seconds(Limit.parse(limit)) for step, limit in current_version(matter).limits.items()}


def _working_time_before(calendar, end: datetime, seconds: float) -> datetime:
    """The latest moment with `seconds` of working time between it and `end` (the calendar only adds)."""
    low, high = 0.0, 86_400.0
    while calendar.working_seconds_between(end - timedelta(seconds=high), end) < seconds:
        high *= 2
    for _ in range(30):
        middle = (low + high) / 2
        if calendar.working_seconds_between(end - timedelta(seconds=middle), end) < seconds:
            low = middle
        else:
            high = middle
    return end - timedelta(seconds=high)


def _release(case: Case, *, moderator, at: datetime) -> None:
    """A moderator releases the demo reports residents chose to publish (their text holds no personal data),
    so the demo's Open311 feed is not empty."""
    from yiwang.cases import moderation
    from yiwang.cases.models import CasePublication

    publication = CasePublication.objects.filter(case=case, state="pending").first()
    if publication is not None:
        try:
            # The demo's text is a template ("…居民反映"); its reporter name "居民" is no person's.
            moderation.release(publication, acting_user=moderator, text=case.description, confirm_names=True, now=at)
        except (ValidationError, PermissionDenied):
            pass


def _advance(rng: random.Random, intake, *, logins: dict, worker, plan, shares: list[float], calendar, now: datetime) -> None:
    """Walk the case round the loop, each action when a share of its step's working-time limit is used:
    closed cases all the way (a few late), open ones (`plan`) as far as OPEN_CASES says."""
    case = intake.case
    coordinator = logins["street"] if case.level == "street" else logins["community"]
    handler = logins["department"] if case.level == "street" else worker
    steps = [("accept", coordinator, {}), ("dispatch", coordinator, {}), ("sign", handler, {}), ("handle", handler, {"note": "已现场处置"}),
             ("verify", coordinator, {}), ("close", coordinator, {})]
    taken, then = (plan[0], plan[1]) if plan is not None else (len(steps), "")
    late = plan is None and rng.random() < CLOSED_LATE_SHARE
    for index, (action, user, params) in enumerate(steps[:taken]):
        if user is handler:
            user = _handler(case, logins=logins, worker=worker)
        params = _params(case, action, params, user=user, logins=logins)
        if late and action == "verify":
            # Handled past the whole case's deadline: closed late.
            clock = calendar.add_working_seconds(case.close_due_at, rng.uniform(1, 16) * 3600)
        else:
            clock = _share_of_step(rng, case, calendar, share=shares[index] if index < len(shares) else None)
        if clock >= now:
            return
        try:
            services.perform(case, action, acting_user=user, now=clock, **params)
        except (IllegalTransition, PermissionDenied, ValidationError):
            return
        case.refresh_from_db()
    if then == "rework":
        services.perform(case, "rework", acting_user=coordinator, now=_share_of_step(rng, case, calendar, before=now),
                         note="处置照片与问题位置不符，请重新处置")
        return
    if then == "extension":
        services.perform(case, "request_extension", acting_user=_handler(case, logins=logins, worker=worker), now=_share_of_step(rng, case, calendar, before=now),
                         note="需协调产权单位共同处置", amount="2d")
        return
    if plan is not None:
        return
    clock = case.closed_at + timedelta(hours=rng.uniform(1, 48))
    if clock < now and rng.random() < 0.7:
        rating = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[8, 2, 1])[0]
        action = "rate_unsatisfied" if rating == "unsatisfied" else "rate"
        services.perform(case, action, access_code=intake.access_code, now=clock, rating=rating, note="问题反复出现" if rating == "unsatisfied" else "")
        if action == "rate_unsatisfied":
            # Back to accepted: the unit works it again and closes it (a reopened case, not a stale one).
            case.refresh_from_db()
            for action, user, params in steps[1:]:
                user = _handler(case, logins=logins, worker=worker) if user is handler else user
                params = _params(case, action, params, user=user, logins=logins)
                clock = _share_of_step(rng, case, calendar)
                if clock >= now:
                    return
                try:
                    services.perform(case, action, acting_user=user, now=clock, **params)
                except (IllegalTransition, PermissionDenied, ValidationError):
                    return
                case.refresh_from_db()


def _handler(case: Case, *, logins: dict, worker):
    """Who signs and handles the case where it stands: whom the dispatch named, else its unit's login."""
    if case.assignee_id:
        return User.objects.get(pk=case.assignee_id)
    return {"grid": worker, "community": logins["community"]}.get(case.level, logins["department"])


def _params(case: Case, action: str, params: dict, *, user, logins: dict) -> dict:
    if action != "dispatch":
        return params
    # To the case's own grid (its worker handles, the community verifies) or the demo department, where routing allows.
    own_department = logins["department"].departments.order_by("pk").first()
    return next((option for option in ({"region": case.region}, {"department": own_department}) if _allowed(case, option, user)), {})


def _allowed(case: Case, option: dict, user) -> bool:
    from yiwang.cases import selectors

    if option.get("region") is not None:
        return case.level == "community" and selectors.dispatch_regions(user, case).filter(pk=option["region"].pk).exists()
    department = option.get("department")
    return department is not None and case.level == "street" and selectors.dispatch_departments(case).filter(pk=department.pk).exists()


def _share_of_step(rng: random.Random, case: Case, calendar, *, share: float | None = None, before: datetime | None = None) -> datetime:
    """A moment when `share` (else a green share drawn) of the running step's limit is used, before `before`."""
    started = case.step_started_at or case.reported_at
    window = calendar.working_seconds_between(started, case.step_due_at) if case.step_due_at else 3600.0
    at = calendar.add_working_seconds(started, (share if share is not None else rng.uniform(*LIGHT_USED["green"])) * window)
    if before is not None and at >= before:
        at = started + (before - started) * rng.uniform(0.3, 0.9)
    return at


# Who may take each action on another demo step's case, tried in order (the demo's logins).
CATCH_UP_ACTIONS = [("accept", ("community", "street", "district", "admin"), {}),
                    ("dispatch", ("community", "street", "district", "admin"), {}),
                    ("sign", ("gridworker1", "gridworker2", "community", "department", "admin"), {}),
                    ("handle", ("gridworker1", "gridworker2", "community", "department", "admin"), {"note": "已现场处置"}),
                    ("verify", ("community", "street", "district", "admin"), {}),
                    ("close", ("community", "street", "district", "admin"), {})]


def catch_up(*, inside: str, keep=(), now: datetime | None = None, seed: int = 0) -> int:
    """The cases other demo steps opened (campaign findings, link visits, desk registrations...) as a
    working district leaves them: those already past a limit were worked round the loop in time, the
    recent ones are left where they are; `keep` (the closed loop's own) stay as planned. Returns how many were walked."""
    from yiwang.cases.states import filter_state
    from yiwang.worktime import calendar as work_calendar

    from .history import EXTERNAL_SOURCE

    now = now or timezone.now()
    rng = random.Random(f"{seed}:catch-up")
    calendar = work_calendar.current()
    users = {u.username: u for u in User.objects.filter(username__in={n for _, names, _ in CATCH_UP_ACTIONS for n in names})}
    cases = Case.objects.filter(region__path__startswith=inside).exclude(external_source=EXTERNAL_SOURCE).exclude(pk__in=list(keep))
    late = (filter_state(cases, "step_overdue", now) | filter_state(cases, "overdue", now)).exclude(extensions__status="pending")
    walked = 0
    for case in late.distinct().order_by("pk"):
        walked += 1
        for action, names, params in CATCH_UP_ACTIONS:
            if (case.status, action) not in TRANSITIONS:
                continue
            at = _share_of_step(rng, case, calendar, before=now)
            for name in names:
                if name not in users:
                    continue
                try:
                    services.perform(case, action, acting_user=users[name], now=at, **params)
                except (IllegalTransition, PermissionDenied, ValidationError):
                    continue
                case.refresh_from_db()
                break
            else:
                break  # nobody of the demo may take this step: leave the case here
    return walked


def issue_open311_key() -> str:
    """Revoke the previous demo key and issue a new one; the raw key is only known now."""
    ApiKey.objects.filter(name=DEMO_OPEN311_KEY_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _, raw = ApiKey.issue(DEMO_OPEN311_KEY_NAME)
    return raw


def public_matters() -> list[MatterType]:
    return list(MatterType.objects.filter(public=True, active=True).order_by("kind", "code"))


def delete_closed_loop(inside: str, delete_rows) -> None:
    """Rows of the closed loop under a demo root, before the regions they point at."""
    delete_rows(Summons.objects.filter(case__region__path__startswith=inside))
    delete_rows(PointEntry.objects.filter(region__path__startswith=inside))
    delete_rows(Case.objects.filter(Q(region__path__startswith=inside) | Q(handling_region__path__startswith=inside)))
    # The demo root is a root region, so every rollup row its cases made is under it.
    delete_rows(CaseRollup.objects.filter(region__path__startswith=inside))
    delete_rows(OpenCaseRollup.objects.filter(region__path__startswith=inside))
    delete_rows(RollupDelta.objects.filter(grid_id__in=Region.objects.filter(path__startswith=inside).values("pk")))
    delete_rows(Device.objects.filter(region__path__startswith=inside))
    delete_rows(Department.objects.filter(region__path__startswith=inside))
