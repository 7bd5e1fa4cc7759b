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
from yiwang.core.statemachine import IllegalTransition
from yiwang.cases.models import Case, CaseRollup, Channel, Device, DeviceSource, OpenCaseRollup, Summons
from yiwang.matters.models import Department, MatterType
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


def build_closed_loop(*, seed: int, district_code: str, street_code: str, cases: int = 120, now: datetime | None = None) -> ClosedLoopSummary:
    rng = random.Random(f"{seed}:cases")
    district = Region.objects.get(code=district_code)
    street = Region.objects.get(code=street_code)
    departments = _departments(district, street)
    devices = _devices(rng, street)
    made = _cases(rng, street=street, count=cases, now=now or timezone.now())
    return ClosedLoopSummary(departments=len(departments), devices=len(devices), cases=made)


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


def _devices(rng: random.Random, street: Region) -> list[Device]:
    source = DeviceSource.objects.filter(name=DEMO_IOT_SOURCE).first()
    if source is None:
        source = DeviceSource(name=DEMO_IOT_SOURCE)
        source.set_secret("demo-iot-secret")
        source.save()
    charging = MatterType.objects.get(kind="community", code="S0004")
    smoke = MatterType.objects.get(kind="community", code="S0005")
    grids = list(Region.objects.filter(path__startswith=street.path, level=Level.GRID).order_by("code")[:6])
    devices = []
    for i, grid in enumerate(grids, start=1):
        for matter, label in ((charging, "电动车充电监测"), (smoke, "烟感")):
            lon, lat = _point_in(rng, grid)
            device, _ = Device.objects.update_or_create(source=source, code=f"YF-{grid.code[-6:]}-{matter.code}", defaults={
                "name": f"{grid.name}{label}", "matter": matter, "region": grid, "lon": lon, "lat": lat, "address": f"{grid.name}{i}号楼"})
            devices.append(device)
    return devices


def _point_in(rng: random.Random, grid: Region) -> tuple[float, float]:
    from yiwang.regions import lookup

    for _ in range(200):
        lon, lat = rng.uniform(grid.min_lon, grid.max_lon), rng.uniform(grid.min_lat, grid.max_lat)
        if lookup.locate(lon, lat).grid_id == grid.pk:
            return round(lon, 6), round(lat, 6)
    raise ValueError(f"no point found inside {grid}")


def _cases(rng: random.Random, *, street: Region, count: int, now: datetime) -> int:
    logins = {u.username: u for u in User.objects.filter(username__in=["community", "street", "gridworker1", "gridworker2", "department"])}
    if len(logins) < 5:
        return 0
    matters = {(k, c): MatterType.objects.get(kind=k, code=c) for k, c, _ in REPORTED}
    weights = [w for _, _, w in REPORTED]
    grids = {u.scope_region_id: u for u in (logins["gridworker1"], logins["gridworker2"])}
    grid_regions = list(Region.objects.filter(pk__in=grids))
    made = 0
    for i in range(count):
        kind, code, _ = rng.choices(REPORTED, weights=weights)[0]
        grid = rng.choice(grid_regions)
        worker = grids[grid.pk]
        reported_at = now - timedelta(days=rng.uniform(0.2, 75))
        channel = rng.choice([Channel.GRID_WORKER, Channel.GRID_WORKER, Channel.RESIDENT, Channel.HOTLINE])
        lon, lat = _point_in(rng, grid)
        report = services.Report(channel=channel, matter=matters[(kind, code)], lon=lon, lat=lat, reported_at=reported_at,
                                 description=f"{matters[(kind, code)].name}:{grid.name}居民反映", reporter_name="居民" if channel != Channel.GRID_WORKER else "",
                                 reporter_phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if channel != Channel.GRID_WORKER else "",
                                 attributes={"location_kind": "corridor"} if code == "S0004" else {},
                                 publish=channel == Channel.RESIDENT and i % 2 == 0)  # half the residents chose 公开显示
        try:
            intake = services.report_case(report, acting_user=worker if channel == Channel.GRID_WORKER else None, now=reported_at)
        except ValidationError:
            continue
        made += 1
        _release(intake.case, moderator=logins["street"], at=reported_at + timedelta(hours=1))
        _advance(rng, intake, logins=logins, worker=worker, start=reported_at, now=now)
    return made


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


def _advance(rng: random.Random, intake, *, logins: dict, worker, start: datetime, now: datetime) -> None:
    """Walk the case some way round the loop, each step a few working hours after the last."""
    case = intake.case
    coordinator = logins["street"] if case.level == "street" else logins["community"]
    handler = logins["department"] if case.level == "street" else worker
    steps = [("accept", coordinator, {}), ("dispatch", coordinator, {}), ("sign", handler, {}), ("handle", handler, {"note": "已现场处置"}),
             ("verify", coordinator, {}), ("close", coordinator, {})]
    # How far round the loop: 0 = still waiting to be accepted, 6 = closed; most cases are done.
    taken = rng.choices([0, 1, 3, 4, 6], weights=[1, 1, 2, 1, 9])[0]
    clock = start
    for action, user, params in steps[:taken]:
        clock += timedelta(hours=rng.uniform(0.5, 30 if action == "handle" else 6))
        if clock >= now:
            return
        try:
            services.perform(case, action, acting_user=user, now=clock, **params)
        except (IllegalTransition, PermissionDenied, ValidationError):
            return
    clock += timedelta(hours=rng.uniform(1, 48))
    if taken == len(steps) and clock < now and rng.random() < 0.7:
        rating = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[8, 2, 1])[0]
        action = "rate_unsatisfied" if rating == "unsatisfied" else "rate"
        services.perform(case, action, access_code=intake.access_code, now=clock, rating=rating, note="问题反复出现" if rating == "unsatisfied" else "")


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
    delete_rows(Device.objects.filter(region__path__startswith=inside))
    delete_rows(Department.objects.filter(region__path__startswith=inside))
