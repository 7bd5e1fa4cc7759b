"""What-if scenarios: a JSON object, checked against the fitted region, every refusal in Chinese
naming the field and the value.

    {
      "name": "春节后加两名网格员",
      "staff": [{"unit": "500154003001001", "delta": 2}],
      "grids": {"500154003001001": "500154003001009", "500154003001002": "500154003001009"},
      "stage_limits": [{"stage": "handle", "matter": "S0001", "limit": "2d"}],
      "surges": [{"from": "2027-02-18", "to": "2027-02-28", "factor": 1.5, "matters": ["S0001"]}],
      "shifts": [{"from": "2027-02-10", "to": "2027-02-16", "days": 7}]
    }

`staff` adds or removes people at a unit (a grid, community or street code; a department's code).
`grids` maps old grid codes to a new grid code (a merge: the new grid takes the old grids' cases and
staff) or to a list of codes (a split: cases spread evenly, staff shared out); an advisor's proposal
is such a mapping. `stage_limits` change the limit a stage is judged by (for one matter or all).
`surges` multiply arrivals in a date range (for some matters or all). `shifts` move the arrivals of a
date range by some days (the Spring Festival: reports held back until after the holiday).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext

from yiwang.cases.stage_models import Stage
from yiwang.worktime.sla import Limit

from .engine import STAGES
from .fitting import COMMAND_PREFIX, DEPARTMENT_PREFIX, Fit

MAX_FACTOR = 20
KNOWN_KEYS = {"name", "staff", "grids", "stage_limits", "surges", "shifts"}


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the field and the value."""


@dataclass
class Scenario:
    name: str = ""
    staff: dict[str, int] = field(default_factory=dict)  # unit key → change
    grids: dict[str, list[str]] = field(default_factory=dict)  # old grid code → new grid codes
    stage_limits: list[tuple[str, str | None, float]] = field(default_factory=list)  # (stage, matter or None, seconds)
    surges: list[tuple[date, date, float, frozenset[str]]] = field(default_factory=list)
    shifts: list[tuple[date, date, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.staff or self.grids or self.stage_limits or self.surges or self.shifts)


def _day(value, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(gettext("%(where)s的日期“%(value)s”格式应为 YYYY-MM-DD") % {"where": where, "value": value}) from None


def _list(data: dict, key: str) -> list:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ScenarioError(gettext("情景中的 %(key)s 应为对象列表") % {"key": key})
    return value


def unit_key(fitted: Fit, code: str) -> str | None:
    """The unit a scenario's code names: a region unit, or a department."""
    for prefix in (COMMAND_PREFIX, DEPARTMENT_PREFIX):
        if prefix + code in fitted.units:
            return prefix + code
    return None


def parse(data, fitted: Fit) -> Scenario:
    """Check a scenario (a dict from JSON) against the fitted region; ScenarioError on the first problem."""
    if data is None:
        return Scenario()
    if not isinstance(data, dict):
        raise ScenarioError(gettext("情景应为 JSON 对象"))
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ScenarioError(gettext("情景中有无法识别的项：%(keys)s") % {"keys": "、".join(unknown)})
    scenario = Scenario(name=str(data.get("name") or "")[:100])

    for index, item in enumerate(_list(data, "staff"), 1):
        where = gettext("人员调整第 %(n)d 项") % {"n": index}
        code = str(item.get("unit", "")).strip()
        key = unit_key(fitted, code)
        if key is None:
            raise ScenarioError(gettext("%(where)s：%(region)s没有编码为“%(code)s”的办理单位") % {"where": where, "region": fitted.region_name, "code": code})
        delta = item.get("delta")
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise ScenarioError(gettext("%(where)s：人数变化应为整数，如 2 或 -1") % {"where": where})
        scenario.staff[key] = scenario.staff.get(key, 0) + delta
        if fitted.units[key].staff + scenario.staff[key] < 0:
            raise ScenarioError(gettext("%(where)s：%(unit)s现有 %(staff)d 人，不能减少 %(delta)d 人")
                                % {"where": where, "unit": fitted.units[key].label, "staff": fitted.units[key].staff, "delta": -delta})  # fmt: skip

    grids = data.get("grids") or {}
    if not isinstance(grids, dict):
        raise ScenarioError(gettext("情景中的 grids 应为对象，每项为原网格编码对应新网格编码"))
    for old, new in grids.items():
        if old not in fitted.grids:
            raise ScenarioError(gettext("网格调整：%(region)s没有编码为“%(code)s”的网格") % {"region": fitted.region_name, "code": old})
        targets = [new] if isinstance(new, str) else new
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) and 0 < len(t.strip()) <= 20 for t in targets):
            raise ScenarioError(gettext("网格调整：网格“%(code)s”的新网格编码应为文字或文字列表") % {"code": old})
        scenario.grids[old] = [t.strip() for t in targets]

    for index, item in enumerate(_list(data, "stage_limits"), 1):
        where = gettext("环节时限第 %(n)d 项") % {"n": index}
        stage = item.get("stage")
        if stage not in STAGES:
            raise ScenarioError(gettext("%(where)s：没有“%(stage)s”这个环节（accept、dispatch、sign、handle、verify）") % {"where": where, "stage": stage})
        matter = item.get("matter") or None
        if matter is not None and matter not in fitted.matters:
            raise ScenarioError(gettext("%(where)s：%(region)s的历史中没有编码为“%(code)s”的事项") % {"where": where, "region": fitted.region_name, "code": matter})
        try:
            seconds = fitted.calendar.limit_seconds(Limit.parse(str(item.get("limit", ""))))
        except ValueError:
            raise ScenarioError(gettext("%(where)s：时限“%(limit)s”应写成数字加单位，如 4h（工作小时）或 3d（工作日）") % {"where": where, "limit": item.get("limit", "")}) from None
        scenario.stage_limits.append((stage, matter, seconds))

    for index, item in enumerate(_list(data, "surges"), 1):
        where = gettext("突发增量第 %(n)d 项") % {"n": index}
        first, last = _day(item.get("from"), where), _day(item.get("to"), where)
        if last < first:
            raise ScenarioError(gettext("%(where)s：结束日期早于开始日期") % {"where": where})
        factor = item.get("factor")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 <= factor <= MAX_FACTOR:
            raise ScenarioError(gettext("%(where)s：倍数应为 0 到 %(max)d 之间的数字") % {"where": where, "max": MAX_FACTOR})
        matters = item.get("matters") or []
        if not isinstance(matters, list):
            raise ScenarioError(gettext("%(where)s：matters 应为事项编码列表") % {"where": where})
        for code in matters:
            if code not in fitted.matters:
                raise ScenarioError(gettext("%(where)s：%(region)s的历史中没有编码为“%(code)s”的事项") % {"where": where, "region": fitted.region_name, "code": code})
        scenario.surges.append((first, last, float(factor), frozenset(matters)))

    for index, item in enumerate(_list(data, "shifts"), 1):
        where = gettext("到达平移第 %(n)d 项") % {"n": index}
        first, last = _day(item.get("from"), where), _day(item.get("to"), where)
        days = item.get("days")
        if last < first:
            raise ScenarioError(gettext("%(where)s：结束日期早于开始日期") % {"where": where})
        if isinstance(days, bool) or not isinstance(days, int) or not -60 <= days <= 60:
            raise ScenarioError(gettext("%(where)s：平移天数应为 -60 到 60 之间的整数") % {"where": where})
        scenario.shifts.append((first, last, days))
    return scenario


def staff_after(fitted: Fit, scenario: Scenario) -> tuple[dict, dict[str, int]]:
    """The units after the scenario (merged and split grids as new units) and their staff.

    Returns (units, staff, unit_map) where unit_map sends an old unit key to its new keys. A merged
    grid whose old grids had no registered staff still counts them as one person each."""
    from .engine import Unit

    units = dict(fitted.units)
    staff = {key: unit.staff + scenario.staff.get(key, 0) for key, unit in units.items()}
    unit_map: dict[str, list[str]] = {}
    merged: dict[str, list[tuple[Unit, float]]] = {}
    for old, targets in scenario.grids.items():
        key = COMMAND_PREFIX + old
        if key not in units:
            continue
        unit_map[key] = [COMMAND_PREFIX + t for t in targets]
        share = staff.pop(key) / len(targets)
        old_unit = units.pop(key)
        for target in targets:
            merged.setdefault(COMMAND_PREFIX + target, []).append((old_unit, share))
    for key, parts in merged.items():
        if key in units and key not in unit_map:
            parts.append((units[key], staff.pop(key)))
        people = sum(share for _unit, share in parts)
        per_person = (sum(u.cases_per_person * share for u, share in parts) / people) if people else parts[0][0].cases_per_person
        label = units[key].label if key in units else gettext("新网格 %(code)s") % {"code": key[len(COMMAND_PREFIX):]}
        units[key] = Unit(key=key, label=label, staff=round(people), cases_per_person=per_person,
                          staff_known=all(unit.staff_known for unit, _share in parts))
        staff[key] = round(people)
    return units, staff, unit_map


def check_handlers(fitted: Fit, units: dict, staff: dict[str, int], used: dict[str, set[str]]) -> None:
    """Refuse a scenario that leaves a stage with nobody to do it: `used` maps a unit to the stages it runs."""
    for key, stages in sorted(used.items()):
        if key in units and units[key].capacity(staff.get(key, 0)) == 0:
            names = "、".join(str(Stage(s).label) for s in STAGES if s in stages)
            raise ScenarioError(gettext("情景取消了%(unit)s的全部办理人员，%(stages)s环节将无人办理；请至少保留 1 人")
                                % {"unit": units[key].label, "stages": names})  # fmt: skip
