"""The seeded catalogue: national urban-management matters (GB/T 47678.5-2026 classes 01-10), the
community matters of the seeds and the one-stop hall's public service items.

Each row: (kind, code, name, category, board, tier, grid_admitted, department kind, limits, extra).
Limits are (accept, dispatch, sign, handle, verify); "4h" is four working hours, "3d" three working
days. Seeding only creates missing types: what staff edited stays as they left it.
"""

from __future__ import annotations

from .component_types import CLASSES as COMPONENT_CLASSES
from .component_types import TYPES as COMPONENT_TYPES

QUICK = ("1h", "1h", "2h", "4h", "4h")
NORMAL = ("2h", "2h", "4h", "3d", "1d")
SLOW = ("4h", "4h", "1d", "7d", "2d")

_SMOKE = [{"code": "alarm_level", "datatype": "singlevaluelist", "required": False, "description": "报警级别",
           "values": [{"key": "1", "name": "预警"}, {"key": "2", "name": "报警"}]}]
_PEOPLE = [{"code": "people_involved", "datatype": "number", "required": False, "description": "涉及人数"}]
_CHARGING = [{"code": "location_kind", "datatype": "singlevaluelist", "required": True, "description": "充电位置",
              "values": [{"key": "corridor", "name": "楼道"}, {"key": "home", "name": "入户"}, {"key": "shed", "name": "车棚"}]}]

# Class 06-10 matters (城市管理事件) with the department that answers for them.
EVENTS = [
    ("06001", "违法建设", "市容环境", "C", False, "urban_management", ("2h", "2h", "4h", "20d", "2d"), {"auto_escalate": True}),
    ("06010", "暴露垃圾", "市容环境", "A", True, "urban_management", ("1h", "1h", "1h", "4h", "4h"), {"public": True, "auto_escalate": True}),
    ("06013", "道路破损", "市容环境", "C", False, "housing", NORMAL, {"public": True}),
    ("06027", "餐饮油烟", "市容环境", "C", False, "ecology", NORMAL, {"public": True}),
    ("06028", "噪声扰民", "市容环境", "B", True, "ecology", NORMAL, {"public": True}),
    ("06036", "堆物堆料", "市容环境", "A", True, "urban_management", QUICK, {"public": True}),
    ("06042", "垃圾满溢", "市容环境", "A", True, "urban_management", QUICK, {"public": True}),
    ("07001", "非法小广告", "宣传广告", "A", True, "urban_management", QUICK, {"public": True}),
    ("08001", "施工噪声", "施工管理", "C", False, "ecology", NORMAL, {"public": True}),
    ("08002", "占道施工", "施工管理", "C", False, "urban_management", NORMAL, {}),
    ("08003", "施工扬尘", "施工管理", "C", False, "ecology", NORMAL, {"public": True}),
    ("08016", "无证施工", "施工管理", "C", False, "housing", SLOW, {}),
    ("09001", "无照经营游商", "街面秩序", "B", True, "market", NORMAL, {"public": True}),
    ("09006", "占道经营", "街面秩序", "A", True, "urban_management", QUICK, {"public": True}),
    ("09009", "违章停车", "街面秩序", "B", True, "police", QUICK, {"public": True}),
    ("09012", "占用消防通道", "街面秩序", "B", True, "emergency", QUICK, {"public": True, "auto_escalate": True}),
    ("10001", "积雪结冰", "其他事件", "B", True, "urban_management", QUICK, {}),
]

# Community matters from the seeds; codes in a local "S" series so they never clash with national ones.
COMMUNITY = [
    ("S0001", "邻里纠纷", "矛盾纠纷", "safety", "A", True, "", NORMAL, {"attributes": _PEOPLE, "public": True}),
    ("S0002", "物业矛盾", "矛盾纠纷", "livelihood", "B", True, "housing", NORMAL, {"public": True}),
    ("S0003", "燃气安全隐患", "安全隐患", "safety", "B", True, "emergency", QUICK, {"auto_escalate": True, "public": True}),
    ("S0004", "电动车违规充电", "安全隐患", "safety", "A", True, "emergency", QUICK, {"attributes": _CHARGING, "auto_escalate": True, "public": True}),
    ("S0005", "烟感报警", "安全隐患", "safety", "B", True, "emergency", ("1h", "1h", "1h", "4h", "4h"), {"attributes": _SMOKE, "auto_escalate": True}),
    ("S0006", "水位超警", "安全隐患", "safety", "C", False, "water", ("1h", "1h", "1h", "4h", "4h"), {"auto_escalate": True}),
    ("S0007", "独居老人关爱", "民生关爱", "livelihood", "A", True, "civil_affairs", NORMAL, {}),
    ("S0008", "防溺水隐患", "安全隐患", "safety", "A", True, "emergency", QUICK, {"public": True}),
    ("S0009", "生活噪音", "矛盾纠纷", "safety", "A", True, "", NORMAL, {"public": True}),
    ("S0010", "居民诉求", "民生诉求", "livelihood", "B", True, "", NORMAL, {"public": True}),
    ("S0011", "党员联系群众事项", "党建", "party", "B", True, "", NORMAL, {}),
    ("S0012", "企业诉求", "营商环境", "economy", "C", False, "market", SLOW, {"public": True}),
]

# One-stop hall public service items (公共服务事项): six categories, handled through the same loop.
SERVICES = [
    ("F0101", "城乡居民医保参保登记", "社保医疗", "5d"), ("F0102", "医疗费用报销咨询", "社保医疗", "3d"),
    ("F0103", "城乡居民养老保险登记", "社保医疗", "5d"),
    ("F0201", "临时救助申请", "社会救助", "10d"), ("F0202", "最低生活保障申请", "社会救助", "20d"),
    ("F0301", "高龄津贴申请", "养老服务", "10d"), ("F0302", "居家养老服务申请", "养老服务", "7d"),
    ("F0401", "残疾人证办理", "残疾人服务", "15d"), ("F0402", "残疾人两项补贴申请", "残疾人服务", "10d"),
    ("F0501", "就业失业登记", "就业创业", "3d"), ("F0502", "创业担保贷款申请", "就业创业", "15d"),
    ("F0601", "居住证明开具", "证明开具", "1d"), ("F0602", "计划生育情况证明", "证明开具", "1d"),
]


def rows() -> list[dict]:
    out = []
    for code, name in COMPONENT_TYPES:
        out.append(_row("component", code, f"{name}损坏或异常", COMPONENT_CLASSES[code[:2]], "livelihood", "C", False,
                        "utility" if code[:2] == "01" else "urban_management", NORMAL, {"public": True}))
    for code, name, category, tier, admitted, dept, limits, extra in EVENTS:
        board = "safety" if code[:2] in {"08", "09"} else "livelihood"
        out.append(_row("event", code, name, category, board, tier, admitted, dept, limits, extra))
    for code, name, category, board, tier, admitted, dept, limits, extra in COMMUNITY:
        out.append(_row("community", code, name, category, board, tier, admitted, dept, limits, extra))
    for code, name, category, handle in SERVICES:
        out.append(_row("service", code, name, category, "livelihood", "B", True, "", ("1h", "1h", "4h", handle, "1d"),
                        {"public": True, "service_standard": f"{category}:材料齐全的,{handle.replace('d', '个工作日')}内办结"}))
    return out


def _row(kind, code, name, category, board, tier, admitted, dept, limits, extra) -> dict:
    accept, dispatch, sign, handle, verify = limits
    duties = {
        "A": ("网格员现场处置", "社区督促", "街道指挥中心跟踪"),
        "B": ("网格员发现上报", "社区协调处置", "街道指挥中心跟踪"),
        "C": ("网格员发现上报", "社区配合", "街道吹哨、部门处置"),
    }[tier]
    return {
        "kind": kind, "code": code, "name": name, "category": category, "board": board, "default_tier": tier,
        "grid_admitted": admitted, "department_kind": dept, "accept_limit": accept, "dispatch_limit": dispatch,
        "sign_limit": sign, "handle_limit": handle, "verify_limit": verify,
        "grid_duty": duties[0], "community_duty": duties[1], "street_duty": duties[2], **extra,
    }


def ensure(matter_model=None, version_model=None) -> int:
    """Create the missing seeded types (each with its first version); returns how many were made."""
    if matter_model is None:
        from .models import MatterType as matter_model
        from .models import MatterTypeVersion as version_model
    existing = set(matter_model.objects.values_list("kind", "code"))
    made = 0
    for row in rows():
        if (row["kind"], row["code"]) in existing:
            continue
        matter = matter_model.objects.create(version=1, **row)
        version_model.objects.create(matter=matter, number=1, snapshot=_snapshot(matter))
        made += 1
    return made


def _snapshot(matter) -> dict:
    # The migration's historical model has no methods; build the same shape as MatterType.snapshot.
    from .models import MatterType

    return MatterType.snapshot(matter)
