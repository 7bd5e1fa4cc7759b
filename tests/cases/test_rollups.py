"""Rollups (yiwang.cases.rollups) agree with the indicators computed from the case rows.

Cases are made and changed at random (status, deadlines, pauses, ratings, grid, micro-grid,
department), each through Case.save; after every round the rollup reads must equal
`indicators()` over the same cases for every region, period and board asked, grouped or not.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.cases import rollups
from yiwang.cases.indicators import indicators
from yiwang.cases.models import Case, CaseRollup, Channel, Level, OpenCaseRollup, Rating, RollupDelta, Status

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 3, 20, 12, tzinfo=TZ)
COUNTED = ("cases", "voided", "closed", "closed_on_time", "closed_late", "closed_undated", "open", "open_overdue", "handled",
           "reworked", "extended", "overdue", "rated", "satisfied", "basic")  # fmt: skip


def _counts(ind) -> dict:
    return {name: getattr(ind, name) for name in COUNTED}


@pytest.fixture
def world(tree):
    from yiwang.matters.models import Department, MatterType
    from yiwang.matters.services import current_version

    matters = [MatterType.objects.get(kind="community", code=c) for c in ("S0001", "S0004")]
    matters += list(MatterType.objects.filter(kind="event").exclude(board=matters[0].board)[:1])
    department = Department.objects.create(code="KZ-T", name="测试局", kind="urban_management", region=tree.district)
    return {"tree": tree, "matters": [(m, current_version(m)) for m in matters], "department": department}


def _random_fields(rng: random.Random, world) -> dict:
    tree = world["tree"]
    grid, micro = rng.choice([(tree.grid_a, tree.micro_a1), (tree.grid_a, tree.micro_a2), (tree.grid_a, None), (tree.grid_b, tree.micro_b1)])
    status = rng.choice(list(Status))
    reported = AS_OF - timedelta(days=rng.uniform(0, 70), hours=rng.uniform(0, 24))
    due = reported + timedelta(hours=rng.choice([2, 30, 200, 24 * 20])) if rng.random() < 0.9 else None
    if due is not None and rng.random() < 0.2:
        due = AS_OF - timedelta(minutes=rng.uniform(1, 600))  # some due earlier today, some yesterday
    done = status in (Status.CLOSED, Status.RATED)
    closed_at = reported + timedelta(hours=rng.uniform(1, 400)) if done and rng.random() < 0.95 else None
    paused = None
    if status == Status.ON_HOLD or rng.random() < 0.1:
        paused = reported + timedelta(hours=rng.uniform(0, 300))
    return {
        "status": status, "region": grid, "micro_grid": micro, "reported_at": reported, "close_due_at": due, "closed_at": closed_at,
        "paused_at": paused, "handled_at": reported + timedelta(hours=1) if rng.random() < 0.6 else None,
        "rework_count": rng.choice([0, 0, 1, 2]), "extension_count": rng.choice([0, 0, 1]), "ever_overdue": rng.random() < 0.3,
        "rating": rng.choice(["", "", *Rating.values]) if done else "",
        "handling_department": world["department"] if rng.random() < 0.3 else None,
    }


def _make(rng, world) -> Case:
    matter, version = rng.choice(world["matters"])
    fields = _random_fields(rng, world)
    return Case.objects.create(channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board, tier="A",
                               level=Level.GRID, handling_region=fields["region"], **fields)


def _check(world, *, as_of=AS_OF):
    tree = world["tree"]
    today = as_of.astimezone(TZ).date()
    periods = [(None, None), (today - timedelta(days=29), today + timedelta(days=1)), (date(2026, 1, 20), date(2026, 3, 5)),
               (today - timedelta(days=364), today + timedelta(days=1)), (today - timedelta(days=40), today - timedelta(days=1)),
               (today.replace(day=2), today)]  # the last two end before today: month rows less days that hold cases
    boards = sorted({m.board for m, _ in world["matters"]})
    for region in (tree.district, tree.community, tree.grid_b, tree.micro_a1, tree.other_street):
        for start, end in periods:
            for board in (None, boards[0]):
                raw = Case.objects.filter(Q_region(region))
                if board:
                    raw = raw.filter(board=board)
                kwargs = {}
                if start is not None:
                    kwargs = {"start": datetime(start.year, start.month, start.day, tzinfo=TZ), "end": datetime(end.year, end.month, end.day, tzinfo=TZ)}
                expected = indicators(raw, as_of=as_of, **kwargs)
                got = rollups.counted(rollups.Filter(regions=(region.pk,), start=start, end=end, boards=(board,) if board else None),
                                      as_of=as_of)[None]
                assert _counts(got) == _counts(expected), (region.name, start, end, board)
    # Grouped reads add up to the same, group by group.
    start, end = today - timedelta(days=29), today + timedelta(days=1)
    by_region = rollups.counted(rollups.Filter(regions=(tree.grid_a.pk, tree.grid_b.pk), start=start, end=end), by="region", as_of=as_of)
    for grid in (tree.grid_a, tree.grid_b):
        expected = indicators(Case.objects.filter(region=grid), as_of=as_of, start=datetime(start.year, start.month, start.day, tzinfo=TZ),
                              end=datetime(end.year, end.month, end.day, tzinfo=TZ))
        assert _counts(by_region.get(grid.pk, rollups.Indicators())) == _counts(expected)
    by_board = rollups.counted(rollups.Filter(regions=(tree.district.pk,)), by="board", as_of=as_of)
    for board in boards:
        assert _counts(by_board.get(board, rollups.Indicators())) == _counts(indicators(Case.objects.filter(board=board), as_of=as_of))
    by_day = rollups.counted(rollups.Filter(regions=(tree.street.pk,), start=start, end=end), by="day", as_of=as_of)
    for offset in range((end - start).days):
        day = start + timedelta(days=offset)
        lo = datetime(day.year, day.month, day.day, tzinfo=TZ)
        expected = indicators(Case.objects.all(), as_of=as_of, start=lo, end=lo + timedelta(days=1))
        assert _counts(by_day.get(day, rollups.Indicators())) == _counts(expected), day
    by_department = rollups.counted(rollups.Filter(regions=(tree.district.pk,)), by="department", as_of=as_of)
    department = world["department"]
    for key, cases in ((department.pk, Case.objects.filter(handling_department=department)), (0, Case.objects.filter(handling_department=None))):
        assert _counts(by_department.get(key, rollups.Indicators())) == _counts(indicators(cases, as_of=as_of))
    micros = rollups.counted(rollups.Filter(regions=(tree.micro_a1.pk, tree.micro_a2.pk)), by="region", as_of=as_of)
    for micro in (tree.micro_a1, tree.micro_a2):
        assert _counts(micros.get(micro.pk, rollups.Indicators())) == _counts(indicators(Case.objects.filter(micro_grid=micro), as_of=as_of))
    now_open = rollups.open_now(rollups.Filter(regions=(tree.community.pk,)), as_of=as_of).get(None, (0, 0))
    whole = indicators(Case.objects.filter(region__path__startswith=tree.community.path), as_of=as_of)
    assert now_open == (whole.open, whole.open_overdue)


def Q_region(region):
    from django.db.models import Q

    if region.level == "micro_grid":
        return Q(micro_grid=region)
    return Q(region__path__startswith=region.path)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
@pytest.mark.django_db
def test_rollups_follow_every_save(world, seed):
    Case.objects.all().delete()
    CaseRollup.objects.all().delete()
    OpenCaseRollup.objects.all().delete()
    RollupDelta.objects.all().delete()
    rng = random.Random(seed)
    cases = [_make(rng, world) for _ in range(30)]
    # Nothing folded yet: the reads add the delta rows themselves.
    assert RollupDelta.objects.count() == 30
    _check(world)
    rollups.fold(limit=rng.randint(1, 30))
    _check(world)
    # Change cases at random, saving whole rows, some only a few fields, some reloaded first; the
    # worker's folds come in between at random, some of a few rows only.
    for case in rng.sample(cases, 20):
        if rng.random() < 0.3:
            rollups.fold(limit=rng.randint(1, 5))
        fields = _random_fields(rng, world)
        if rng.random() < 0.3:
            case = Case.objects.get(pk=case.pk)
        for name, value in fields.items():
            setattr(case, name, value)
        if rng.random() < 0.3:
            case.save(update_fields=["status", "closed_at", "rating", "region", "micro_grid"])
        else:
            case.save()
    _check(world)
    rollups.fold_all()
    assert not RollupDelta.objects.exists()
    _check(world)
    # A rebuild from the rows gives the same counts.
    before = sorted(CaseRollup.objects.exclude(cases=0, voided=0).values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS))
    assert rollups.rebuild() == 30
    after = sorted(CaseRollup.objects.values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS))
    assert after == before
    _check(world)
    # Later in the day, more of the open cases are overdue; the rollups need no write for it.
    _check(world, as_of=AS_OF + timedelta(hours=9))


@pytest.mark.django_db
def test_closing_removes_the_open_row_and_update_fields_only_counts_what_was_written(world):
    rng = random.Random(1)
    case = _make(rng, world)
    case.status, case.close_due_at, case.paused_at, case.closed_at = Status.SIGNED, AS_OF + timedelta(days=1), None, None
    case.save()
    rollups.fold_all()
    # Two rows per region of the chain for all departments (the case's board, and all boards), and
    # one for the case's department from the street up.
    chain = rollups.RegionChains({case.region_id}).of(case.region_id, case.micro_grid_id)
    detailed = [pk for pk, kept in chain if kept]
    assert len(detailed) == 2  # the test tree's district and street
    live = OpenCaseRollup.objects.filter(open_cases__gt=0)
    assert live.count() == 2 * len(chain) + len(detailed)
    assert set(live.exclude(department_key=rollups.ALL_DEPARTMENTS).values_list("region", flat=True)) == set(detailed)
    assert sorted(live.filter(department_key=rollups.ALL_DEPARTMENTS).values_list("region", "board")) == sorted(
        (pk, board) for pk, _ in chain for board in (case.board, rollups.ALL_BOARDS))
    case.status, case.closed_at = Status.CLOSED, AS_OF
    case.description = "changed in memory but not written"
    case.save(update_fields=["status", "closed_at"])
    rollups.fold_all()
    assert not OpenCaseRollup.objects.exists()
    street = rollups.counted(rollups.Filter(regions=(world["tree"].street.pk,)), as_of=AS_OF)[None]
    assert (street.cases, street.closed, street.closed_on_time, street.open) == (1, 1, 1, 0)


def test_a_period_is_read_in_the_fewest_rows():
    P, today = rollups.Piece, date(2026, 11, 23)

    def pieces(start, end):
        return sorted(rollups.period_pieces(start, end, today=today), key=lambda p: (p.grain, p.start))

    # A whole year is its year row; a partial month with few days is its days.
    assert pieces(date(2025, 1, 1), date(2026, 1, 3)) == [P("d", date(2026, 1, 1), date(2026, 1, 3), 1), P("y", date(2025, 1, 1), date(2026, 1, 1), 1)]
    # A month with most of its days is its month row less the rest.
    assert pieces(date(2026, 1, 3), date(2026, 1, 31)) == [
        P("d", date(2026, 1, 1), date(2026, 1, 3), -1), P("d", date(2026, 1, 31), date(2026, 2, 1), -1), P("m", date(2026, 1, 1), date(2026, 2, 1), 1)]
    # The last 30 days: days after today hold nothing, so the month row stands for this month.
    assert pieces(date(2026, 10, 25), date(2026, 11, 24)) == [
        P("d", date(2026, 10, 25), date(2026, 11, 1), 1), P("d", date(2026, 11, 24), date(2026, 12, 1), -1), P("m", date(2026, 11, 1), date(2026, 12, 1), 1)]
    # The last 365 days: this year's row, last December, and last November's last week.
    assert pieces(date(2025, 11, 24), date(2026, 11, 24)) == [
        P("d", date(2025, 11, 24), date(2025, 12, 1), 1), P("d", date(2026, 11, 24), date(2026, 12, 1), -1),
        P("m", date(2025, 12, 1), date(2026, 1, 1), 1), P("m", date(2026, 12, 1), date(2027, 1, 1), -1), P("y", date(2026, 1, 1), date(2027, 1, 1), 1)]
    assert pieces(date(2026, 1, 3), date(2026, 1, 3)) == []


@given(start=st.dates(date(2020, 1, 1), date(2027, 12, 31)), days=st.integers(0, 900), today=st.dates(date(2020, 1, 1), date(2027, 12, 31)))
def test_the_pieces_of_any_period_count_each_day_once(start, days, today):
    end = start + timedelta(days=days)
    weight = {}
    for piece in rollups.period_pieces(start, end, today=today):
        day = piece.start
        while day < piece.end:
            weight[day] = weight.get(day, 0) + piece.sign
            day += timedelta(days=1)
    assert {d for d, w in weight.items() if w} == {start + timedelta(days=i) for i in range(days)}
    assert set(weight.values()) <= {0, 1}


@pytest.mark.django_db
def test_moving_a_grid_to_another_community_moves_its_counts(world):
    from yiwang.regions.models import Level, Region

    tree = world["tree"]
    rng = random.Random(3)
    for _ in range(12):
        _make(rng, world)
    other_community = Region.objects.create(parent=tree.other_street, level=Level.COMMUNITY, code="500154001001", name="汉丰社区")
    grid_a = Region.objects.get(pk=tree.grid_a.pk)
    grid_a.parent = other_community
    grid_a.code = "500154001001001"
    grid_a.save()
    for region in (tree.street, tree.other_street, other_community, tree.community, tree.district):
        region.refresh_from_db()
        expected = indicators(Case.objects.filter(region__path__startswith=region.path), as_of=AS_OF)
        assert _counts(rollups.counted(rollups.Filter(regions=(region.pk,)), as_of=AS_OF)[None]) == _counts(expected), region.name
    assert Case.objects.filter(region__path__startswith=other_community.path).exists()


@pytest.mark.django_db
def test_moving_a_community_moves_its_cases_due_earlier_today(world, django_capture_on_commit_callbacks):
    # Cases due earlier today are matched to regions by their grids' paths, kept per process: a move
    # of a community (its grids are not saved) must reach that map too.
    from yiwang.regions.models import Region

    tree = world["tree"]
    matter, version = world["matters"][0]
    for hours in (1, 2, 30):
        Case.objects.create(channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board, tier="A", level=Level.GRID,
                            region=tree.grid_a, handling_region=tree.grid_a, status=Status.DISPATCHED,
                            reported_at=AS_OF - timedelta(days=2), close_due_at=AS_OF - timedelta(hours=hours))
    streets = (tree.street.pk, tree.other_street.pk)
    assert rollups.open_now(rollups.Filter(regions=streets), by="region", as_of=AS_OF) == {tree.street.pk: (3, 3)}
    community = Region.objects.get(pk=tree.community.pk)
    community.parent, community.code = tree.other_street, "500154001009"
    with django_capture_on_commit_callbacks(execute=True):
        community.save()
    assert rollups.open_now(rollups.Filter(regions=streets), by="region", as_of=AS_OF) == {tree.other_street.pk: (3, 3)}


@pytest.mark.django_db
def test_reading_some_counters_gives_the_same_counts_and_none_for_the_rest(world):
    from yiwang.command.figures import TILE_COUNTS

    rng = random.Random(11)
    for _ in range(25):
        _make(rng, world)
    tree = world["tree"]
    f = rollups.Filter(regions=(tree.grid_a.pk, tree.grid_b.pk, tree.micro_a1.pk), start=date(2026, 1, 10), end=date(2026, 3, 21))
    full = rollups.counted(f, by="region", as_of=AS_OF)
    some = rollups.counted(f, by="region", as_of=AS_OF, counters=TILE_COUNTS)
    assert set(some) == set(full) and any(ind.cases for ind in full.values())
    for key, ind in some.items():
        for name in (*TILE_COUNTS, "open", "open_overdue"):
            assert getattr(ind, name) == getattr(full[key], name), (key, name)
        assert ind.on_time_rate == full[key].on_time_rate and ind.satisfaction_rate == full[key].satisfaction_rate
        assert ind.handled is None and ind.overdue is None  # not read: never a silent 0
    with pytest.raises(ValueError, match="no counter 'open'"):
        rollups.counted(f, counters=("cases", "open"))


def test_half_periods_are_refused():
    with pytest.raises(ValueError, match="both"):
        rollups.counted(rollups.Filter(regions=(1,), start=date(2026, 1, 1)))
    with pytest.raises(ValueError, match="period"):
        rollups.counted(rollups.Filter(regions=(1,)), by="day")


def test_the_all_boards_key_is_not_a_board_to_choose():
    with pytest.raises(ValueError, match="boards by their codes"):
        rollups.counted(rollups.Filter(regions=(1,), boards=(rollups.ALL_BOARDS,)))


@pytest.mark.django_db
def test_reading_as_of_a_past_day_leaves_out_the_cases_reported_after_it(world):
    # Pieces after "today" are skipped only when nothing was reported after it; here some cases were.
    rng = random.Random(7)
    cases = [_make(rng, world) for _ in range(20)]
    earlier = AS_OF - timedelta(days=12)
    assert any(c.reported_at > earlier + timedelta(days=1) for c in cases) and any(c.reported_at < earlier for c in cases)
    day = earlier.astimezone(TZ).date()
    for start in (day - timedelta(days=29), day - timedelta(days=364), day.replace(day=1)):
        end = day + timedelta(days=1)
        got = rollups.counted(rollups.Filter(regions=(world["tree"].district.pk,), start=start, end=end), as_of=earlier)[None]
        expected = indicators(Case.objects.all(), as_of=earlier, start=datetime(start.year, start.month, start.day, tzinfo=TZ),
                              end=datetime(end.year, end.month, end.day, tzinfo=TZ))
        assert _counts(got) == _counts(expected), start


def _rollup_rows() -> tuple[list, list]:
    counts = sorted(CaseRollup.objects.exclude(cases=0, voided=0).values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS))
    opened = sorted(OpenCaseRollup.objects.exclude(open_cases=0).values_list("region", "department_key", "reported_on", "due_on", "board",
                                                                             *rollups.OPEN_COUNTS))  # fmt: skip
    return counts, opened


@pytest.mark.django_db
def test_imported_cases_count_as_a_rebuild_from_their_rows(world):
    """The historic import counts its cases from the rows it holds, never reading them back: the
    counts must be those a recount of the written rows gives (open, closed and rejected cases, a
    micro-grid, cases saved one by one beside them)."""
    from pathlib import Path

    from yiwang.cases.importing import import_cases, preset

    sr311 = Path(__file__).resolve().parents[2] / "data" / "sr311"
    tree = world["tree"]
    rng = random.Random(7)
    for _ in range(5):
        _make(rng, world)
    la = import_cases(sr311 / "la/myla311_2017_subset.csv", mapping=preset("la2017"), region=tree.grid_a)
    sf = import_cases(sr311 / "sf/sf311_cases_sample_5k_geo.csv", mapping=preset("sf5k"), region=tree.micro_a1)
    assert {"closed", "accepted", "rejected"} <= set(la.by_status) and sf.created > 0
    rollups.fold_all()  # the cases saved one by one wait as deltas; the import counted its own at once
    imported = _rollup_rows()
    assert imported[0] and imported[1]
    assert rollups.rebuild() == 5 + la.created + sf.created
    assert _rollup_rows() == imported
