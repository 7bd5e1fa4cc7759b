"""The screen's figures equal yiwang.cases.indicators over the same hand-made cases: KPI tiles,
map layer, rankings and trend, from the rollups and (with a matter filter) from the case table."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from yiwang.cases.indicators import indicators
from yiwang.cases.models import Case
from yiwang.command import figures, layers
from yiwang.command.figures import Period

pytestmark = pytest.mark.django_db


def _aware(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _under(region):
    qs = Case.objects.all()
    if region is None:
        return qs
    return qs.filter(micro_grid=region) if region.level == "micro_grid" else qs.filter(region__path__startswith=region.path)


def _expected_tiles(qs, period: Period, as_of) -> dict:
    today = timezone.localdate(as_of)
    in_period = indicators(qs, as_of=as_of, start=_aware(period.start), end=_aware(period.end))
    now = indicators(qs, as_of=as_of)
    return {
        "today_reported": indicators(qs, as_of=as_of, start=_aware(today), end=_aware(today + timedelta(days=1))).cases,
        "open_now": now.open, "overdue_now": now.open_overdue,
        "period_cases": in_period.cases, "period_closed_on_time": in_period.closed_on_time, "period_judged": in_period.judged,
        "period_on_time_rate": in_period.on_time_rate, "period_satisfaction_rate": in_period.satisfaction_rate,
        "period_rated": in_period.rated, "period_satisfied": in_period.satisfied + in_period.basic, "period_open": in_period.open,
        "period_open_overdue": in_period.open_overdue, "period_closed": in_period.closed,
    }


def _pick(tiles: dict, expected: dict) -> dict:
    return {k: tiles[k] for k in expected}


@pytest.mark.parametrize("days", [7, 30, 365])
@pytest.mark.parametrize("where", ["district", "street", "community", "grid_a", "micro_a1", "grid_b", "other_street"])
def test_kpi_equals_indicators(tree, cases, where, days):
    as_of = timezone.now()
    place = getattr(tree, where)
    period = Period.last_days(days)
    got = figures.kpi(place, period=period, as_of=as_of)
    expected = _expected_tiles(_under(place), period, as_of)
    assert _pick(got["total"], expected) == expected
    for board, tiles in got["by_board"].items():
        want = _expected_tiles(_under(place).filter(board=board), period, as_of)
        assert _pick(tiles, want) == want, board
    if where == "street":
        assert expected["period_cases"] > 5 and expected["open_now"] > 0  # the fixture really exercises the numbers


@pytest.mark.parametrize("where", ["district", "street", "grid_a"])
def test_kpi_with_board_and_matter_filters(tree, cases, where):
    as_of = timezone.now()
    place = getattr(tree, where)
    period = Period.last_days(90)
    for matter in cases["matters"]:
        got = figures.kpi(place, period=period, as_of=as_of, matter=matter.pk)
        expected = _expected_tiles(_under(place).filter(matter=matter), period, as_of)
        assert _pick(got["total"], expected) == expected
        assert got["by_board"][matter.board]["period_cases"] == expected["period_cases"]
    board = cases["matters"][0].board
    got = figures.kpi(place, period=period, as_of=as_of, boards=[board])
    expected = _expected_tiles(_under(place).filter(board=board), period, as_of)
    assert _pick(got["total"], expected) == expected and list(got["by_board"]) == [board]


def _ind_props(ind) -> dict:
    return {"cases": ind.cases, "open": ind.open, "open_overdue": ind.open_overdue, "closed": ind.closed,
            "on_time_rate": ind.on_time_rate, "satisfaction_rate": ind.satisfaction_rate, "judged": ind.judged}


@pytest.mark.parametrize("with_matter", [False, True])
def test_map_layer_colours_grids_under_a_street_and_units_under_a_district(tree, cases, with_matter):
    as_of = timezone.now()
    period = Period.last_days(30)
    matter = cases["matters"][0] if with_matter else None
    base = Case.objects.filter(matter=matter) if matter else Case.objects.all()
    start, end = _aware(period.start), _aware(period.end)
    for place, units in ((tree.street, [tree.grid_a, tree.grid_b]), (tree.community, [tree.grid_a, tree.grid_b]),
                         (tree.district, [tree.other_street, tree.street]), (tree.grid_a, [tree.micro_a1, tree.micro_a2]),
                         (tree.micro_a1, [tree.micro_a1])):
        layer = figures.map_layer(place, period=period, indicator="cases", as_of=as_of, matter=matter.pk if matter else None)
        assert [f["properties"]["code"] for f in layer["features"]] == sorted(u.code for u in units) or \
            sorted(f["properties"]["code"] for f in layer["features"]) == sorted(u.code for u in units)
        by_code = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
        for unit in units:
            qs = base.filter(micro_grid=unit) if unit.level == "micro_grid" else base.filter(region__path__startswith=unit.path)
            want = _ind_props(indicators(qs, as_of=as_of, start=start, end=end))
            assert {k: by_code[unit.code][k] for k in want} == want, (place.name, unit.name)
            assert by_code[unit.code]["value"] == want["cases"]
            assert all(f["geometry"]["type"] == "Polygon" for f in layer["features"])


@pytest.mark.parametrize("with_matter", [False, True])
def test_rankings_equal_indicators(tree, cases, command_department, with_matter):
    as_of = timezone.now()
    period = Period.last_days(90)
    matter = cases["matters"][1] if with_matter else None
    base = Case.objects.filter(matter=matter) if matter else Case.objects.all()
    start, end = _aware(period.start), _aware(period.end)
    kwargs = {"period": period, "as_of": as_of, "matter": matter.pk if matter else None}

    grids = figures.ranking(tree.street, by="grid", order="cases", **kwargs)
    assert {r["code"] for r in grids} == {tree.grid_a.code, tree.grid_b.code}
    for row in grids:
        want = indicators(base.filter(region__code=row["code"]), as_of=as_of, start=start, end=end)
        assert (row["cases"], row["on_time_rate"], row["open_overdue"]) == (want.cases, want.on_time_rate, want.open_overdue)
    assert [r["cases"] for r in grids] == sorted((r["cases"] for r in grids), reverse=True)

    streets = figures.ranking(tree.district, by="region", order="on_time_rate", **kwargs)
    assert {r["code"] for r in streets} == {tree.street.code, tree.other_street.code}
    for row in streets:
        want = indicators(base.filter(region__path__startswith=f"{tree.district.path}{row['code']}/"), as_of=as_of, start=start, end=end)
        assert (row["cases"], row["on_time_rate"]) == (want.cases, want.on_time_rate)

    departments = figures.ranking(tree.street, by="department", **kwargs)
    want = indicators(base.filter(region__path__startswith=tree.street.path, handling_department=command_department), as_of=as_of, start=start, end=end)
    if want.cases:
        assert [(r["label"], r["cases"], r["satisfaction_rate"]) for r in departments] == [(command_department.name, want.cases, want.satisfaction_rate)]
    else:
        assert departments == []
    with pytest.raises(ValueError):
        figures.ranking(tree.district, by="grid", **kwargs)


@pytest.mark.parametrize("with_matter", [False, True])
def test_trend_equals_indicators_day_by_day(tree, cases, with_matter):
    as_of = timezone.now()
    period = Period.last_days(30)
    matter = cases["matters"][0] if with_matter else None
    base = _under(tree.street).filter(matter=matter) if matter else _under(tree.street)
    rows = figures.trend(tree.street, period=period, as_of=as_of, matter=matter.pk if matter else None)
    assert len(rows) == 30 and rows[-1]["day"] == timezone.localdate().isoformat()
    total = 0
    for row in rows:
        day = datetime.fromisoformat(row["day"]).date()
        want = indicators(base, as_of=as_of, start=_aware(day), end=_aware(day + timedelta(days=1)))
        assert (row["cases"], row["closed"], row["open_overdue"]) == (want.cases, want.closed, want.open_overdue), row["day"]
        total += row["cases"]
    assert total == indicators(base, as_of=as_of, start=_aware(period.start), end=_aware(period.end)).cases


def test_map_cases_most_urgent_first_with_a_limit(tree, cases, users):
    open_cases = Case.objects.open().filter(region__path__startswith=tree.street.path)
    body = layers.map_cases(users["street"], tree.street, limit=5)
    assert body["total"] == open_cases.count() > 5 and body["more"] and body["shown"] == 5
    overdue_first = [Case.objects.get(number=i["number"]).step_overdue for i in body["items"]]
    assert overdue_first == sorted(overdue_first, reverse=True)
    everything = layers.map_cases(users["street"], tree.street, limit=1000)
    assert not everything["more"] and everything["shown"] == open_cases.count()
    # Cases without a position are drawn at their grid's centre, and say so.
    no_position = [i for i in everything["items"] if i["approximate"]]
    assert no_position and all(108.30 <= i["lon"] <= 108.32 for i in no_position)
    assert {i["light"] for i in everything["items"]} <= {"green", "yellow", "red", "paused", "none"}


@pytest.mark.django_db
def test_postgresql_connections_plan_no_parallel_workers():
    """Parallel workers took longer to start than the screen's rollup reads take to run."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.django_db
def test_postgresql_prepares_the_rollup_reads_and_answers_as_unprepared(tree, cases, monkeypatch):
    """The screen's reads are prepared once per connection and then only executed; the answers are
    the same as through Django's own (unprepared) cursor."""
    from django.db import connection

    from yiwang.core import sql

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    street, as_of = tree.street, timezone.now()
    month = Period.last_days(30)
    prepared = [figures.ranking(street, period=month, by="grid", as_of=as_of) for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
    assert any("cases_caserollup" in s for s in statements) and any("cases_opencaserollup" in s for s in statements)
    real = sql.fetch
    monkeypatch.setattr(sql, "fetch", lambda query, params, *, prepare=True: real(query, params, prepare=False))
    monkeypatch.setattr("yiwang.cases.rollups.fetch", sql.fetch)
    monkeypatch.setattr("yiwang.command.places.fetch", sql.fetch)
    assert figures.ranking(street, period=month, by="grid", as_of=as_of) == prepared[0] == prepared[1]
