"""Skip-level reporting (越级上报): which rule, if any, sends a new case past its tier's first level,
where it goes instead, whom it copies, and the checks every rule must pass. The rules are the
`SkipLevelRule` rows (admin: 事件 › 越级上报规则); intake asks `apply` right after the normal routing,
so every channel (pages, API, Open311, device alerts) obeys them alike."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext

from yiwang.core.stamped import StampedCache, table_stamp
from yiwang.matters.models import Department, MatterType, MatterTypeVersion
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region, ancestor_paths

from .models import CopyLevel, Level, SkipLevelRule, SkipTarget, Urgency
from .routing import TIER_LEVEL, Route, ancestors, department_for

LEVEL_RANK = {Level.GRID: 0, Level.COMMUNITY: 1, Level.STREET: 2, Level.DEPARTMENT: 3}
URGENCY_RANK = {Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.CRITICAL: 2}
TIER_OF_LEVEL = {Level.COMMUNITY: "B", Level.STREET: "C", Level.DEPARTMENT: "C"}
COPY_REGION_LEVEL = {CopyLevel.GRID: RegionLevel.GRID, CopyLevel.COMMUNITY: RegionLevel.COMMUNITY,
                     CopyLevel.STREET: RegionLevel.STREET, CopyLevel.DISTRICT: RegionLevel.DISTRICT}


# The checks ------------------------------------------------------------------------------------

def check_rule(rule: SkipLevelRule) -> dict[str, str]:
    """What is wrong with a rule, by field (empty when nothing is). Also tidies the category and
    the copy list in place, so what is saved is what was checked."""
    errors: dict[str, str] = {}
    rule.name = (rule.name or "").strip()
    rule.matter_category = (rule.matter_category or "").strip()
    if not rule.name:
        errors["name"] = gettext("请填写规则名称")
    if rule.matter_id is None and not rule.matter_category:
        errors["matter"] = gettext("请选择事项或填写事项大类：没有匹配条件的规则不会生效")
    elif rule.matter_id is not None and rule.matter_category:
        errors["matter_category"] = gettext("事项和事项大类只填一项")
    if rule.min_urgency not in Urgency.values:
        errors["min_urgency"] = gettext("没有“%(urgency)s”这种紧急程度") % {"urgency": rule.min_urgency}
    if rule.target_level not in SkipTarget.values:
        errors["target_level"] = gettext("没有“%(level)s”这个报送层级：可选社区、街道指挥中心或职能部门") % {"level": rule.target_level}
    _check_copies(rule, errors)
    _check_department(rule, errors)
    if not errors.keys() & {"matter", "matter_category", "target_level"}:
        _check_above_normal_level(rule, errors)
    return errors


def _check_copies(rule: SkipLevelRule, errors: dict[str, str]) -> None:
    copies = rule.copy_levels if rule.copy_levels is not None else []
    if not isinstance(copies, list) or not all(isinstance(level, str) for level in copies):
        errors["copy_levels"] = gettext("抄送层级应是层级的列表，如网格、社区")
        return
    unknown = [level for level in copies if level not in CopyLevel.values]
    if unknown:
        errors["copy_levels"] = gettext("没有这些抄送层级：%(levels)s") % {"levels": "、".join(unknown)}
        return
    if rule.target_level in copies:
        errors["copy_levels"] = gettext("抄送层级不能包含直接报送的层级“%(level)s”") % {"level": CopyLevel(rule.target_level).label}
        return
    rule.copy_levels = list(dict.fromkeys(copies))


def _check_department(rule: SkipLevelRule, errors: dict[str, str]) -> None:
    if rule.target_department_id is None:
        return
    if rule.target_level != SkipTarget.DEPARTMENT:
        errors["target_department"] = gettext("只有直接报送层级为“职能部门”时才能指定部门")
    elif not rule.target_department.active:
        errors["target_department"] = gettext("部门“%(department)s”已停用") % {"department": rule.target_department.name}


def _check_above_normal_level(rule: SkipLevelRule, errors: dict[str, str]) -> None:
    """A rule only ever sends a case up: never below the level its matter's tier starts at, and a
    rule for one matter must go above it (at the same level it would skip nothing)."""
    if rule.matter_id is not None:
        matters = [rule.matter]
    else:
        matters = list(MatterType.objects.filter(category=rule.matter_category, active=True).order_by("kind", "code"))
        if not matters:
            errors["matter_category"] = gettext("没有大类为“%(category)s”的启用事项") % {"category": rule.matter_category}
            return
    target = LEVEL_RANK[rule.target_level]
    for matter in matters:
        normal = TIER_LEVEL[matter.default_tier]
        values = {"target": SkipTarget(rule.target_level).label, "matter": matter.name, "normal": Level(normal).label}
        if target < LEVEL_RANK[normal]:
            errors["target_level"] = gettext("直接报送层级“%(target)s”低于事项“%(matter)s”平时的首办层级“%(normal)s”：越级只能向上") % values
            return
        if target == LEVEL_RANK[normal] and rule.matter_id is not None:
            errors["target_level"] = gettext("事项“%(matter)s”平时就由%(normal)s首先办理，无需越级：直接报送层级须高于%(normal)s") % values
            return


# At intake --------------------------------------------------------------------------------------

def _read_active_rules() -> tuple[tuple[int, int | None, str, str], ...]:
    return tuple(SkipLevelRule.objects.filter(active=True).values_list("pk", "matter_id", "matter_category", "min_urgency"))


# (pk, matter, category, urgency) of the active rules, kept per process: every intake asks, and
# almost none matches, so the common answer costs no query (an edit shows within two seconds).
_active_rules = StampedCache(stamp=lambda: table_stamp(SkipLevelRule.objects.all()), build=_read_active_rules)


def rule_for(matter: MatterType, urgency: str) -> SkipLevelRule | None:
    """The active rule for a case of `matter` at `urgency`: a rule naming the matter before a rule for
    its category, then the one asking the most urgency, then the oldest."""
    rank = URGENCY_RANK.get(urgency, -1)
    matching = [(matter_id is None, -URGENCY_RANK[min_urgency], pk) for pk, matter_id, category, min_urgency in _active_rules.get()
                if URGENCY_RANK.get(min_urgency, 99) <= rank
                and (matter_id == matter.pk or matter_id is None and matter.category and category == matter.category)]
    if not matching:
        return None
    # Read whole, with its department, as it is now.
    return SkipLevelRule.objects.select_related("target_department").filter(pk=min(matching)[2], active=True).first()


def serves(department: Department, region: Region) -> bool:
    return department.active and department.areas.filter(path__in=ancestor_paths(region.path)).exists()


def apply(route: Route, *, matter_version: MatterTypeVersion, urgency: str, grid: Region) -> Route:
    """The route a new case takes once the skip-level rules are asked: unchanged when no active rule
    matches; otherwise the rule's target (when it is above where the tier would send the case) with
    the rule, the reason in words and the units to copy."""
    matter = matter_version.matter
    rule = rule_for(matter, urgency)
    if rule is None:
        return route
    by_level = ancestors(grid)
    what = f"{matter.name}（{Urgency(urgency).label}）"
    reasons = list(route.reasons)
    level, region, department, name, notes = _target(rule, matter_version, grid, by_level)
    reasons.extend(notes)
    if region is None or LEVEL_RANK[level] <= LEVEL_RANK[route.level]:
        reasons.append(f"越级规则“{rule.name}”：{what}平时已由{route.region.name}办理，不再改派")
        level, region, department, tier = route.level, route.region, route.department, route.tier
    else:
        reasons.append(f"紧急事项越级上报：{what}直接报{name}（规则“{rule.name}”）")
        tier = TIER_OF_LEVEL[level]
    copies = _copies(rule, grid, by_level, handling=region if level != Level.DEPARTMENT else None)
    if copies:
        reasons.append("抄送：" + "、".join(r.name for r in copies))
    return dataclasses.replace(route, tier=tier, level=level, region=region, department=department, reasons=reasons,
                               skip_rule=rule, copies=copies)


def _target(rule: SkipLevelRule, matter_version: MatterTypeVersion, grid: Region, by_level: dict):
    """(level, region, department, name in words, reasons) of the rule's target for this grid; a
    target this grid lacks falls to the next level up, and a department that does not serve the
    grid to the street."""
    notes: list[str] = []
    street = by_level.get(RegionLevel.STREET)
    kind = matter_version.snapshot.get("department_kind", "")
    if rule.target_level == SkipTarget.DEPARTMENT:
        department = rule.target_department or department_for(kind, grid)
        if department is not None and street is not None and serves(department, grid):
            return Level.DEPARTMENT, street, department, department.name, notes
        notes.append(f"{department.name} 的服务区域不含 {grid.name}，由街道办理" if department is not None
                     else "没有服务该区域的对口部门，由街道办理")
    elif rule.target_level == SkipTarget.COMMUNITY:
        community = by_level.get(RegionLevel.COMMUNITY)
        if community is not None:
            return Level.COMMUNITY, community, None, community.name, notes
        notes.append(f"{grid.name} 没有上级社区，由街道办理")
    if street is None:
        return Level.STREET, None, None, "", notes
    suggestion = department_for(kind, grid)
    if suggestion is not None:
        notes.append(f"建议派遣 {suggestion.name}：其服务区域包含该网格")
    return Level.STREET, street, suggestion, f"{street.name}指挥中心", notes


def _copies(rule: SkipLevelRule, grid: Region, by_level: dict, *, handling: Region | None) -> list[Region]:
    """The units the rule copies for this grid, lowest first, without the unit the case is with."""
    found = []
    for level in sorted(rule.copy_levels or [], key=lambda value: CopyLevel.values.index(value) if value in CopyLevel.values else 99):
        region = grid if level == CopyLevel.GRID else by_level.get(COPY_REGION_LEVEL.get(level))
        if region is not None and region != handling and region not in found:
            found.append(region)
    return found
