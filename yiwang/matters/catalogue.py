"""The seeded catalogue: national urban-management matters (GB/T 47678.5-2026 classes 01-10), the
community matters of the seeds and the one-stop hall's public service items with their service guides
(data: `service_catalogue.toml`).

Each row: (kind, code, name, category, board, tier, grid_admitted, department kind, limits, extra).
Limits are (accept, dispatch, sign, handle, verify); "4h" is four working hours, "3d" three working
days. Seeding only creates missing types: what staff edited stays as they left it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

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

SERVICE_CATALOGUE = Path(__file__).resolve().parent / "service_catalogue.toml"
_GUIDE_TEXTS = ("conditions", "place", "fee")
_GUIDE_LISTS = ("materials", "steps")


@dataclass(frozen=True)
class ServiceItem:
    """One public service item (公共服务事项) of the one-stop hall and its guide, as the data file has it."""

    code: str
    name: str
    category: str
    department_kind: str
    days: int
    conditions: str
    materials: tuple[str, ...]
    place: str
    fee: str
    steps: tuple[str, ...]

    @property
    def limits(self) -> tuple[str, str, str, str, str]:
        return service_limits(self.days)

    @property
    def service_standard(self) -> str:
        return f"材料齐全的，{self.days}个工作日内办结"


def service_limits(days: int) -> tuple[str, str, str, str, str]:
    """Step limits (accept, dispatch, sign, handle, verify) that add up to `days` working days, so a
    case of the item falls due when its guide promises. Acceptance, dispatch, signing and the check
    take a quarter day each (an eighth for a one-day item); handling has the rest."""
    share = min(0.25, days / 8)
    handle = days - 4 * share
    return (_days(share), _days(share), _days(share), _days(handle), _days(share))


def _days(amount: float) -> str:
    return f"{int(amount) if amount == int(amount) else amount}d"


def service_items(path: Path = SERVICE_CATALOGUE) -> list[ServiceItem]:
    """The service items of the data file, in its order; a missing or empty entry is named."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    items, seen = [], set()
    for category in data.get("category", []):
        for raw in category.get("item", []):
            where = f"{path.name}: {category.get('name', '?')} / {raw.get('code', '?')}"
            for key in ("code", "name", *_GUIDE_TEXTS):
                if not isinstance(raw.get(key), str) or not raw[key].strip():
                    raise ValueError(f"{where}: {key} is missing or empty")
            for key in _GUIDE_LISTS:
                value = raw.get(key)
                if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
                    raise ValueError(f"{where}: {key} must be a non-empty list of texts")
            if not isinstance(raw.get("days"), int) or raw["days"] < 1:
                raise ValueError(f"{where}: days must be a whole number of working days, at least 1")
            if raw["code"] in seen:
                raise ValueError(f"{where}: code used twice")
            seen.add(raw["code"])
            items.append(ServiceItem(
                code=raw["code"], name=raw["name"], category=category["name"],
                department_kind=raw.get("department_kind", category.get("department_kind", "")), days=raw["days"],
                conditions=raw["conditions"].strip(), materials=tuple(v.strip() for v in raw["materials"]),
                place=raw["place"].strip(), fee=raw["fee"].strip(), steps=tuple(v.strip() for v in raw["steps"]),
            ))
    return items


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
    for item in service_items():
        out.append(_row("service", item.code, item.name, item.category, "livelihood", "B", True, item.department_kind,
                        item.limits, {"public": True, "service_standard": item.service_standard}))
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


def ensure(matter_model=None, version_model=None, guide_model=None) -> int:
    """Create the missing seeded types (each with its first version) and the missing service guides;
    returns how many types were made. Nothing that exists is changed, so staff edits stay."""
    if matter_model is None:
        from .models import MatterType as matter_model
        from .models import MatterTypeVersion as version_model
        from .models import ServiceGuide as guide_model
    existing = set(matter_model.objects.values_list("kind", "code"))
    made = 0
    for row in rows():
        if (row["kind"], row["code"]) in existing:
            continue
        matter = matter_model.objects.create(version=1, **row)
        version_model.objects.create(matter=matter, number=1, snapshot=_snapshot(matter))
        made += 1
    if guide_model is not None:  # the migrations before the guide's table pass none
        _ensure_guides(matter_model, guide_model)
    return made


def _ensure_guides(matter_model, guide_model) -> None:
    items = {item.code: item for item in service_items()}
    with_guide = set(guide_model.objects.values_list("matter_id", flat=True))
    for matter in matter_model.objects.filter(kind="service", code__in=items).exclude(pk__in=with_guide):
        item = items[matter.code]
        guide_model.objects.create(matter=matter, conditions=item.conditions, materials="\n".join(item.materials),
                                   place=item.place, fee=item.fee, steps="\n".join(item.steps))


# The first seeded catalogue had 13 service items with limits (1h, 1h, 4h, N days, 1d).
_FIRST_SERVICE_LIMITS = ("1h", "1h", "4h", "1d")


def upgrade_first_services(matter_model, version_model) -> int:
    """Bring the service items seeded by the first catalogue and never edited since (still version 1,
    first limits) to the data file: name, category, department class, limits adding up to the guide's
    time limit, service standard, as a new version. Returns how many were brought up to date."""
    upgraded = 0
    items = {item.code: item for item in service_items()}
    for matter in matter_model.objects.filter(kind="service", code__in=items, version=1):
        if (matter.accept_limit, matter.dispatch_limit, matter.sign_limit, matter.verify_limit) != _FIRST_SERVICE_LIMITS:
            continue
        item = items[matter.code]
        matter.name, matter.category, matter.department_kind = item.name, item.category, item.department_kind
        matter.accept_limit, matter.dispatch_limit, matter.sign_limit, matter.handle_limit, matter.verify_limit = item.limits
        matter.service_standard = item.service_standard
        matter.version = 2
        matter.save()
        version_model.objects.create(matter=matter, number=2, snapshot=_snapshot(matter))
        upgraded += 1
    return upgraded


def _snapshot(matter) -> dict:
    # The migration's historical model has no methods; build the same shape as MatterType.snapshot.
    from .models import MatterType

    return MatterType.snapshot(matter)
