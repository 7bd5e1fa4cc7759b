"""Demo grid work for 云枫街道: key-person care plans (street-wide, with 永先社区 setting a closer plan
of its own), about a month of patrols in every grid, home visits to the key persons under a plan
(most on time, some overdue, a few never visited), ordinary home visits, findings on some records,
and a few findings of 永先社区's two grid workers that opened cases through the closed loop.

Records of grids whose grid workers have no account carry the worker's name from the forces roster
(`worker` empty); 永先社区's grids 001 and 002 carry the gridworker1 and gridworker2 accounts, and
each of them has overdue care visits to make.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.forces.models import Assignment
from yiwang.matters.models import MatterType
from yiwang.regions.models import Level, Region, ancestor_paths
from yiwang.registry import heat
from yiwang.registry.models import KeyGroup

from . import counters, selectors, services
from .models import CarePlan, Finding, Frequency, HomeVisit, PatrolLog

YONGXIAN = "500154003001"
PATROL_DAYS = 28
OVERDUE_SHARE = 0.12
NEVER_SHARE = 0.05
YONGXIAN_OVERDUE = 3  # at least this many overdue persons in each of 永先's two grids
STREET_PLANS = [
    ("elderly_alone", Frequency.WEEKLY, "上门看望，了解身体和生活状况，检查用气用电安全"),
    ("special_hardship", Frequency.FORTNIGHTLY, "了解基本生活保障，协助申办救助"),
    (KeyGroup.MENTAL_ILLNESS, Frequency.FORTNIGHTLY, "联合社区民警、医生随访，落实监护责任"),
    ("disabled", Frequency.MONTHLY, "了解康复和辅具需求"),
    (KeyGroup.LEFT_BEHIND_CHILD, Frequency.MONTHLY, "了解学习和监护情况"),
    ("low_income", Frequency.QUARTERLY, "核实家庭收入和就业变化"),
]
YONGXIAN_PLANS = [
    ("disabled", Frequency.FORTNIGHTLY, "永先社区：残疾人每两周上门一次"),
    ("empty_nest", Frequency.MONTHLY, "永先社区：空巢老人每月上门一次"),
]
PATROL_SUMMARIES = [
    "巡查背街小巷环境卫生，未发现明显问题", "巡查小区消防通道和楼道堆物情况", "巡查沿街商铺门前三包落实情况",
    "巡查电动车集中充电点，提醒居民不在楼道充电", "巡查低洼地段排水和防汛设施", "巡查三合一场所用火用电情况",
    "夜间巡查小区治安和路灯照明", "巡查河道沿岸防溺水警示标识",
]
ROUTES = ["滨湖路—安康路—小区后巷", "沿街商铺—农贸市场—公交站", "小区东门—中心花园—地下车库", "河堤步道—学校周边—广场"]
VISIT_SUMMARIES = [
    "上门看望，老人身体状况良好，叮嘱注意用气安全", "了解家庭近况，生活正常，无特殊需求", "帮助老人预约家庭医生上门体检",
    "宣传防诈骗知识，留下网格员联系方式", "检查燃气灶具和电线，已提醒更换老化软管", "询问康复需求，登记辅具申请意向",
]
HOUSEHOLD_SUMMARIES = ["入户核实人口信息", "走访新入住租户，登记流动人口信息", "宣传垃圾分类和文明养犬", "征求居民对小区改造的意见"]
FINDINGS = ["楼道堆放杂物，影响通行", "路灯不亮", "绿化带内有建筑垃圾", "电动车在楼道内充电", "井盖松动"]
# (description, matter kind and code) for findings of 永先's grid workers that open cases.
CASE_FINDINGS = [("楼道堆放杂物，堵塞疏散通道", ("event", "06036")), ("小区垃圾桶满溢，清运不及时", ("event", "06042")),
                 ("两户因漏水发生纠纷，需要调解", ("community", "S0001"))]


def _at(rng: random.Random, days_ago: int, now: datetime) -> datetime:
    day = timezone.localdate(now) - timedelta(days=days_ago)
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.choice([0, 15, 30, 45]))))
    return min(moment, now - timedelta(minutes=30))


def _grid_path(path: str, grids: dict[str, Region]) -> Region | None:
    return next((grids[p] for p in reversed(ancestor_paths(path)) if p in grids), None)


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    now = timezone.now()
    today = timezone.localdate(now)
    logins = {u.username: u for u in User.objects.filter(username__in=["street", "community", "gridworker1", "gridworker2"])}
    grids = {g.path: g for g in Region.objects.filter(path__startswith=street.path, level=Level.GRID).select_related("parent")}
    if not grids:
        return "gridwork: no grids"
    # Who walks each grid: the account scoped to it, else the roster's grid worker by name.
    accounts = {u.scope_region_id: u for u in logins.values() if u.role == "grid_worker" and u.scope_region_id}
    roster = {}
    for assignment in (Assignment.objects.filter(grid__path__startswith=street.path, role__in=selectors.GRID_WORKER_FORCE_ROLES)
                       .select_related("member").order_by("-role", "member__name")):
        roster[assignment.grid_id] = assignment.member.name

    def who(grid: Region) -> tuple[User | None, str]:
        account = accounts.get(grid.pk)
        if account is not None:
            return account, account.get_full_name() or account.username
        return None, roster.get(grid.pk, f"{grid.name}网格员")

    # Care plans: the street's, and 永先社区's closer ones.
    started = today - timedelta(days=120)
    plans = [CarePlan(region=street, group=group, frequency_days=frequency, starts_on=started, note=note, created_by=logins.get("street"))
             for group, frequency, note in STREET_PLANS]
    yongxian = Region.objects.filter(code=YONGXIAN, path__startswith=street.path).first()
    if yongxian is not None:
        plans += [CarePlan(region=yongxian, group=group, frequency_days=frequency, starts_on=started, note=note,
                           created_by=logins.get("community")) for group, frequency, note in YONGXIAN_PLANS]
    CarePlan.objects.bulk_create(plans)

    # Care visits: most persons on time, some overdue, a few never visited since the plan began.
    rows = selectors.care_rows(region_path=street.path, today=today, now=now)
    # Each account's grid gets a few overdue persons to see, but no more than a third of its persons.
    per_grid: dict[int, int] = {}
    for row in rows:
        if row.grid is not None:
            per_grid[row.grid.pk] = per_grid.get(row.grid.pk, 0) + 1
    forced_late: dict[int, int] = {}
    visits: list[HomeVisit] = []
    visited_persons: list[tuple[int, int]] = []  # (index in visits, person id)
    for row in rows:
        n = row.plan.frequency_days
        grid = row.grid
        in_yongxian = grid is not None and grid.pk in accounts
        roll = rng.random()
        if in_yongxian and forced_late.get(grid.pk, 0) < min(YONGXIAN_OVERDUE, max(1, per_grid[grid.pk] // 3)):
            forced_late[grid.pk] = forced_late.get(grid.pk, 0) + 1
            roll = NEVER_SHARE  # overdue
        if roll < NEVER_SHARE:
            continue
        last = rng.randint(n, n + 20) if roll < NEVER_SHARE + OVERDUE_SHARE else rng.randint(0, n - 1)
        worker, name = who(grid) if grid is not None else (None, "网格员")
        # The visit before the last one, and the last one.
        for days_ago in (last + n, last):
            if days_ago > 118:
                continue
            visits.append(HomeVisit(region=row.region, worker=worker, worker_name=name, at=_at(rng, days_ago, now),
                                    summary=rng.choice(VISIT_SUMMARIES), recorded_by=worker))
            visited_persons.append((len(visits) - 1, row.person_id))
    # Ordinary visits to households, a few per grid.
    for grid in grids.values():
        worker, name = who(grid)
        for _ in range(rng.randint(1, 3)):
            visits.append(HomeVisit(region=grid, worker=worker, worker_name=name, at=_at(rng, rng.randint(0, PATROL_DAYS), now),
                                    summary=rng.choice(HOUSEHOLD_SUMMARIES), recorded_by=worker))
    HomeVisit.objects.bulk_create(visits, batch_size=1000)
    through = HomeVisit.persons.through
    through.objects.bulk_create([through(homevisit_id=visits[i].pk, person_id=person_id) for i, person_id in visited_persons], batch_size=2000)

    # Patrols: every second or third day in every grid over the last four weeks.
    patrols: list[PatrolLog] = []
    for grid in grids.values():
        worker, name = who(grid)
        day = rng.randint(0, 2)
        while day <= PATROL_DAYS:
            start = _at(rng, day, now)
            patrols.append(PatrolLog(region=grid, worker=worker, worker_name=name, at=start,
                                     ended_at=min(start + timedelta(minutes=rng.choice([45, 60, 90, 120])), now),
                                     route=rng.choice(ROUTES), summary=rng.choice(PATROL_SUMMARIES), recorded_by=worker))
            day += rng.randint(2, 3)
    PatrolLog.objects.bulk_create(patrols, batch_size=1000)
    findings = [Finding(region=patrol.region, patrol=patrol, row=1, description=rng.choice(FINDINGS))
                for patrol in rng.sample(patrols, min(len(patrols), len(grids)))]
    Finding.objects.bulk_create(findings, batch_size=1000)

    # A few findings of 永先's grid workers opened cases, through the real services.
    cases = 0
    matters = {(m.kind, m.code): m for m in MatterType.objects.filter(active=True)}
    for grid_id, worker in accounts.items():
        grid = next((g for g in grids.values() if g.pk == grid_id), None)
        if grid is None:
            continue
        for number, (description, key) in enumerate(CASE_FINDINGS):
            if key not in matters:
                continue
            at = _at(rng, 2 + number * 3, now)
            patrol = services.record_patrol(acting_user=worker, region=grid, at=at, ended_at=at + timedelta(hours=1),
                                            route=rng.choice(ROUTES), summary=rng.choice(PATROL_SUMMARIES),
                                            findings=[services.FindingInput(description=f"{grid.name}:{description}", matter=matters[key])],
                                            now=at + timedelta(hours=1))
            cases += patrol.findings.filter(case__isnull=False).count()

    # Plans, visits and their persons went in by bulk inserts: the care counters are recounted once.
    counters.rebuild(today=today)
    # The residents and their key-group tags went in by bulk inserts too: the heat counters likewise.
    heat.rebuild()
    final = selectors.care_rows(region_path=street.path, today=today, now=now)
    total = selectors.totals(final)
    return (f"gridwork: {len(plans)} care plans, {len(patrols) + cases} patrols, {len(visits)} home visits, "
            f"{total['under_plan']} key persons under a plan, coverage {total['percent']}, {total['overdue']} overdue, "
            f"{len(findings) + cases} findings, {cases} cases opened")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    counters.forget_under(inside)
    heat.forget_under(inside)
    delete_rows(Finding.objects.filter(Q(region__path__startswith=inside) | Q(patrol__region__path__startswith=inside)
                                       | Q(visit__region__path__startswith=inside)))
    visits = HomeVisit.objects.filter(region__path__startswith=inside)
    delete_rows(HomeVisit.persons.through.objects.filter(Q(homevisit__in=visits) | Q(person__region__path__startswith=inside)))
    delete_rows(visits)
    delete_rows(PatrolLog.objects.filter(region__path__startswith=inside))
    delete_rows(CarePlan.objects.filter(region__path__startswith=inside))
