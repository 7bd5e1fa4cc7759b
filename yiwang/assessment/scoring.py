"""The assessment formulas (考评计分), as pure functions of counts and rule values.

Nothing here reads the database: selectors.py gathers the counts (and the records behind them),
these functions turn them into a score with every component shown, so a page can print how a
number was reached and a test can check the arithmetic on its own. docs/indicators.md states the
same formulas in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Rule code -> (label, default value, note). Seeded into AssessmentRule; the admin edits them.
DEFAULT_RULES: dict[str, tuple[str, float, str]] = {
    "worker.ledger_weight": ("闭环积分权重", 1.0, "网格员一事一记积分（上报、现场解决、核查通过等）每分折合考评分"),
    "worker.per_patrol": ("每次巡查", 0.5, "巡查日志每条计分"),
    "worker.per_visit": ("每次入户走访", 1.0, "入户走访每条计分（含重点对象关爱走访）"),
    "worker.per_case_opened": ("走访巡查发现问题立案", 1.0, "巡查或走访发现问题并立案，每件计分"),
    "worker.per_campaign_check": ("专项排查每户/每处", 0.5, "专项排查完成一个对象的检查计分"),
    "department.on_time_weight": ("按期办结率权重", 40.0, "部门得分中按期办结率所占分值"),
    "department.rework_weight": ("一次办结（未返工）权重", 20.0, "（1-返工率）所占分值"),
    "department.checkin_weight": ("吹哨按时报到率权重", 20.0, "按时报到的哨令任务 / 收到的哨令任务"),
    "department.rating_weight": ("街道评价部门权重", 20.0, "吹哨方对部门的评价（1-5星）平均/5 所占分值"),
    "property.red_complaints_per_100": ("红色：每百户投诉≥", 3.0, "物业类事件（责任部门类别为住房/物业）每百户件数"),
    "property.green_complaints_per_100": ("绿色：每百户投诉≤", 1.0, ""),
    "property.red_failed_items": ("红色：检查不合格项≥", 3.0, "专项排查中该物业公司不合格检查项数"),
    "property.green_failed_items": ("绿色：检查不合格项≤", 0.0, ""),
    "property.red_satisfaction": ("红色：居民满意率<", 0.7, "服务区域内已评价事件的满意+基本满意比例"),
    "property.green_satisfaction": ("绿色：居民满意率≥", 0.9, ""),
    "property.min_ratings": ("满意率至少评价件数", 5.0, "评价不足此数时，满意率不参与判定"),
}


def rule_values(overrides: dict[str, float] | None = None) -> dict[str, float]:
    values = {code: default for code, (_label, default, _note) in DEFAULT_RULES.items()}
    values.update(overrides or {})
    return values


@dataclass(frozen=True)
class Component:
    """One line of a computation: what was counted, how it was weighted, what it gave."""

    code: str
    label: str
    count: float | None  # the measured figure (a count or a rate); None: no data this period
    weight: float  # the rule value applied
    points: float  # what the line contributes
    formula: str  # the line written out, e.g. "12 × 0.5"


@dataclass(frozen=True)
class Score:
    total: float
    components: tuple[Component, ...]
    formula: str

    def as_dict(self) -> dict:
        return {"total": self.total, "formula": self.formula,
                "components": [component.__dict__ for component in self.components]}


def _fmt(value: float, places: int = 2) -> str:
    """A number in a formula as the pages show the result: rounded to `places` decimals (never to
    significant digits: 197.5 stays 197.5), thousands separated, no trailing zeros."""
    text = f"{round(value, places):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def grid_worker_score(*, ledger_points: int, patrols: int, visits: int, cases_opened: int, campaign_checks: int,
                      rules: dict[str, float]) -> Score:
    """A grid worker's score: closed-loop ledger points plus counted daily work, each weighted."""
    lines = [
        ("ledger", "闭环积分", ledger_points, rules["worker.ledger_weight"]),
        ("patrols", "巡查", patrols, rules["worker.per_patrol"]),
        ("visits", "入户走访", visits, rules["worker.per_visit"]),
        ("cases_opened", "发现问题立案", cases_opened, rules["worker.per_case_opened"]),
        ("campaign_checks", "专项排查", campaign_checks, rules["worker.per_campaign_check"]),
    ]
    components = tuple(Component(code, label, count, weight, round(count * weight, 2), f"{_fmt(count)} × {_fmt(weight)}")
                       for code, label, count, weight in lines)
    total = round(sum(c.points for c in components), 2)
    return Score(total, components, " + ".join(c.formula for c in components) + f" = {_fmt(total)}")


def department_score(*, on_time_rate: float | None, rework_rate: float | None, checkin_rate: float | None,
                     rating_average: float | None, rules: dict[str, float]) -> Score:
    """A department's score out of 100. A measure with no data this period (no cases due, no
    summons, no ratings) is left out and the others are scaled up to 100, so a department is
    neither rewarded nor punished for what it was never asked to do."""
    lines = [
        ("on_time", "按期办结率", on_time_rate, rules["department.on_time_weight"]),
        ("no_rework", "一次办结率（1-返工率）", None if rework_rate is None else 1 - rework_rate, rules["department.rework_weight"]),
        ("checkin", "吹哨按时报到率", checkin_rate, rules["department.checkin_weight"]),
        ("rating", "街道评价（平均星级/5）", None if rating_average is None else rating_average / 5, rules["department.rating_weight"]),
    ]
    components = tuple(
        Component(code, label, measure, weight, 0.0 if measure is None else round(measure * weight, 2),
                  "无数据，不计" if measure is None else f"{measure:.1%} × {_fmt(weight)}")
        for code, label, measure, weight in lines)
    counted_weight = sum(c.weight for c in components if c.count is not None)
    if counted_weight == 0:
        return Score(0.0, components, "无可计指标")
    raw = sum(c.points for c in components)
    total = round(raw * 100 / counted_weight, 1)
    return Score(total, components, f"({' + '.join(_fmt(c.points) for c in components if c.count is not None)}) "
                                    f"× 100 / {_fmt(counted_weight)} = {_fmt(total, 1)}")


RED, YELLOW, GREEN = "red", "yellow", "green"
COLOUR_LABELS = {RED: "红", YELLOW: "黄", GREEN: "绿"}


@dataclass(frozen=True)
class Check:
    label: str
    value: float | None
    red_when: str
    green_when: str
    is_red: bool
    is_green: bool


@dataclass(frozen=True)
class TrafficLight:
    colour: str
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return COLOUR_LABELS[self.colour]


def property_light(*, complaints: int, households: int | None, failed_items: int, rated: int, satisfied: int,
                   rules: dict[str, float]) -> TrafficLight:
    """红黄绿: red when any measure crosses its red line; green when every measure is within its
    green line; yellow otherwise. Without known households the complaint count itself is used;
    with too few ratings the satisfaction rate is not judged (neither red nor blocking green)."""
    per_100 = complaints * 100 / households if households else float(complaints)
    checks = [
        Check("每百户物业投诉" if households else "物业投诉（户数未知，按件数）", round(per_100, 2),
              f"≥ {_fmt(rules['property.red_complaints_per_100'])}", f"≤ {_fmt(rules['property.green_complaints_per_100'])}",
              per_100 >= rules["property.red_complaints_per_100"], per_100 <= rules["property.green_complaints_per_100"]),
        Check("检查不合格项", failed_items,
              f"≥ {_fmt(rules['property.red_failed_items'])}", f"≤ {_fmt(rules['property.green_failed_items'])}",
              failed_items >= rules["property.red_failed_items"], failed_items <= rules["property.green_failed_items"]),
    ]
    if rated >= rules["property.min_ratings"] and rated > 0:
        rate = satisfied / rated
        checks.append(Check("居民满意率", round(rate, 4), f"< {rules['property.red_satisfaction']:.0%}",
                            f"≥ {rules['property.green_satisfaction']:.0%}",
                            rate < rules["property.red_satisfaction"], rate >= rules["property.green_satisfaction"]))
    else:
        checks.append(Check(f"居民满意率（评价{rated}件，不足{_fmt(rules['property.min_ratings'])}件不判定）", None, "—", "—", False, True))
    if any(check.is_red for check in checks):
        colour = RED
    elif all(check.is_green for check in checks):
        colour = GREEN
    else:
        colour = YELLOW
    return TrafficLight(colour, tuple(checks))
