"""The assessment formulas on their own: arithmetic, missing data and the traffic-light rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.assessment import scoring

RULES = scoring.rule_values()


def test_grid_worker_score_adds_each_weighted_count():
    score = scoring.grid_worker_score(ledger_points=17, patrols=10, visits=6, cases_opened=2, campaign_checks=5, rules=RULES)
    # 17×1 + 10×0.5 + 6×1 + 2×1 + 5×0.5
    assert score.total == 32.5
    assert [c.code for c in score.components] == ["ledger", "patrols", "visits", "cases_opened", "campaign_checks"]
    assert [c.points for c in score.components] == [17, 5, 6, 2, 2.5]
    assert score.formula.endswith("= 32.5")


def test_grid_worker_score_follows_edited_rules():
    rules = scoring.rule_values({"worker.per_patrol": 2.0, "worker.ledger_weight": 0.0})
    assert scoring.grid_worker_score(ledger_points=50, patrols=3, visits=0, cases_opened=0, campaign_checks=0, rules=rules).total == 6


def test_department_score_full_marks_and_scaling_when_a_measure_is_missing():
    perfect = scoring.department_score(on_time_rate=1.0, rework_rate=0.0, checkin_rate=1.0, rating_average=5.0, rules=RULES)
    assert perfect.total == 100
    # Never summoned and never rated: on-time and rework alone, scaled from 60 to 100.
    partial = scoring.department_score(on_time_rate=0.9, rework_rate=0.1, checkin_rate=None, rating_average=None, rules=RULES)
    assert partial.total == pytest.approx((0.9 * 40 + 0.9 * 20) * 100 / 60, abs=0.05)
    assert [c.formula for c in partial.components][2:] == ["无数据，不计", "无数据，不计"]
    assert scoring.department_score(on_time_rate=None, rework_rate=None, checkin_rate=None, rating_average=None, rules=RULES).total == 0


def test_department_score_weights_each_measure():
    score = scoring.department_score(on_time_rate=0.5, rework_rate=0.25, checkin_rate=0.5, rating_average=4.0, rules=RULES)
    assert score.total == pytest.approx(0.5 * 40 + 0.75 * 20 + 0.5 * 20 + 0.8 * 20)


def test_property_light_examples():
    green = scoring.property_light(complaints=2, households=400, failed_items=0, rated=20, satisfied=19, rules=RULES)
    assert green.colour == scoring.GREEN  # 0.5 per 100 households, no failed items, 95% satisfied
    yellow = scoring.property_light(complaints=8, households=400, failed_items=0, rated=20, satisfied=19, rules=RULES)
    assert yellow.colour == scoring.YELLOW  # 2 per 100: past green, short of red
    red = scoring.property_light(complaints=0, households=400, failed_items=3, rated=20, satisfied=20, rules=RULES)
    assert red.colour == scoring.RED
    unhappy = scoring.property_light(complaints=0, households=400, failed_items=0, rated=10, satisfied=6, rules=RULES)
    assert unhappy.colour == scoring.RED and unhappy.checks[2].is_red


def test_too_few_ratings_are_not_judged():
    light = scoring.property_light(complaints=0, households=100, failed_items=0, rated=2, satisfied=0, rules=RULES)
    assert light.colour == scoring.GREEN
    assert light.checks[2].value is None and "不判定" in light.checks[2].label


def test_unknown_households_count_complaints_as_they_are():
    light = scoring.property_light(complaints=3, households=None, failed_items=0, rated=0, satisfied=0, rules=RULES)
    assert light.checks[0].value == 3 and light.colour == scoring.RED


@given(complaints=st.integers(0, 60), households=st.one_of(st.none(), st.integers(1, 2000)), failed=st.integers(0, 10),
       rated=st.integers(0, 50), data=st.data())
def test_light_is_red_iff_any_check_is_red_and_green_iff_all_are_green(complaints, households, failed, rated, data):
    satisfied = data.draw(st.integers(0, rated))
    light = scoring.property_light(complaints=complaints, households=households, failed_items=failed, rated=rated, satisfied=satisfied, rules=RULES)
    per_100 = complaints * 100 / households if households else complaints
    judged = rated >= RULES["property.min_ratings"]
    red = per_100 >= 3 or failed >= 3 or (judged and satisfied / rated < 0.7)
    green = per_100 <= 1 and failed == 0 and (not judged or satisfied / rated >= 0.9)
    assert light.colour == (scoring.RED if red else scoring.GREEN if green else scoring.YELLOW)
