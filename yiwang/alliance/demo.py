"""Demo rows for the party alliance of 云枫街道, after seeds 002 and 003: the street's alliance of
the district's alliance units from the demo departments (the gas and power companies) and units
known only by name (a hospital, a bank, a school, a post office, the chamber of commerce); needs
raised by communities and grids, resources offered by the units, four projects with milestones
(one done, two under way with a milestone late, one decided at the last joint meeting), and joint
meetings for the past quarters with one quarter skipped so that the gap shows. Everything goes
through the services, as the pages would write it."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.matters.models import Department
from yiwang.regions.models import Level, Region

from . import services
from .models import (
    Alliance, AllianceDecision, AllianceMeeting, AllianceMember, AllianceMilestone, AllianceNeed, AllianceProject, AllianceResource,
)
from .selectors import quarter_bounds, quarter_of
from .services import DecisionInput, MilestoneInput, ProjectInput

NAMED_UNITS = [
    ("开州区人民医院", "开州区人民医院党委", "每季度开展一次义诊"),
    ("中国建设银行开州支行", "建设银行开州支行党支部", "提供金融知识宣讲和爱心捐助"),
    ("开州区实验中学", "开州区实验中学党总支", "假期开放操场和图书室"),
    ("开州区邮政分公司", "开州区邮政分公司党支部", "为独居老人代办寄递"),
    ("云枫街道商会", "云枫街道商会功能型党支部", "提供就业岗位信息"),
]
# (title, description, category, residents affected)
NEEDS = [
    ("独居老人燃气安全检查", "网格内独居老人多，燃气灶具老化，希望有人上门检查并更换软管", "elderly", 60),
    ("小区充电桩不足", "电动车楼道充电屡禁不止，居民希望增设集中充电桩", "facilities", 300),
    ("假期儿童看护", "双职工家庭暑假孩子无人照看，希望开设假期托管", "children", 80),
    ("老年人健康体检", "辖区老人希望就近免费体检", "health", 200),
    ("背街小巷路灯不亮", "夜间出行不便，存在安全隐患", "safety", 150),
    ("就业技能培训", "待业居民希望参加技能培训并对接岗位", "employment", 40),
]
# (unit index, kind, description, capacity)
RESOURCES = [
    ("gas", "expertise", "燃气安全检查队伍", "每月2次，每次10户"),
    ("power", "expertise", "供电所党员服务队", "每月1次"),
    ("power", "funds", "充电设施改造资金", "5万元"),
    (0, "expertise", "义诊医生", "每季度1次,5名医生"),
    (1, "funds", "爱心助学基金", "每年2万元"),
    (2, "venue", "操场和图书室", "寒暑假每天开放"),
    (4, "other", "会员企业就业岗位", "每季度30个岗位"),
]


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    acting = User.objects.filter(username="street").first()
    if acting is None or acting.scope_region_id is None:
        return "alliance: skipped (no street login)"
    today = timezone.localdate()
    year, quarter = quarter_of(today)
    # Founded five quarters ago: four complete quarters to show, and the current one.
    for _ in range(4):
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    founded = quarter_bounds(year, quarter)[0] + timedelta(days=10)
    alliance = services.create_alliance(acting_user=acting, name=f"{street.name}党建联盟", region=street, founded_on=founded,
                                        description="街道党工委牵头，驻区单位共驻共建，每季度召开联席会议，以需求、资源、项目三张清单推进联建共建。")
    units: dict = {}
    for dept in Department.objects.filter(is_alliance_unit=True, active=True, region__path__in=[district.path, street.path]).order_by("code"):
        key = "gas" if "燃气" in dept.name else "power" if "供电" in dept.name else dept.code
        units[key] = services.add_member(alliance, acting_user=acting, department=dept, joined_on=founded,
                                         commitment="每年响应吹哨报到不少于两次")
    for i, (name, party, commitment) in enumerate(NAMED_UNITS):
        units[i] = services.add_member(alliance, acting_user=acting, name=name, party_organization_name=party, commitment=commitment,
                                       joined_on=founded + timedelta(days=rng.randint(0, 40)), contact_name=rng.choice(["张", "李", "王", "陈"]) + "主任")
    resources = {}
    for key, kind, description, capacity in RESOURCES:
        if key in units:
            resources[description] = services.offer_resource(alliance, acting_user=acting, unit=units[key], kind=kind, description=description,
                                                              capacity=capacity, offered_on=units[key].joined_on + timedelta(days=rng.randint(0, 30)))
    grids = list(Region.objects.filter(path__startswith=street.path, level=Level.GRID).order_by("code")[:12])
    communities = list(Region.objects.filter(path__startswith=street.path, level=Level.COMMUNITY).order_by("code"))
    needs = []
    for i, (title, description, category, affected) in enumerate(NEEDS):
        region = grids[i % len(grids)] if grids and i % 2 == 0 else (communities[i % len(communities)] if communities else street)
        needs.append(services.raise_need(alliance, acting_user=acting, region=region, title=title, description=description, category=category,
                                         residents_affected=affected, raised_on=founded + timedelta(days=30 + 25 * i)))

    gas, power = units.get("gas"), units.get("power")
    hospital, school, chamber = units[0], units[2], units[4]
    lead_gas = gas or hospital
    projects = 0
    # 1. Done: gas checks for elderly people living alone, every milestone on time.
    start = founded + timedelta(days=45)
    done = services.create_project(alliance, ProjectInput(
        title="燃气安全进万家", lead=lead_gas, need=needs[0], cooperating=[u for u in (units[3],) if u], starts_on=start,
        due_on=start + timedelta(days=120), resources=[r for r in (resources.get("燃气安全检查队伍"),) if r],
        description="为独居老人上门检查燃气灶具、更换老化软管",
        milestones=[MilestoneInput("摸排独居老人名单", start + timedelta(days=15)), MilestoneInput("上门检查并更换软管", start + timedelta(days=60)),
                    MilestoneInput("回访", start + timedelta(days=100))]), acting_user=acting)
    for offset, milestone in zip((12, 58, 95), done.milestones.order_by("position")):
        services.complete_milestone(milestone, acting_user=acting, done_on=start + timedelta(days=offset), note="已按计划完成")
    projects += 1
    # 2. Under way, one milestone late: charging points, led by the power company.
    start = today - timedelta(days=120)
    charging = services.create_project(alliance, ProjectInput(
        title="小区集中充电桩建设", lead=power or hospital, need=needs[1], cooperating=[u for u in (gas, chamber) if u], starts_on=start,
        due_on=today + timedelta(days=90), resources=[r for r in (resources.get("充电设施改造资金"),) if r],
        milestones=[MilestoneInput("选址并征求居民意见", start + timedelta(days=20)), MilestoneInput("施工安装", today - timedelta(days=10)),
                    MilestoneInput("验收投用", today + timedelta(days=80))]), acting_user=acting)
    services.complete_milestone(charging.milestones.order_by("position").first(), acting_user=acting, done_on=start + timedelta(days=25),
                                note="征求意见后确定3处选址")
    projects += 1
    # 3. Under way, on track: summer care for children at the school.
    start = today - timedelta(days=40)
    care = services.create_project(alliance, ProjectInput(
        title="暑期儿童托管", lead=school, need=needs[2], cooperating=[u for u in (units[1],) if u], starts_on=start,
        due_on=today + timedelta(days=60), resources=[r for r in (resources.get("操场和图书室"), resources.get("爱心助学基金")) if r],
        milestones=[MilestoneInput("招募志愿者", start + timedelta(days=10)), MilestoneInput("开班", today + timedelta(days=5)),
                    MilestoneInput("结业总结", today + timedelta(days=55))]), acting_user=acting)
    services.complete_milestone(care.milestones.order_by("position").first(), acting_user=acting, done_on=start + timedelta(days=9))
    projects += 1

    # Joint meetings: one per complete quarter except the second-last, the last one deciding the health check project.
    meetings = 0
    members_now = list(alliance.members.filter(left_on__isnull=True))
    q_year, q = quarter_of(founded)
    keys = []
    while (q_year, q) < quarter_of(today):
        keys.append((q_year, q))
        q_year, q = (q_year + 1, 1) if q == 4 else (q_year, q + 1)
    for index, key in enumerate(keys):
        if index == len(keys) - 2:
            continue  # the quarter without a meeting, for the gap view
        start_q, end_q = quarter_bounds(*key)
        held = max(start_q + timedelta(days=rng.randint(20, 60)), founded + timedelta(days=1))
        held = min(held, end_q - timedelta(days=1), today)
        attendees = [m for m in members_now if m.joined_on <= held]
        decisions = [DecisionInput("通报上季度项目进展，梳理需求清单和资源清单")]
        if index == len(keys) - 1:
            decisions.append(DecisionInput("由区人民医院牵头开展老年人健康体检", project=ProjectInput(
                title="老年人健康体检", lead=hospital, need=needs[3], cooperating=[u for u in (units[3],) if u], starts_on=held,
                due_on=held + timedelta(days=150), resources=[r for r in (resources.get("义诊医生"),) if r],
                milestones=[MilestoneInput("制定体检方案", held + timedelta(days=15)), MilestoneInput("分批体检", held + timedelta(days=120))])))
            projects += 1
        services.record_meeting(alliance, acting_user=acting, held_on=held, topic=f"{key[0]}年第{key[1]}季度党建联盟联席会议",
                                place="云枫街道党群服务中心", minutes="各成员单位通报共建项目进展，讨论新的需求清单，明确牵头单位和配合单位。",
                                attendees=attendees, decisions=decisions)
        meetings += 1
    return (f"alliance: 1 alliance, {alliance.members.count()} units, {len(needs)} needs, {len(resources)} resources, "
            f"{projects} projects, {meetings} meetings")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    alliances = Alliance.objects.filter(region__path__startswith=inside)
    delete_rows(AllianceDecision.objects.filter(meeting__alliance__in=alliances))
    delete_rows(AllianceMilestone.objects.filter(project__alliance__in=alliances))
    delete_rows(AllianceProject.objects.filter(alliance__in=alliances))
    delete_rows(AllianceMeeting.objects.filter(alliance__in=alliances))
    delete_rows(AllianceResource.objects.filter(alliance__in=alliances))
    delete_rows(AllianceNeed.objects.filter(alliance__in=alliances))
    delete_rows(AllianceMember.objects.filter(alliance__in=alliances))
    delete_rows(alliances)

