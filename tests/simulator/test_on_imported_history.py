"""The simulator's back-test and the grid advisor on history brought in by `import_cases` (issue 21):
a 12345 hotline export with coordinates, thirty weeks of work orders across 永先社区's buildings,
imported through the command, then `simulate --backtest` and `advise_grids` read it back."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.advisor.fixtures import block  # noqa: F401 - the buildings and households the advisor divides

pytestmark = pytest.mark.django_db

HEADER = ["工单编号", "来电时间", "诉求内容", "事件地址", "承办单位", "办理时限", "办结时间", "办理结果", "满意度", "经度", "纬度"]
WEEKS = 30
BACKTEST_WEEKS = 4
# Buildings of the block fixture that draw the calls, and how many a day each draws on a working day:
# grid 001's eastern column is busy, grid 002 gets a little.
CALLERS = {"YX-21": 1, "YX-22": 1, "YX-23": 1, "YX-32": 1}


@dataclass(frozen=True)
class Order:
    number: str
    building: str
    called: datetime
    due: datetime
    closed: datetime | None


def _wall(moment: datetime) -> str:
    # The export's wall clock is Beijing time, as the preset reads it.
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def make_orders(buildings: dict, now: datetime) -> list[Order]:
    """Calls on working-day mornings and afternoons over the last thirty weeks (a few at weekends),
    each due in three days; one in five is closed late, the latest still open."""
    rng = random.Random(21)
    today = timezone.localdate(now)
    orders: list[Order] = []
    for offset in range(WEEKS * 7, 0, -1):
        day = today - timedelta(days=offset)
        for code, per_day in CALLERS.items():
            count = per_day if day.weekday() < 5 else rng.random() < 0.3
            for n in range(int(count)):
                called = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
                    hours=8 + rng.randrange(10), minutes=rng.randrange(60), seconds=rng.randrange(60))
                due = called + timedelta(days=3)
                late = rng.random() < 0.2
                closed = due + timedelta(hours=2 + rng.randrange(48)) if late else called + timedelta(hours=1 + rng.randrange(60))
                orders.append(Order(number=f"GD{day:%Y%m%d}{len(orders):06d}", building=code, called=called, due=due,
                                    closed=closed if closed <= now - timedelta(minutes=5) else None))
    return orders


def export_csv(orders: list[Order], buildings: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for order in orders:
        b = buildings[order.building]
        writer.writerow([order.number, _wall(order.called), f"{b.name}楼下垃圾堆放，请处理。", f"永先社区{b.name}", "云枫街道办事处",
                         _wall(order.due), _wall(order.closed) if order.closed else "", "已处理" if order.closed else "", "",
                         f"{b.lon + 0.0003:.6f}", f"{b.lat:.6f}"])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def imported(tree, block, tmp_path):  # noqa: F811 - block is the fixture imported above
    """The orders, written as a hotline export with coordinates and imported with the command."""
    from yiwang.cases.models import Case, Channel

    now = timezone.now()
    orders = make_orders(block.buildings, now)
    export = tmp_path / "hotline.csv"
    export.write_bytes(export_csv(orders, block.buildings))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"preset": "hotline12345", "lon": "经度", "lat": "纬度"}), encoding="utf-8")
    out = io.StringIO()
    call_command("import_cases", str(export), mapping=str(mapping), region=tree.grid_a.code, stdout=out, stderr=io.StringIO())
    assert f"已导入 {len(orders)}/{len(orders)} 行" in out.getvalue()
    assert Case.objects.filter(channel=Channel.IMPORT, external_source="12345").count() == len(orders)
    # Each point fell in the grid of the building it was called about.
    grid_of = {code: grid.pk for code, grid in block.grid_of.items()}
    placed = Counter(Case.objects.values_list("region_id", flat=True))
    assert placed == Counter(grid_of[o.building] for o in orders)
    return orders


def run(*args) -> dict:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_backtest_on_imported_history_reports_what_was_imported(tree, imported):
    from yiwang.simulator.fitting import local_midnight

    result = run("simulate", "--region", tree.street.code, "--backtest", "--weeks", str(BACKTEST_WEEKS))
    end = local_midnight(timezone.now())
    start = end - timedelta(weeks=BACKTEST_WEEKS)
    assert result["region"]["code"] == tree.street.code
    assert result["fitted_until"] == start.isoformat() and result["replayed_until"] == end.isoformat()
    # Fitted on every order before the cut (two years' window: the whole export).
    assert result["cases_fitted"] == sum(o.called < start for o in imported)
    figures = result["backtest"]

    # What happened: the orders called in each replayed week, and the on-time count as the
    # simulation judges it (closed by its 办理时限 and within the window; judged once closed or due).
    weekly = [sum(start + timedelta(weeks=w) <= o.called < start + timedelta(weeks=w + 1) for o in imported)
              for w in range(BACKTEST_WEEKS)]
    assert figures["weekly_cases"]["actual"] == weekly and all(weekly)
    window = [o for o in imported if start <= o.called < end]
    judged = [o for o in window if (o.closed is not None and o.closed <= end) or o.due < end]
    on_time = [o for o in judged if o.closed is not None and o.closed <= end and o.closed <= o.due]
    assert 0 < len(on_time) < len(judged)
    assert figures["on_time_rate"]["actual"] == round(len(on_time) / len(judged), 4)
    backlog = [sum(o.called < start + timedelta(weeks=w + 1) and (o.closed is None or o.closed > start + timedelta(weeks=w + 1))
                   for o in imported) for w in range(BACKTEST_WEEKS)]
    assert figures["backlog"]["actual"] == backlog

    # The prediction is a real one: arrivals near the imported rate, an on-time rate, finite errors.
    assert len(figures["weekly_cases"]["predicted"]) == BACKTEST_WEEKS
    assert figures["weekly_cases_mape"] is not None and figures["weekly_cases_mape"] < 0.5
    assert 0 <= figures["on_time_rate"]["predicted"] <= 1
    assert figures["on_time_rate"]["error"] == pytest.approx(abs(figures["on_time_rate"]["predicted"] - figures["on_time_rate"]["actual"]), abs=1e-4)
    assert figures["backlog"]["mape"] is not None
    # Each order is handled by 永先社区 (its matter is the community's to handle) and closed by the
    # street's command centre: both counted the orders closed in the window, though an export
    # records no handling step, and the community's handling time is its own, not the verifier's.
    closed_in_window = sum(o.closed is not None and start <= o.closed < end for o in imported)
    units = {row["key"]: row for row in figures["workload"]}
    community, street = units[f"R:{tree.community.code}"], units[f"R:{tree.street.code}"]
    assert community["actual_cases"] == street["actual_cases"] == closed_in_window > 0
    assert community["cases_error"] is not None and community["cases_error"] < 0.5
    assert community["utilisation"] > 0


def test_advisor_counts_the_imported_cases_in_its_workloads(tree, block, imported):  # noqa: F811
    result = run("advise_grids", tree.community.code, "--seconds", "10")
    grids = result["proposal"]
    assert sorted(b for g in grids for b in g["buildings"]) == sorted(block.buildings)
    assert all(g["connected"] and 300 <= g["households"] <= 500 for g in grids)
    # Every imported order of the last year counts once, for the building it was called about.
    per_building = Counter(o.building for o in imported)
    for grid in grids:
        assert grid["workload"] == pytest.approx(sum(per_building[b] for b in grid["buildings"]))
    assert sum(g["workload"] for g in grids) == pytest.approx(len(imported))
    # Today grid 001 carries three of the four busy buildings: the proposal evens the work out.
    assert result["proposed_spread"] < result["current_spread"]
    assert result["moved"] > 0
