"""Demo duty lists for 云枫街道: the street's two lists with 260-odd items between them (seed 001:
"镇街法定职责事项、协同配合事项“两张清单”260余项"), each community's four lists, and the district's
grid task list "6+1" covering exactly the matter types the catalogue marks as admitted to grids, so
case routing behaves as it did before the list existed. The street's statutory list carries a
short history: an approved adjustment and one proposal waiting for the district."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.matters.models import Department, MatterType
from yiwang.regions.models import Level, Region

from . import services
from .models import KIND_KEY_PREFIX, DutyItem, DutyItemRevision, DutyList, DutyListVersion, ListKind

STATUTORY_COUNT = 148
COOPERATIVE_COUNT = 116

# Area -> (owner office, matter codes its items may cover, legal bases, objects of the duties).
STREET_AREAS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "党的建设": ("党建工作办公室", ("S0011",), (
        "《中国共产党章程》", "《中国共产党支部工作条例（试行）》", "《中国共产党党员教育管理工作条例》",
        "《中国共产党发展党员工作细则》", "《中国共产党基层组织选举工作条例》"),
        ("基层党组织建设", "党员教育管理", "发展党员", "党费收缴管理", "党组织换届选举", "网格党支部建设",
         "非公企业和社会组织党建", "在职党员双报到", "党风廉政建设", "意识形态工作", "群团组织建设", "党建联盟共建")),
    "经济发展": ("经济发展办公室", ("S0012",), (
        "《中华人民共和国统计法》", "《优化营商环境条例》", "《中华人民共和国中小企业促进法》"),
        ("辖区经济运行监测", "招商引资服务", "统计调查", "企业走访服务", "个体工商户帮扶", "楼宇经济培育",
         "重点项目服务保障", "营商环境问题收集")),
    "民生服务": ("社会事务办公室", ("S0007", "F0201", "F0202", "F0301", "F0302", "F0401", "F0501"), (
        "《社会救助暂行办法》", "《中华人民共和国老年人权益保障法》", "《中华人民共和国残疾人保障法》",
        "《中华人民共和国就业促进法》", "《中华人民共和国退役军人保障法》", "《中华人民共和国未成年人保护法》"),
        ("最低生活保障审核", "特困人员救助供养", "临时救助", "居家养老服务", "高龄津贴发放", "残疾人两项补贴",
         "退役军人服务保障", "就业创业服务", "城乡居民医保参保", "未成年人关爱保护", "优抚对象服务", "独居老人关爱")),
    "平安法治": ("平安法治办公室", ("S0001", "S0002", "S0009"), (
        "《中华人民共和国人民调解法》", "《信访工作条例》", "《中华人民共和国社区矫正法》",
        "《中华人民共和国禁毒法》", "《中华人民共和国反电信网络诈骗法》"),
        ("矛盾纠纷排查调处", "人民调解", "社区矫正", "安置帮教", "禁毒宣传教育", "信访接待", "普法宣传",
         "网格化服务管理", "公共法律服务", "反电信网络诈骗宣传")),
    "应急安全": ("应急管理办公室", ("S0003", "S0004", "S0005", "S0008", "09012"), (
        "《中华人民共和国安全生产法》", "《中华人民共和国消防法》", "《中华人民共和国突发事件应对法》",
        "《中华人民共和国防洪法》", "《地质灾害防治条例》"),
        ("安全生产检查", "消防安全检查", "防汛抗旱", "地质灾害防治", "森林防火", "应急预案演练", "燃气安全",
         "电动自行车充电安全", "防溺水", "九小场所安全")),
    "城市管理": ("城市管理办公室", ("06010", "06036", "06042", "07001", "09006"), (
        "《城市市容和环境卫生管理条例》", "《中华人民共和国城乡规划法》", "《物业管理条例》",
        "《中华人民共和国固体废物污染环境防治法》"),
        ("市容环境卫生", "生活垃圾分类", "违法建设巡查", "占道经营劝导", "户外广告管理", "绿化管护",
         "物业管理指导", "老旧小区改造", "背街小巷整治")),
    "生态环境": ("生态环境保护办公室", ("06027", "06028", "08003"), (
        "《中华人民共和国水污染防治法》", "《中华人民共和国大气污染防治法》", "《中华人民共和国噪声污染防治法》"),
        ("河长制", "大气污染防治", "噪声污染防治", "秸秆禁烧", "生态环境保护宣传", "餐饮油烟监督")),
    "基层治理": ("社区治理办公室", ("S0010",), (
        "《中华人民共和国城市居民委员会组织法》", "《志愿服务条例》", "《中华人民共和国民法典》"),
        ("居民委员会建设", "居务公开", "社区工作者管理", "网格划分调整", "志愿服务", "社会组织培育",
         "居民议事协商", "小区业主委员会指导")),
}
STATUTORY_VERBS = ("负责辖区{o}", "组织实施{o}", "统筹推进{o}", "做好{o}日常管理", "开展{o}监督检查")

# Department kind -> (district unit, objects) for the cooperative items.
COOPERATIVE_AREAS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "urban_management": ("区城市管理综合执法局", ("06001", "09006"), (
        "违法建设查处", "占道经营整治", "户外广告整治", "渣土运输管理", "城市道路挖掘管理", "市政设施管护", "门前三包督查")),
    "market": ("区市场监督管理局", ("09001", "S0012"), (
        "食品安全检查", "特种设备安全检查", "价格监督检查", "无照经营整治", "农贸市场管理", "消费维权")),
    "emergency": ("区应急管理局", ("S0003", "S0005"), (
        "安全生产执法", "危险化学品管理", "自然灾害救助", "应急物资储备", "燃气安全专项整治", "森林防灭火")),
    "ecology": ("区生态环境局", ("06027", "08001", "08003"), (
        "环境污染举报处置", "建筑施工扬尘管控", "施工噪声管控", "餐饮油烟治理", "入河排污口排查")),
    "water": ("区水利局", ("S0006",), ("河道管理保护", "水位监测预警", "农村饮水安全", "山洪灾害防御")),
    "housing": ("区住房和城乡建设委员会", ("06013", "08016"), (
        "房屋安全排查", "建筑工地安全检查", "无证施工查处", "物业服务质量考评", "城镇燃气管网巡查")),
    "police": ("云枫派出所", ("09009",), ("治安巡防", "流动人口登记", "出租房屋管理", "反诈宣传", "重点人员管控", "交通秩序整治")),
    "civil_affairs": ("区民政局", ("S0007", "F0202"), ("社会救助审核", "殡葬管理", "婚姻登记服务", "社会组织监管", "养老机构安全检查")),
    "human_resources": ("区人力资源和社会保障局", ("F0501", "F0502"), ("根治欠薪", "劳动保障监察", "职业技能培训", "社保待遇资格认证")),
    "health": ("区卫生健康委员会", (), ("爱国卫生运动", "传染病防控", "家庭医生签约", "疫苗接种组织", "计划生育服务")),
}
COOPERATIVE_VERBS = ("配合{d}开展{o}", "协助{d}做好{o}", "配合{d}开展{o}的排查和信息报送")

# The four community lists: (title, category, legal basis, matter codes) per item.
COMMUNITY_LISTS: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    ListKind.COMMUNITY_SERVICE: (
        ("城乡居民医保参保登记代办", "社保医疗", "《社会保险法》", ("F0101",)),
        ("城乡居民养老保险登记代办", "社保医疗", "《社会保险法》", ("F0103",)),
        ("临时救助申请受理", "社会救助", "《社会救助暂行办法》", ("F0201",)),
        ("高龄津贴申请受理", "养老服务", "《中华人民共和国老年人权益保障法》", ("F0301",)),
        ("残疾人证办理代办", "残疾人服务", "《中华人民共和国残疾人保障法》", ("F0401",)),
        ("就业失业登记", "就业创业", "《中华人民共和国就业促进法》", ("F0501",)),
        ("居住证明开具", "证明开具", "《居住证暂行条例》", ("F0601",)),
    ),
    ListKind.COMMUNITY_MICRO_POWER: (
        ("最低生活保障申请初审", "社会救助", "《社会救助暂行办法》", ("F0202",)),
        ("临时救助对象评议", "社会救助", "《社会救助暂行办法》", ()),
        ("社区公益性岗位人员推荐", "就业创业", "《中华人民共和国就业促进法》", ()),
        ("社区集体资产资源管理", "财务管理", "《中华人民共和国城市居民委员会组织法》", ()),
        ("社区惠民项目确定", "居民自治", "《中华人民共和国城市居民委员会组织法》", ()),
        ("社区工作经费使用", "财务管理", "《中华人民共和国城市居民委员会组织法》", ()),
    ),
    ListKind.COMMUNITY_PARTY: (
        ("发展党员", "组织建设", "《中国共产党发展党员工作细则》", ()),
        ("党费收缴", "党员管理", "《关于中国共产党党费收缴、使用和管理的规定》", ()),
        ("“三会一课”", "组织生活", "《中国共产党支部工作条例（试行）》", ()),
        ("主题党日活动", "组织生活", "《中国共产党支部工作条例（试行）》", ()),
        ("在职党员双报到服务", "党员管理", "《中国共产党党员教育管理工作条例》", ("S0011",)),
        ("党员积分管理", "党员管理", "《中国共产党党员教育管理工作条例》", ()),
    ),
    ListKind.COMMUNITY_SEAL: (
        ("居住证明", "证明", "《居住证暂行条例》", ("F0601",)),
        ("婚育情况证明", "证明", "《中华人民共和国人口与计划生育法》", ("F0602",)),
        ("低保、临时救助申请材料初审意见", "社会救助", "《社会救助暂行办法》", ()),
        ("共建单位共建协议", "党建共建", "《中国共产党支部工作条例（试行）》", ()),
        ("社区公告、通知", "居务公开", "《中华人民共和国城市居民委员会组织法》", ()),
    ),
}
COMMUNITY_OWNER = {
    ListKind.COMMUNITY_SERVICE: "{c}便民服务站", ListKind.COMMUNITY_MICRO_POWER: "{c}居民委员会",
    ListKind.COMMUNITY_PARTY: "{c}党委", ListKind.COMMUNITY_SEAL: "{c}居民委员会",
}

# The grid task list "6+1": six standing tasks, and the seventh for what the street assigns
# through admission. Each admitted matter type goes to the task its catalogue category names.
GRID_TASKS = (
    ("WG-01", "基础信息采集", "人房地事物信息采集、更新和核实", ()),
    ("WG-02", "安全隐患排查", "燃气、消防、电动自行车充电、防溺水等隐患巡查和报告", ("安全隐患",)),
    ("WG-03", "矛盾纠纷排查化解", "邻里、物业等矛盾纠纷的排查和就地化解", ("矛盾纠纷",)),
    ("WG-04", "政策宣传", "政策法规宣传、党员联系群众", ("党建",)),
    ("WG-05", "重点人员走访", "独居老人、困难群众等重点人群定期走访", ("民生关爱",)),
    ("WG-06", "便民代办服务", "居民诉求收集和公共服务事项代办", ("民生诉求", "service")),
    ("WG-07", "街道交办的准入事项", "经街道准入审核后交网格办理的城市管理等事项", ()),
)
GRID_BASIS = "区委政法委关于网格事项准入的规定；区网格化服务管理工作规范"


def _matter_ids(codes) -> list[int]:
    by_code = {}
    for pk, code in MatterType.objects.filter(code__in=list(codes)).values_list("pk", "code"):
        by_code.setdefault(code, pk)
    return [by_code[c] for c in codes if c in by_code]


def _street_rows(rng: random.Random, count: int, *, cooperative: bool) -> list[dict]:
    combos = []
    if cooperative:
        departments = {d.kind: d for d in Department.objects.filter(active=True).order_by("code")}
        for kind, (unit, codes, objects) in COOPERATIVE_AREAS.items():
            department = departments.get(kind)
            name = department.name if department else unit
            for obj in objects:
                for verb in COOPERATIVE_VERBS:
                    combos.append((kind, verb.format(d=name, o=obj), name, department, codes))
    else:
        for area, (office, codes, bases, objects) in STREET_AREAS.items():
            for obj in objects:
                for verb in STATUTORY_VERBS:
                    combos.append((area, verb.format(o=obj), office, bases, codes))
    chosen = sorted(rng.sample(range(len(combos)), count))
    prefix = KIND_KEY_PREFIX[ListKind.STREET_COOPERATIVE if cooperative else ListKind.STREET_STATUTORY]
    rows = []
    for n, index in enumerate(chosen, start=1):
        if cooperative:
            kind, title, unit, department, codes = combos[index]
            category = COOPERATIVE_AREAS[kind][0].removeprefix("区")
            basis = "区级部门权责清单；《重庆市街道办事处条例》"
            row = {"key": f"{prefix}-{n:03d}", "title": title, "category": category, "owner_unit": unit,
                   "department": department, "legal_basis": basis}
        else:
            area, title, office, bases, codes = combos[index]
            row = {"key": f"{prefix}-{n:03d}", "title": title, "category": area, "owner_unit": office,
                   "legal_basis": "；".join(rng.sample(bases, k=min(len(bases), rng.choice((1, 1, 2)))))}
        row["matter_types"] = _matter_ids(rng.sample(codes, k=min(len(codes), rng.choice((0, 1, 1, 2))))) if codes else []
        rows.append(row)
    return rows


def _grid_rows() -> list[dict]:
    admitted = MatterType.objects.filter(grid_admitted=True, active=True).order_by("kind", "code")
    covered: dict[str, list[int]] = {key: [] for key, *_ in GRID_TASKS}
    for matter in admitted:
        task = next((key for key, _, _, tags in GRID_TASKS if matter.category in tags or matter.kind in tags), "WG-07")
        covered[task].append(matter.pk)
    return [{"key": key, "title": title, "category": "常态任务" if key != "WG-07" else "准入事项", "owner_unit": "网格员",
             "legal_basis": GRID_BASIS, "note": note, "matter_types": covered[key]} for key, title, note, _ in GRID_TASKS]


def _backdate(version: DutyListVersion, proposed_days_ago: int, decided_days_ago: int | None) -> None:
    now = timezone.now()
    DutyListVersion.objects.filter(pk=version.pk).update(
        proposed_at=now - timedelta(days=proposed_days_ago),
        decided_at=None if decided_days_ago is None else now - timedelta(days=decided_days_ago))


def _history(statutory: DutyList, rng: random.Random) -> int:
    """An approved adjustment and a pending one on the street's statutory list, made through the
    services by the demo's street and district accounts. Returns the proposals made."""
    street_user = User.objects.filter(username="street").first()
    district_user = User.objects.filter(username="district").first()
    if street_user is None or district_user is None:
        return 0
    _backdate(statutory.current_version, 400, 395)
    titles = dict(DutyItem.objects.filter(duty_list=statutory, in_force=True).values_list("key", "title"))
    keys = sorted(titles)

    def about(word: str, *, besides: tuple[str, ...] = ()) -> str:
        """An item whose title mentions `word` (so each change matches its reason), else any."""
        fitting = [k for k in keys if word in titles[k] and k not in besides]
        return rng.choice(fitting or [k for k in keys if k not in besides])

    changed = about("议事协商")
    removed = about("党风廉政", besides=(changed,))
    adjusted = services.propose_change(statutory, acting_user=street_user, reason="根据区委编办2025年镇街职责清单动态调整通知，增补基层治理新任务，党风廉政建设并入党建工作统一表述", changes=[
        {"op": "add", "key": f"FD-{len(keys) + 1:03d}", "title": "负责辖区电动自行车集中充电设施建设管理", "category": "应急安全",
         "owner_unit": "应急管理办公室", "legal_basis": "《中华人民共和国消防法》；《高层民用建筑消防安全管理规定》",
         "matter_types": "S0004"},
        {"op": "add", "key": f"FD-{len(keys) + 2:03d}", "title": "组织实施居民议事协商“五步议事”", "category": "基层治理",
         "owner_unit": "社区治理办公室", "legal_basis": "《中华人民共和国城市居民委员会组织法》", "matter_types": "S0010"},
        {"op": "change", "key": changed, "legal_basis": "《中华人民共和国城市居民委员会组织法》；《重庆市街道办事处条例》"},
        {"op": "remove", "key": removed},
    ])
    services.approve_version(adjusted, acting_user=district_user, note="同意，按调整后的清单执行")
    _backdate(adjusted, 120, 110)
    pending = services.propose_change(statutory, acting_user=street_user, reason="防汛职责由区水利局牵头，街道改为协同配合；增补燃气安全入户宣传", changes=[
        {"op": "add", "key": f"FD-{len(keys) + 3:03d}", "title": "开展居民燃气安全入户宣传", "category": "应急安全",
         "owner_unit": "应急管理办公室", "legal_basis": "《城镇燃气管理条例》", "matter_types": "S0003"},
        {"op": "change", "key": about("防汛", besides=(changed, removed)), "owner_unit": "应急管理办公室（防汛办）",
         "note": "区水利局牵头，街道协同配合"},
    ])
    _backdate(pending, 3, None)
    return 2


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    statutory = services.create_list(region=street, kind=ListKind.STREET_STATUTORY, acting_user=None,
                                     name=f"{street.name}法定职责事项清单", rows=_street_rows(rng, STATUTORY_COUNT, cooperative=False))
    services.create_list(region=street, kind=ListKind.STREET_COOPERATIVE, acting_user=None,
                         name=f"{street.name}协同配合事项清单", rows=_street_rows(rng, COOPERATIVE_COUNT, cooperative=True))
    communities = list(Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code"))
    for community in communities:
        for kind, items in COMMUNITY_LISTS.items():
            chosen = sorted(rng.sample(range(len(items)), k=max(4, len(items) - rng.randint(0, 2))))
            prefix = KIND_KEY_PREFIX[kind]
            rows = [{"key": f"{prefix}-{n:02d}", "title": items[i][0], "category": items[i][1],
                     "owner_unit": COMMUNITY_OWNER[kind].format(c=community.name), "legal_basis": items[i][2],
                     "matter_types": _matter_ids(items[i][3])} for n, i in enumerate(chosen, start=1)]
            services.create_list(region=community, kind=kind, acting_user=None, rows=rows)
    grid_list = services.create_list(region=district, kind=ListKind.GRID_TASKS, acting_user=None, rows=_grid_rows(),
                                     name=f"{district.name}网格任务清单（6+1）")
    proposals = _history(statutory, rng)
    items = DutyItem.objects.filter(duty_list__region__path__startswith=street.path, duty_list__kind__in=[
        ListKind.STREET_STATUTORY, ListKind.STREET_COOPERATIVE], in_force=True).count()
    return (f"duty lists: {items} street items in two lists, {len(communities) * len(COMMUNITY_LISTS)} community lists, "
            f"grid task list of {grid_list.items.count()} tasks, {proposals} proposals")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    lists = DutyList.objects.filter(region__path__startswith=inside)
    lists.update(current_version=None)
    delete_rows(DutyItemRevision.objects.filter(version__duty_list__in=lists.values("pk")))
    delete_rows(DutyListVersion.objects.filter(duty_list__in=lists.values("pk")))
    delete_rows(DutyItem.objects.filter(duty_list__in=lists.values("pk")))
    delete_rows(lists)
