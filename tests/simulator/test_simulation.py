"""The district simulator's model: fitting on a small history, the back-test's figures and their
shape, determinism with a seed, what-ifs, and refusals of bad input in Chinese."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from yiwang.simulator import simulation
from yiwang.simulator.fitting import fit, local_midnight

from .history import make_history

GRID_A = "500154003001001"
STREET = "500154003000"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def history(tree, users, now):
    make_history(tree.grid_a, now=now)
    return tree


def test_fitting_reads_arrivals_durations_and_units_from_the_history(history, now):
    fitted = fit(history.street, cutoff=local_midnight(now))
    workday_rates = [fitted.rate_by_weekday[d] for d in range(5)]
    assert all(1.5 <= rate <= 2.0 for rate in workday_rates)  # two a working day (holidays aside)
    assert fitted.rate_rest_day == 0
    assert {t.grid for t in fitted.workday_templates} == {GRID_A}
    # One class (the matter with its three-day limit), each case's stages kept together.
    assert len(fitted.durations) == 2 and all(len(v) > 100 for v in fitted.durations.values())
    stages, limit = fitted.durations_of(fitted.workday_templates[0].klass)[0]
    day = fitted.calendar.day_seconds
    assert stages == (3600, 3600, 7200, day, 7200) and limit == 3 * day
    # Grid A's unit has its grid worker; the street's command centre its street account.
    grid, street = fitted.units["R:" + GRID_A], fitted.units["R:" + STREET]
    assert (grid.staff, grid.staff_known, street.staff) == (1, True, 1)
    assert grid.cases_per_person >= 1
    assert fitted.rework_rate and all(rate == 0 for rate in fitted.rework_rate.values())


def test_backtest_json_has_the_figures_and_tracks_an_on_time_history(history):
    out = StringIO()
    call_command("simulate", "--region", STREET, "--backtest", "--weeks", "8", "--seed", "4", "--json", stdout=out)
    result = json.loads(out.getvalue())
    figures = result["backtest"]
    assert set(figures["on_time_rate"]) >= {"predicted", "actual"}
    assert figures["on_time_rate"]["actual"] == 1.0 and figures["on_time_rate"]["predicted"] >= 0.95
    assert len(figures["weekly_cases"]["predicted"]) == len(figures["weekly_cases"]["actual"]) == 8
    assert 0 <= figures["weekly_cases_mape"] < 0.5
    assert len(figures["backlog"]["predicted"]) == len(figures["backlog"]["actual"]) == 8
    assert result["region"] == {"code": STREET, "name": "云枫街道"}


def test_a_history_where_everything_is_late_predicts_a_low_on_time_rate(tree, users, now):
    make_history(tree.grid_a, late=True, now=now)
    figures = simulation.backtest(STREET, weeks=8, seed=1, now=now)["backtest"]
    assert figures["on_time_rate"]["actual"] == 0.0
    assert figures["on_time_rate"]["predicted"] <= 0.05


def test_the_same_seed_gives_the_same_figures(history, now):
    first = simulation.forecast(STREET, weeks=6, seed=7, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": 1}]})
    again = simulation.forecast(STREET, weeks=6, seed=7, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": 1}]})
    assert first == again
    assert simulation.backtest(STREET, weeks=6, seed=3, now=now) == simulation.backtest(STREET, weeks=6, seed=3, now=now)
    other = simulation.forecast(STREET, weeks=6, seed=8, now=now)
    assert other["today"]["weekly_cases"] != first["today"]["weekly_cases"]


def test_adding_staff_never_lowers_the_on_time_rate_and_fewer_hands_build_a_backlog(tree, users, make_user, now):
    make_history(tree.grid_a, per_day=4, now=now)
    make_user("worker_a2", "grid_worker", tree.grid_a)  # two people in grid A: one may go
    more = simulation.forecast(STREET, weeks=8, seed=2, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": 3}]})
    assert more["scenario"]["on_time_rate"] >= more["today"]["on_time_rate"]
    fewer = simulation.forecast(STREET, weeks=8, seed=2, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": -1}]})
    assert fewer["scenario"]["backlog"][-1] >= fewer["today"]["backlog"][-1]
    assert fewer["scenario"]["on_time_rate"] <= fewer["today"]["on_time_rate"]
    unit = next(row for row in fewer["scenario"]["workload"] if row["unit"] == GRID_A)
    assert unit["staff"] == 1


def test_a_surge_adds_cases_and_a_tighter_limit_lowers_the_on_time_rate(history, now):
    first = timezone.localdate(now)
    surge = {"surges": [{"from": first.isoformat(), "to": (first + timezone.timedelta(days=13)).isoformat(), "factor": 3}]}
    result = simulation.forecast(STREET, weeks=4, seed=5, now=now, scenario_data=surge)
    assert sum(result["scenario"]["weekly_cases"][:2]) > 2 * sum(result["today"]["weekly_cases"][:2])
    assert result["scenario"]["weekly_cases"][3] == result["today"]["weekly_cases"][3]
    tight = simulation.forecast(STREET, weeks=4, seed=5, now=now, scenario_data={"stage_limits": [{"stage": "handle", "limit": "2h"}]})
    assert tight["scenario"]["on_time_rate"] < tight["today"]["on_time_rate"]


def test_merging_grids_moves_their_cases_and_staff_to_the_new_grid(history, now):
    scenario = {"grids": {GRID_A: "500154003001009"}}
    result = simulation.forecast(STREET, weeks=4, seed=5, now=now, scenario_data=scenario)
    units = {row["unit"]: row for row in result["scenario"]["workload"]}
    assert GRID_A not in units and units["500154003001009"]["staff"] == 1 and units["500154003001009"]["cases"] > 0
    assert units["500154003001009"]["label"] == "新网格 500154003001009"


def test_removing_every_handler_of_a_stage_is_refused_by_name(history, now):
    with pytest.raises(simulation.SimulationError, match="永先社区第1网格的全部办理人员，签收、处置环节将无人办理"):
        simulation.forecast(STREET, weeks=4, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": -1}]})
    with pytest.raises(simulation.SimulationError, match="云枫街道指挥中心的全部办理人员，受理立案、派遣、核查结案环节将无人办理"):
        simulation.forecast(STREET, weeks=4, now=now, scenario_data={"staff": [{"unit": STREET, "delta": -1}]})
    with pytest.raises(simulation.SimulationError, match="现有 1 人，不能减少 2 人"):
        simulation.forecast(STREET, weeks=4, now=now, scenario_data={"staff": [{"unit": GRID_A, "delta": -2}]})


@pytest.mark.parametrize(("arguments", "message"), [
    (["--region", "999999", "--backtest"], "没有编码为 999999 的区域"),
    (["--region", GRID_A, "--backtest"], "推演以街道或区县为单位"),
    (["--region", STREET, "--backtest", "--weeks", "0"], "推演周数应为 1 到 52 之间的整数"),
    (["--region", STREET, "--weeks", "53"], "推演周数应为 1 到 52 之间的整数"),
    (["--region", "500154001000", "--backtest"], "历史太少"),
])  # fmt: skip
def test_bad_command_input_is_refused_in_chinese(history, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", *arguments, stdout=StringIO())


@pytest.mark.parametrize(("scenario", "message"), [
    ({"staff": [{"unit": "500154003001777", "delta": 1}]}, "人员调整第 1 项：云枫街道没有编码为“500154003001777”的办理单位"),
    ({"surges": [{"from": "2027-01-01", "to": "2027-01-09", "factor": 2, "matters": ["X9999"]}]}, "突发增量第 1 项：云枫街道的历史中没有编码为“X9999”的事项"),
    ({"stage_limits": [{"stage": "handle", "matter": "X9999", "limit": "2d"}]}, "没有编码为“X9999”的事项"),
    ({"stage_limits": [{"stage": "cook", "limit": "2d"}]}, "没有“cook”这个环节"),
    ({"stage_limits": [{"stage": "handle", "limit": "soon"}]}, "时限“soon”应写成数字加单位"),
    ({"grids": {"500154009999999": "500154003001009"}}, "网格调整：云枫街道没有编码为“500154009999999”的网格"),
    ({"surges": [{"from": "2027-01-09", "to": "2027-01-01", "factor": 2}]}, "结束日期早于开始日期"),
    ({"budget": 3}, "无法识别的项：budget"),
])  # fmt: skip
def test_bad_scenarios_are_refused_naming_the_item(history, tmp_path, scenario, message):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--region", STREET, "--weeks", "4", "--scenario", str(path), stdout=StringIO())


def test_the_forward_run_prints_today_and_the_scenario(history, tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"name": "加一人", "staff": [{"unit": GRID_A, "delta": 1}]}, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("simulate", "--region", STREET, "--weeks", "3", "--scenario", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    for side in ("today", "scenario"):
        assert set(result[side]) == {"on_time_rate", "weekly_cases", "backlog", "workload"} and len(result[side]["backlog"]) == 3
    assert result["scenario_name"] == "加一人"
