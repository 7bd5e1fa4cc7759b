"""分析研判 reads over cases built in the table: every number checked against the cases behind it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.analysis import selectors as sel
from yiwang.analysis import stats
from yiwang.cases.models import Case, Status

from .conftest import AS_OF, at

pytestmark = pytest.mark.django_db

SINCE7 = AS_OF - timedelta(days=6)  # 2026-03-14


@pytest.fixture
def hot(tree, make_case, other_grid):
    """Grid A has matter S0001 every other week for 26 weeks, then 5 in the last 7 days (a hot spot);
    grid B has S0001 once a week all along (usual); grid A has 2 of S0002, new (too few to flag);
    a grid of the other street has 6 new S0001 cases (only the district sees it)."""
    specs = [(SINCE7 - timedelta(days=14 * k), {}) for k in range(1, 14)]
    specs += [(SINCE7 + timedelta(days=d), {}) for d in (1, 2, 3, 4, 5)]
    specs += [(SINCE7 + timedelta(days=2), {"status": Status.MERGED})]  # a merged duplicate does not count
    specs += [(AS_OF - timedelta(days=7 * k), {"region": tree.grid_b}) for k in range(27)]
    specs += [(SINCE7 + timedelta(days=d), {"code": "S0002"}) for d in (0, 6)]
    specs += [(SINCE7 + timedelta(days=d % 7), {"region": other_grid}) for d in range(6)]
    make_case.bulk(specs)
    return tree


def test_hot_spot_of_the_7_day_window_with_its_numbers(hot, users):
    from yiwang.matters.models import MatterType

    scope = sel.scope_for(users["street"])
    window = sel.hotspots(scope.cases, as_of=AS_OF, days=7)
    assert (window.since, window.until, window.baseline_since, window.baseline_days) == (SINCE7, AS_OF, date(2025, 9, 13), 182)
    assert window.tested == 3  # (A, S0001), (B, S0001), (A, S0002): the other street's grid is not in a street's family
    [spot] = window.hotspots
    s1 = MatterType.objects.get(kind="community", code="S0001")
    assert (spot.grid, spot.matter, spot.observed, spot.baseline_cases) == (hot.grid_a, s1, 5, 13)
    assert spot.expected == pytest.approx((13 + 1) / 182 * 7)
    assert spot.ratio == pytest.approx(5 / ((13 + 1) / 182 * 7))
    p_a = stats.poisson_upper_tail(5, 14 / 26)
    p_b = stats.poisson_upper_tail(1, 27 / 26)
    p_new = stats.poisson_upper_tail(2, 1 / 26)
    assert spot.p == pytest.approx(p_a, rel=1e-12)
    assert spot.q == pytest.approx(stats.benjamini_hochberg([p_a, p_b, p_new])[0], rel=1e-12)
    assert spot.link == f"/cases/?region={hot.grid_a.code}&matter={s1.pk}&since=2026-03-14&until=2026-03-20&state=cases"
    # The link's filters select exactly the counted cases (void ones aside).
    linked = Case.objects.filter(region=hot.grid_a, matter=s1, reported_at__gte=at(SINCE7, 0), reported_at__lt=at(AS_OF + timedelta(days=1), 0))
    assert linked.exclude(status=Status.MERGED).count() == 5


def test_district_sees_both_streets_and_the_28_day_window(hot, users, other_grid):
    scope = sel.scope_for(users["district"])
    flagged7 = {(h.grid.code, h.observed) for h in sel.hotspots(scope.cases, as_of=AS_OF, days=7).hotspots}
    assert flagged7 == {(hot.grid_a.code, 5), (other_grid.code, 6)}
    window = sel.hotspots(sel.scope_for(users["street"]).cases, as_of=AS_OF, days=28)
    # The 28-day baseline would start 2025-08-23, before the first case: it starts at the first case.
    assert (window.since, window.baseline_since, window.baseline_days) == (date(2026, 2, 21), date(2025, 9, 13), 161)
    [spot] = window.hotspots
    assert (spot.grid, spot.observed, spot.baseline_cases) == (hot.grid_a, 6, 12)
    assert spot.expected == pytest.approx(13 / 161 * 28)


def test_a_usual_count_is_not_a_hot_spot(tree, make_case, users):
    # Five a week, every week: five in the last week is what the grid always has.
    make_case.bulk([(AS_OF - timedelta(days=d), {}) for d in range(0, 7 * 27) if d % 7 < 5])
    window = sel.hotspots(sel.scope_for(users["street"]).cases, as_of=AS_OF, days=7)
    assert window.tested == 1 and window.hotspots == []


def test_recurring_addresses_fold_spellings(tree, make_case, users):
    make_case(AS_OF, address="永先路12号3栋")
    make_case(AS_OF - timedelta(days=3), address="永先路１２号 3栋", code="S0002")
    make_case(AS_OF - timedelta(days=5), address="永先路12号，3栋")
    make_case(AS_OF - timedelta(days=40), address="永先路12号3栋")  # before the period
    make_case(AS_OF - timedelta(days=1), address="盛山路8号")
    make_case(AS_OF - timedelta(days=2), address="盛山路8号")
    make_case(AS_OF - timedelta(days=2), address="盛山路8号", status=Status.REJECTED)  # void: not counted
    rows = sel.recurring_addresses(sel.scope_for(users["street"]).cases, since=AS_OF - timedelta(days=27), until=AS_OF, min_cases=3)
    assert [(r.count, r.matters, r.first.date(), r.last.date()) for r in rows] == [(3, ["邻里纠纷", "物业矛盾"], date(2026, 3, 15), AS_OF)]
    assert normalised(rows[0].label) == "永先路12号3栋" and len(rows[0].numbers) == 3
    two = sel.recurring_addresses(sel.scope_for(users["street"]).cases, since=AS_OF - timedelta(days=27), until=AS_OF, min_cases=2)
    assert [r.count for r in two] == [3, 2]


def normalised(text):
    from yiwang.analysis.clusters import normalise_address

    return normalise_address(text)


def test_repeat_callers_count_every_call_and_never_show_the_phone(tree, make_case, users, client):
    phone = "13800138000"
    calls = [make_case(AS_OF - timedelta(days=d), phone=phone, code=code) for d, code in ((1, "S0001"), (4, "S0002"), (9, "S0001"))]
    calls.append(make_case(AS_OF - timedelta(days=2), phone=phone, status=Status.MERGED))  # merged: still a call
    make_case(AS_OF - timedelta(days=2), phone="13900139000")
    make_case(AS_OF - timedelta(days=3), phone="13900139000")
    rows = sel.repeat_callers(sel.scope_for(users["street"]).cases, since=AS_OF - timedelta(days=27), until=AS_OF, min_cases=3)
    assert [(r.label, r.count, r.matters) for r in rows] == [("来电人1", 4, ["邻里纠纷", "物业矛盾"])]
    assert sorted(rows[0].numbers) == sorted(c.number for c in calls)
    assert (rows[0].first, rows[0].last) == (at(AS_OF - timedelta(days=9)), at(AS_OF - timedelta(days=1)))
    client.force_login(users["street"])
    body = client.get("/api/analysis/callers", {"until": "2026-03-20"}).content.decode()
    assert '"count": 4' in body or '"count":4' in body
    assert phone not in body and calls[0].phone_digest not in body
    page = client.get("/analysis/", {"tab": "callers", "as_of": "2026-03-20"}).content.decode()
    assert "来电人1" in page and calls[0].number in page and phone not in page and calls[0].phone_digest not in page


def test_duplicate_clusters_are_unmerged_chains_of_the_same_matter(tree, make_case, users):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    t = datetime(2026, 3, 19, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    lon, lat = 108.302, 31.105
    m = 1 / 111_200  # a metre of latitude in degrees
    chain = [make_case(t, lon=lon, lat=lat), make_case(t + timedelta(hours=5), lon=lon, lat=lat + 70 * m),
             make_case(t + timedelta(hours=8), lon=lon, lat=lat + 140 * m, status=Status.CLOSED)]
    make_case(t + timedelta(hours=1), lon=lon, lat=lat + 10 * m, status=Status.MERGED)  # already merged
    make_case(t + timedelta(hours=1), lon=lon, lat=lat + 10 * m, code="S0002")  # another matter
    make_case(t - timedelta(days=30), lon=lon, lat=lat, status=Status.CLOSED)  # old and closed: not a candidate
    pair = [make_case(t, lon=lon + 0.005, lat=lat), make_case(t + timedelta(hours=70), lon=lon + 0.005, lat=lat + 20 * m)]
    clusters = sel.duplicate_clusters(sel.scope_for(users["street"]).cases, since=AS_OF - timedelta(days=6), until=AS_OF)
    assert [c.numbers for c in clusters] == [[c.number for c in chain], [c.number for c in pair]]
    assert [c.open for c in clusters] == [2, 2]
    assert sel.duplicate_clusters(sel.scope_for(users["street"]).cases, since=AS_OF - timedelta(days=6), until=AS_OF,
                                  radius_m=50)[0].numbers == [c.number for c in pair]


def test_workload_per_worker_and_department(tree, make_case, users):
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="KZ-SW", name="开州区水务局", kind="water", region=tree.district)
    worker = users["worker_a"]
    now = at(AS_OF, 15)
    since = AS_OF - timedelta(days=27)
    make_case(AS_OF - timedelta(days=3), handler=worker, reported_by=worker, status=Status.SIGNED)
    make_case(AS_OF - timedelta(days=5), handler=worker, reported_by=worker, status=Status.CLOSED,
              closed_at=at(AS_OF - timedelta(days=1)), close_due_at=at(AS_OF), handled_at=at(AS_OF - timedelta(days=2)))
    make_case(AS_OF - timedelta(days=60), handler=worker, status=Status.CLOSED, closed_at=at(AS_OF - timedelta(days=10)))  # closed in period, reported before
    make_case(AS_OF - timedelta(days=50), handler=worker, status=Status.DISPATCHED)  # open now, reported before the period
    make_case(AS_OF - timedelta(days=2), handling_department=dept, status=Status.DISPATCHED, close_due_at=at(AS_OF - timedelta(days=1)))  # overdue
    make_case(AS_OF - timedelta(days=2), handling_department=dept, status=Status.DISPATCHED, close_due_at=at(AS_OF + timedelta(days=3)))
    make_case(AS_OF - timedelta(days=40), handling_department=dept, status=Status.VERIFIED, handled_at=at(AS_OF - timedelta(days=4)))
    scope = sel.scope_for(users["street"])
    workers = {w.name: w for w in sel.worker_load(scope, since=since, until=AS_OF, now=now)}
    w = workers["worker_a"]
    assert (w.handled, w.reported, w.open_now, w.closed, w.on_time_rate) == (2, 2, 2, 2, 1.0)
    assert w.links["open_now"] == f"/cases/?region={tree.street.code}&handler={worker.pk}&state=open"
    assert (workers["worker_b"].handled, workers["worker_b"].open_now) == (0, 0)  # grid workers of the street are listed with zeros
    [d] = sel.department_load(scope, since=since, until=AS_OF, now=now)
    assert (d.name, d.received, d.handled, d.open_now, d.overdue_now) == ("开州区水务局", 2, 1, 3, 1)
    assert d.links["overdue_now"] == f"/cases/?region={tree.street.code}&department={dept.pk}&state=overdue"


def test_forecast_per_street_with_its_error(tree, make_case, users, other_grid):
    # 云枫: 3 cases every 7-day block for 10 blocks; 汉丰: 1, 2, 1, 2, ... for 10 blocks.
    specs = [(AS_OF - timedelta(days=7 * w + 6), {}) for w in range(10) for _ in range(3)]  # the oldest on its block's first day
    specs += [(AS_OF - timedelta(days=7 * w + 2), {"region": other_grid}) for w in range(10) for _ in range(1 + (w % 2))]
    make_case.bulk(specs)
    rows = {f.region.code: f for f in sel.forecasts(sel.scope_for(users["district"]), as_of=AS_OF)}
    yunfeng, hanfeng = rows[tree.street.code], rows[tree.other_street.code]
    assert yunfeng.weeks == [3] * 10 and yunfeng.forecast == 3 and yunfeng.backtest.mae == 0 and not yunfeng.seasonal
    assert hanfeng.weeks == [2, 1] * 5 and hanfeng.forecast == 1.5
    # Held back: weeks 3..10, each forecast from the weeks before it (the 4-week mean is 1.5 once there are 4).
    assert [f for _, f in hanfeng.backtest.pairs] == pytest.approx([1.5, 5 / 3] + [1.5] * 6)
    assert hanfeng.backtest.mae == pytest.approx((7 * 0.5 + 2 / 3) / 8)
    # A street user forecasts its own street only.
    [own] = sel.forecasts(sel.scope_for(users["street"]), as_of=AS_OF)
    assert own.region == tree.street and own.weeks == [3] * 10


def test_forecast_uses_last_year_when_there_is_a_year(tree, make_case, users):
    # 60 blocks of 2 cases, except the block a year before next week, which had 10.
    specs = []
    for w in range(60):
        n = 10 if w == 51 else 2  # block w ends at AS_OF - 7w; next week's last-year block is w = 51
        specs += [(AS_OF - timedelta(days=7 * w + 6), {})] * n
    make_case.bulk(specs)
    [f] = sel.forecasts(sel.scope_for(users["street"]), as_of=AS_OF)
    assert len(f.weeks) == 60 and f.seasonal
    assert f.forecast == pytest.approx(0.5 * 10 + 0.5 * 2)
