"""Demo links for 云枫街道, after seed 004 (人民新村): district leaders linked to communities (monthly,
face to face), street leaders each linked to a few grids (a day a week in the grid, or twice a
month), and departments, alliance units and party branches linked one-to-one to a fair share of
grids. Visits go back about five months; some links deliberately missed their last period, some
grids and one community have no link, and a few problems raised on visits opened cases through
the closed loop's intake.

永先社区's two grids carry the demo accounts: grid 001 is linked to the district's urban management
bureau (the `department` login is a member) with gridworker1 as A and the community as B, and it
missed last month so that recording a visit shows the change; grid 002 is linked to a street
functional branch with gridworker2 as A.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.core.synthetic_names import FEMALE_CHARS, MALE_CHARS, SURNAMES
from yiwang.matters.models import Department, MatterType
from yiwang.party.models import OrgKind, PartyOrganization
from yiwang.regions.models import Level, Region

from . import periods, selectors, services
from .models import Link, LinkKind, LinkProblem, LinkVisit, Period, VisitMode

HISTORY_DAYS = 160
MISSED_SHARE = 0.2  # links that skip their last complete period
STREET_LEADER_GRIDS = 3
STREET_BRANCH_LINKS = 10
COMMUNITY_BRANCH_LINKS = 16
PROBLEM_VISITS = 8  # visits whose problems open cases
YONGXIAN_GRIDS = ("500154003001001", "500154003001002")

DISTRICT_TITLES = ["副区长", "区委常委、组织部部长", "区人大常委会副主任", "区政协副主席", "区委常委、政法委书记", "区委常委、宣传部部长",
                   "副区长", "区人大常委会副主任", "区政协副主席"]
STREET_TITLES = ["党工委书记", "党工委副书记、办事处主任", "党工委副书记", "人大工委主任", "党工委委员、纪工委书记", "办事处副主任",
                 "党工委委员、武装部部长", "办事处副主任"]
SUMMARIES = [
    "走访辖区楼宇企业，了解经营困难和用工需求", "与网格员入户走访独居老人，检查燃气和用电安全", "参加网格议事会，协调小区停车和消防通道问题",
    "驻格一天，随网格员巡查背街小巷环境卫生", "走访困难群众，落实临时救助政策", "到书记值班工作室接待居民来访",
    "检查老旧小区电动车集中充电设施", "与物业公司座谈，听取居民对物业服务的意见", "督导防汛隐患排查，查看低洼地段排水情况",
    "走访商户，宣传反电信网络诈骗知识", "参加网格党支部主题党日，与党员共同开展志愿服务", "电话回访上月反映问题的居民，了解办理情况",
]
# (description, matter kind and code to open a case for it, or None to record it only)
PROBLEMS = [
    ("楼道堆放杂物，影响通行", ("event", "06036")), ("小区垃圾桶满溢，清运不及时", ("event", "06042")),
    ("两户因漏水发生纠纷，需要调解", ("community", "S0001")), ("背街小巷路面破损积水", ("event", "06013")),
    ("夜间广场舞音乐声大，居民反映影响休息", ("event", "06028")), ("占道停车，堵塞消防通道", ("event", "09009")),
    ("居民希望增设休闲座椅", None), ("企业反映招工难，希望对接就业服务", None), ("独居老人希望有人定期上门探访", None),
]


def _name(rng: random.Random) -> str:
    surname = rng.choice([s for s, _ in SURNAMES])
    chars = MALE_CHARS if rng.random() < 0.6 else FEMALE_CHARS
    return surname + "".join(rng.choice(chars) for _ in range(rng.choice([1, 2])))


def _at(rng: random.Random, day: date, now: datetime) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.choice([0, 10, 20, 30, 40, 50]))))
    return min(moment, now - timedelta(hours=1))


def _visit_days(rng: random.Random, link: Link, *, today: date, skip_previous: bool) -> list[date]:
    """Days of contact period by period, from the link's start to today: the required number in
    most periods, one short now and then, none in the last complete period when it is to miss."""
    days: list[date] = []
    start = periods.start_of(link.starts_on, link.period)
    previous_start, _ = periods.previous_bounds(today, link.period)
    while start <= today:
        end = periods.next_start(start, link.period)
        first, last = max(start, link.starts_on), min(end - timedelta(days=1), today)
        count = link.contacts_required
        if start == previous_start and skip_previous:
            count = 0
        elif start < previous_start and rng.random() < 0.1:
            count = max(0, count - 1)
        span = (last - first).days
        days += sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(count))
        start = end
    return days


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    now = timezone.now()
    today = timezone.localdate(now)
    logins = {u.username: u for u in User.objects.filter(username__in=["street", "community", "gridworker1", "gridworker2", "department"])}
    communities = list(Region.objects.filter(path__startswith=street.path, level=Level.COMMUNITY).order_by("code"))
    grids = list(Region.objects.filter(path__startswith=street.path, level=Level.GRID).select_related("parent").order_by("code"))
    if not communities or not grids:
        return "links: no grids"
    started = today - timedelta(days=HISTORY_DAYS)
    links: list[Link] = []

    # District leaders: one community each, all but the last (a gap for the gaps page).
    for community, title in zip(communities[:-1], DISTRICT_TITLES, strict=False):
        yongxian = community.code == YONGXIAN_GRIDS[0][:12]
        links.append(Link(kind=LinkKind.DISTRICT_LEADER, region=community, leader_name=_name(rng), leader_title=title,
                          contacts_required=1, period=Period.MONTH, counted_mode=VisitMode.FACE_TO_FACE, cadence_note="到社区面对面听取工作汇报，参加联席会议",
                          starts_on=started, primary=logins.get("community") if yongxian else None,
                          backup=logins.get("street") if yongxian else None))

    # Street leaders: a few grids each, spread over the communities; the first is the street login.
    yongxian_grids = [g for g in grids if g.code in YONGXIAN_GRIDS]
    others = [g for g in grids if g.code not in YONGXIAN_GRIDS]
    rng.shuffle(others)
    # A quarter of the grids at most, so that units and gaps keep their share.
    leader_grids = others[:min(len(STREET_TITLES) * STREET_LEADER_GRIDS, len(others) // 4)]
    names = [_name(rng) for _ in STREET_TITLES]
    for index, grid in enumerate(leader_grids):
        number = index // STREET_LEADER_GRIDS
        weekly = number % 2 == 0
        links.append(Link(kind=LinkKind.STREET_LEADER, region=grid, leader=logins.get("street") if number == 0 else None,
                          leader_name=names[number], leader_title=STREET_TITLES[number], contacts_required=1 if weekly else 2,
                          period=Period.WEEK if weekly else Period.MONTH, counted_mode=VisitMode.IN_GRID if weekly else "",
                          cadence_note="驻格当天随网格员巡查、入户" if weekly else "入格走访，参加网格议事", starts_on=started,
                          primary=logins.get("street") if number == 0 else None))

    # Units, one grid each and one unit per grid.
    departments = list(Department.objects.filter(active=True).filter(Q(region=district) | Q(region=street)).order_by("code"))
    first_department = next((d for d in departments if d.code == "KZ-CGZF"), departments[0] if departments else None)
    street_branches = list(PartyOrganization.objects.filter(region=street, kind=OrgKind.FUNCTIONAL_BRANCH).order_by("name"))
    community_branches = list(PartyOrganization.objects.filter(region__in=communities, kind=OrgKind.FUNCTIONAL_BRANCH)
                              .select_related("region").order_by("region__code", "name"))
    # 永先 grid 001 takes the first department, grid 002 the first street branch; the rest in turn.
    reserved = {g.code: g for g in yongxian_grids}
    queue = others[len(leader_grids):]

    def next_grid(code: str = "") -> Region | None:
        return reserved.pop(code) if code in reserved else (queue.pop(0) if queue else None)

    unit_grid_by_pk: dict[int, Region] = {}

    def unit_link(grid: Region, **fields) -> None:
        unit_grid_by_pk[grid.pk] = grid
        links.append(Link(region=grid, starts_on=started, **{"contacts_required": 1, "period": Period.MONTH, **fields}))

    ordered_departments = ([first_department] if first_department else []) + [d for d in departments if d != first_department]
    for number, department in enumerate(ordered_departments):
        grid = next_grid(YONGXIAN_GRIDS[0] if number == 0 else "")
        if grid is None:
            break
        yongxian = grid.code == YONGXIAN_GRIDS[0]
        unit_link(grid, kind=LinkKind.ALLIANCE_UNIT if department.is_alliance_unit else LinkKind.DEPARTMENT, department=department,
                  counted_mode=VisitMode.FACE_TO_FACE if yongxian else "", cadence_note="书记带队入格，走访楼宇企业" if yongxian else "走访网格内企业和困难群众",
                  primary=logins.get("gridworker1") if yongxian else None, backup=logins.get("community") if yongxian else None)
    for number, branch in enumerate(street_branches[:STREET_BRANCH_LINKS]):
        grid = next_grid(YONGXIAN_GRIDS[1] if number == 0 else "")
        if grid is None:
            break
        yongxian = grid.code == YONGXIAN_GRIDS[1]
        unit_link(grid, kind=LinkKind.PARTY_BRANCH, party_organization=branch, cadence_note="支部书记带党员入格服务",
                  primary=logins.get("gridworker2") if yongxian else None, backup=logins.get("community") if yongxian else None)
    # Community branches link grids of their own community that are still free of a unit.
    free = list(reserved.values()) + queue
    for branch in community_branches:
        if sum(1 for link in links if link.kind == LinkKind.PARTY_BRANCH) >= STREET_BRANCH_LINKS + COMMUNITY_BRANCH_LINKS:
            break
        grid = next((g for g in free if g.parent_id == branch.region_id), None)
        if grid is None:
            continue
        free.remove(grid)
        unit_link(grid, kind=LinkKind.PARTY_BRANCH, party_organization=branch, contacts_required=2, period=Period.QUARTER,
                  cadence_note="与网格党支部开展共建活动")

    for link in links:
        link.clean()  # the level and unit rules; the database keeps the one-to-one ones
    Link.objects.bulk_create(links)

    # Visits, period by period; about one link in five misses its last complete period, and so
    # does 永先 grid 001's unit (so that a visit recorded there visibly mends it).
    missed = {link.pk for link in links if rng.random() < MISSED_SHARE}
    missed |= {link.pk for link in links if link.region.code == YONGXIAN_GRIDS[0] and link.kind in {LinkKind.DEPARTMENT, LinkKind.ALLIANCE_UNIT}}
    missed -= {link.pk for link in links if link.region.code == YONGXIAN_GRIDS[1]}
    visits: list[LinkVisit] = []
    for link in links:
        for day in _visit_days(rng, link, today=today, skip_previous=link.pk in missed):
            mode = link.counted_mode or rng.choice([VisitMode.FACE_TO_FACE, VisitMode.FACE_TO_FACE, VisitMode.IN_GRID, VisitMode.REMOTE])
            visits.append(LinkVisit(link=link, at=_at(rng, day, now), mode=mode, summary=rng.choice(SUMMARIES),
                                    visitor_names=link.who if link.kind in {LinkKind.DISTRICT_LEADER, LinkKind.STREET_LEADER} else ""))
    LinkVisit.objects.bulk_create(visits, batch_size=1000)

    # A few visits raised problems: some only recorded, some opening cases through the real intake.
    recorded = [LinkProblem(visit=visit, row=1, description=rng.choice([d for d, m in PROBLEMS if m is None]))
                for visit in rng.sample(visits, min(len(visits), 12))]
    LinkProblem.objects.bulk_create(recorded)
    cases = 0
    acting = logins.get("street")
    if acting is not None:
        matters = {(m.kind, m.code): m for m in MatterType.objects.filter(active=True)}
        grid_links = [link for link in links if link.region.level == Level.GRID and link.pk not in missed]
        for link in rng.sample(grid_links, min(len(grid_links), PROBLEM_VISITS)):
            description, key = rng.choice([p for p in PROBLEMS if p[1] is not None and p[1] in matters])
            at = _at(rng, max(today - timedelta(days=rng.randint(1, 20)), link.starts_on), now)
            visit = services.record_visit(link, acting_user=acting, at=at, mode=VisitMode.FACE_TO_FACE, summary=rng.choice(SUMMARIES),
                                          visitor_names=link.who, problems=[services.ProblemInput(description=f"{link.region.name}:{description}",
                                                                                                  matter=matters[key])],
                                          now=at + timedelta(hours=1))
            cases += visit.problems.filter(case__isnull=False).count()
    gaps = Region.objects.filter(path__startswith=street.path, level=Level.GRID).exclude(
        pk__in=Link.objects.filter(active=True).values("region_id")).count()
    missed_now = selectors.missed(Link.objects.filter(region__path__startswith=street.path), today=today).count()
    by_kind = {kind: sum(1 for link in links if link.kind == kind) for kind in LinkKind}
    return (f"links: {by_kind[LinkKind.DISTRICT_LEADER]} district leaders, {by_kind[LinkKind.STREET_LEADER]} street leader links, "
            f"{len(unit_grid_by_pk)} grids with a unit, {len(visits) + cases} visits, {missed_now} missed last period, "
            f"{gaps} grids without a link, {cases} cases opened")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    links = Link.objects.filter(Q(region__path__startswith=inside) | Q(department__region__path__startswith=inside)
                                | Q(party_organization__region__path__startswith=inside))
    visits = LinkVisit.objects.filter(link__in=links)
    delete_rows(LinkProblem.objects.filter(visit__in=visits))
    delete_rows(visits)
    delete_rows(links)
