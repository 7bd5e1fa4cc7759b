"""`yiwang simulate --region CODE --backtest [--weeks 13] [--seed N] [--json]`: fit on the history before
the last weeks, replay them and set the prediction beside what happened.
`yiwang simulate --region CODE --weeks N [--scenario FILE.json] [--json]`: run from today, as things are
and under the scenario. See docs/simulator.md."""

from __future__ import annotations

import json as json_module
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.simulator import simulation


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class Command(BaseCommand):
    help = "Simulate a street or district's cases (back-test, or today against a what-if scenario)."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="code of a street or district")
        parser.add_argument("--backtest", action="store_true", help="replay the last weeks of the history")
        parser.add_argument("--weeks", type=int, default=13, help="weeks to replay or to run forward (1-52, default 13)")
        parser.add_argument("--scenario", help="a what-if scenario as a JSON file")
        parser.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same figures)")
        parser.add_argument("--runs", type=int, default=simulation.REPLICATIONS, help="replications averaged (1-50)")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, region, backtest, weeks, scenario, seed, runs, json: bool, **options):
        if not 1 <= runs <= 50:
            raise CommandError("重复次数 --runs 应在 1 到 50 之间")
        if seed < 0:
            raise CommandError("随机种子 --seed 应为非负整数")
        scenario_data = None
        if scenario:
            if backtest:
                raise CommandError("回测（--backtest）不使用情景文件（--scenario）")
            try:
                scenario_data = _load_json(Path(scenario))
            except (OSError, ValueError) as exc:
                raise CommandError(f"情景文件 {scenario} 无法读取或不是 JSON：{exc}") from None
        try:
            if backtest:
                result = simulation.backtest(region, weeks=weeks, seed=seed, runs=runs)
            else:
                result = simulation.forecast(region, weeks=weeks, scenario_data=scenario_data, seed=seed, runs=runs)
        except simulation.SimulationError as exc:
            raise CommandError(str(exc)) from None
        if json:
            self.stdout.write(_dump(result))
        elif backtest:
            figures = result["backtest"]
            self.stdout.write(f"{result['region']['name']}：回测最近 {weeks} 周（拟合至 {result['fitted_until'][:10]}）")
            self.stdout.write(f"按时办结率：预测 {_rate(figures['on_time_rate']['predicted'])}，实际 {_rate(figures['on_time_rate']['actual'])}")
            self.stdout.write(f"每周事件量 MAPE：{_rate(figures['weekly_cases_mape'])}；周末在办 MAPE：{_rate(figures['backlog']['mape'])}")
        else:
            self.stdout.write(f"{result['region']['name']}：自 {result['from'][:10]} 起推演 {weeks} 周")
            self.stdout.write(f"按时办结率：现状 {_rate(result['today']['on_time_rate'])}，情景 {_rate(result['scenario']['on_time_rate'])}")
            self.stdout.write(f"期末在办：现状 {result['today']['backlog'][-1]}，情景 {result['scenario']['backlog'][-1]}")


def _load_json(path: Path):
    return json_module.loads(path.read_text(encoding="utf-8"))


def _dump(result) -> str:
    return json_module.dumps(result, ensure_ascii=False, indent=2)
