"""The demo history (yiwang.demo.history): valid cases written set-based, rollups equal to
`rollups.rebuild()`, deletion, the plan's districts cap, and the dashboard benchmark's measuring
function on a tiny data set."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from yiwang.cases import rollups
from yiwang.cases.models import OPEN_STATUSES, Case, CaseRollup, Channel, OpenCaseRollup, Status
from yiwang.demo import history
from yiwang.demo.history import EXTERNAL_SOURCE, build_history, delete_history

pytestmark = pytest.mark.django_db


def _rollup_rows() -> tuple[list, list]:
    counts = sorted(CaseRollup.objects.values_list("region_id", "grain", "period", "board", "department_key", *rollups.COUNTS))
    opened = sorted(OpenCaseRollup.objects.filter(open_cases__gt=0).values_list(
        "region_id", "board", "department_key", "reported_on", "due_on", "open_cases", "flagged"))
    return counts, opened


@pytest.fixture
def departments(tree):
    from yiwang.matters.models import Department

    return [Department.objects.create(code=f"T-{kind}", name=f"测试{kind}", kind=kind, region=tree.district)
            for kind in ("urban_management", "market", "emergency", "housing")]


def test_history_writes_valid_cases(tree, departments):
    now = timezone.now()
    summary = build_history(cases=4000, root=tree.district, years=1, seed=7, now=now)
    cases = Case.objects.filter(external_source=EXTERNAL_SOURCE)
    assert summary.cases == cases.count() == 4000
    assert set(cases.values_list("channel", flat=True)) == {Channel.IMPORT}

    statuses = Counter(cases.values_list("status", flat=True))
    assert set(statuses) <= set(Status.values)
    open_count = sum(n for s, n in statuses.items() if s in OPEN_STATUSES)
    assert summary.open == open_count
    # A working district closes nearly everything within its limit: open are the last days' cases.
    assert 0.003 * 4000 <= open_count <= 0.05 * 4000, statuses
    assert statuses[Status.RATED] > statuses[Status.CLOSED] > 0.15 * 4000
    assert 0.01 * 4000 < statuses[Status.REJECTED] < 0.06 * 4000
    assert statuses[Status.ON_HOLD] > 0 and cases.filter(status=Status.ON_HOLD, paused_at__isnull=True).count() == 0
    # Open cases are mostly within their limit: few, if any, overdue now.
    assert cases.open().filter(close_due_at__lt=now).exclude(status=Status.ON_HOLD).count() <= 0.1 * open_count

    # Foreign keys and their agreement: grid under the root, micro-grid in its grid, version of its matter.
    grids = {tree.grid_a.pk, tree.grid_b.pk}
    assert set(cases.values_list("region_id", flat=True)) == grids
    for grid_id, micro_id in cases.exclude(micro_grid=None).values_list("region_id", "micro_grid__parent_id").distinct():
        assert micro_id == grid_id
    assert cases.exclude(matter_version__matter_id=models_F("matter_id")).count() == 0
    assert cases.exclude(board=models_F("matter__board")).count() == 0
    handling = set(cases.values_list("handling_region_id", flat=True))
    assert handling <= grids | {tree.community.pk, tree.street.pk}
    assert cases.exclude(handling_department=None).filter(handling_department__in=departments).exists()

    # Times: reported within the year before now, closed after reported, ratings only on rated cases.
    assert not cases.filter(reported_at__gt=now).exists()
    assert not cases.filter(reported_at__lt=now - timedelta(days=367)).exists()
    assert not cases.filter(closed_at__lt=models_F("reported_at")).exists()
    assert set(cases.filter(status=Status.RATED).values_list("rating", flat=True)) <= {"satisfied", "basic", "unsatisfied"}
    assert set(cases.exclude(status=Status.RATED).values_list("rating", flat=True)) == {""}
    late = cases.filter(status__in=[Status.CLOSED, Status.RATED], closed_at__gt=models_F("close_due_at")).count()
    assert 0.02 * 4000 < late < 0.2 * 4000
    # A case's number follows the intake's pattern: local report date and id.
    case = cases.order_by("?").first()
    assert case.number == f"{timezone.localtime(case.reported_at):%Y%m%d}{case.pk:06d}"
    assert case.lon is not None and tree.grid_a.min_lon <= case.lon <= tree.grid_b.max_lon


def models_F(name):
    from django.db.models import F

    return F(name)


def test_rollups_equal_rebuild_on_an_empty_and_on_a_filled_table(tree, departments, monkeypatch):
    build_history(cases=2500, root=tree.district, years=2, seed=1)
    built = _rollup_rows()
    assert built[0] and built[1]
    rollups.rebuild()
    assert _rollup_rows() == built

    # Again on top (the staged upsert), with the large-load path (indexes rebuilt, keys checked by set).
    indexes_before = _indexes()
    monkeypatch.setattr(history, "BIG_LOAD", 0)
    build_history(cases=1500, root=[tree.district], years=2, seed=2)
    added = _rollup_rows()
    rollups.rebuild()
    assert _rollup_rows() == added
    assert Case.objects.count() == 4000
    assert _indexes() == indexes_before  # the dropped indexes are back
    assert len(indexes_before) >= 10


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return {name for name, info in connection.introspection.get_constraints(cursor, Case._meta.db_table).items() if info["index"]}


def test_deleting_the_history_and_the_demo_removes_the_cases_and_their_counts(tree):
    from yiwang.demo.closed_loop import delete_closed_loop
    from yiwang.demo.generator import delete_rows

    build_history(cases=800, root=tree.district, years=1)
    assert delete_history(root=tree.district) == 800
    assert not Case.objects.exists() and not CaseRollup.objects.exists() and not OpenCaseRollup.objects.exists()

    build_history(cases=800, root=tree.district, years=1)
    delete_closed_loop(tree.district.path, delete_rows)  # what `yiwang demo --delete` runs for cases
    assert not Case.objects.exists() and not CaseRollup.objects.exists() and not OpenCaseRollup.objects.exists()


def test_history_needs_grids(db):
    with pytest.raises(ValueError, match="no grids"):
        build_history(cases=10, root=[])


def test_plan_caps_streets_per_district():
    from yiwang.demo.plan import build_plan
    from yiwang.regions.importing import default_china_data_dir

    plan = build_plan(seed=1, scale=90, persons_per_street=1, data_dir=default_china_data_dir(), streets_per_district=30)
    sizes = Counter(street.parent.code for street in plan.streets)
    assert len(plan.slots) == 90
    assert sizes == {"500154": 30, "509901": 30, "509902": 30, "509903": 7}
    default = build_plan(seed=1, scale=5, persons_per_street=1, data_dir=default_china_data_dir())
    assert len(default.districts) == 1 and len(default.slots) == 5


def test_dashboard_bench_measures_nine_metrics(tree, capsys):
    from bench import dashboard
    from bench.common import emit

    build_history(cases=1500, root=tree.district, years=1, seed=3)
    rows = dashboard.measure(connection.vendor, repeat=1)
    for row in rows:
        emit(row)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    vendor = connection.vendor
    expected = {f"{query}_ms@{place}_{vendor}" for query in ("kpi", "ranking", "map_layer") for place in ("street", "district", "city")}
    import json

    assert {json.loads(line)["metric"] for line in printed} == expected
    for row in rows:
        assert row["unit"] == "ms" and row["value"] > 0 and row["baseline_value"] > 0 and row["baseline"].startswith("DuckDB")
        assert row["ratio"] == pytest.approx(row["value"] / row["baseline_value"], rel=1e-2)


def test_numbers_stay_whole_past_a_million_ids(tree, monkeypatch):
    from yiwang.core import bulk

    start = 999_990
    monkeypatch.setattr(bulk, "reserve_ids", lambda model, count: range(start, start + count))
    monkeypatch.setattr(history, "_reserve_ids_fast", lambda count: range(start, start + count))
    build_history(cases=30, root=tree.district, years=1)
    for pk, number, reported_at in Case.objects.values_list("pk", "number", "reported_at"):
        assert number == f"{timezone.localtime(reported_at):%Y%m%d}{pk:06d}"
    assert Case.objects.filter(pk__gte=1_000_000).count() == 20
