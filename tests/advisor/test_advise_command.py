"""`yiwang advise_grids`: contiguous grids within the range, fewer moves than a naive cut, the JSON
shape, and clear refusals."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.advisor import engine, selectors

pytestmark = pytest.mark.django_db


def advise(*args) -> dict:
    out = StringIO()
    call_command("advise_grids", *args, "--json", "--seconds", "10", stdout=out)
    return json.loads(out.getvalue())


def test_proposal_is_contiguous_within_range_and_balanced(tree, block, busy_west):
    result = advise(tree.community.code)
    assert set(result) >= {"proposal", "current_spread", "proposed_spread", "moved"}
    grids = result["proposal"]
    assert len(grids) == 2
    assert sorted(b for g in grids for b in g["buildings"]) == sorted(block.buildings)
    for grid in grids:
        assert set(grid) >= {"households", "buildings", "workload", "connected"}
        assert grid["connected"] is True
        assert 300 <= grid["households"] <= 500
        assert grid["grid"] in {tree.grid_a.code, tree.grid_b.code}
    assert sum(g["households"] for g in grids) == 6 * 90 + 6 * 60
    # Today grid 001 holds 540 households and all the cases: the proposal evens the work out.
    assert result["proposed_spread"] < result["current_spread"]
    assert result["current_spread"] == pytest.approx(1.0, abs=0.01)


def test_moves_fewer_households_than_a_naive_cut(tree, block, busy_west):
    result = advise(tree.community.code)
    # A naive split ignores today's grids: north against south, by latitude.
    data = selectors.community_data(tree.community)
    ordered = sorted(data.buildings, key=lambda b: (b.lat, b.lon))
    half = len(ordered) // 2
    naive = {b.code: (tree.grid_a.code if i < half else tree.grid_b.code) for i, b in enumerate(ordered)}
    naive_moved = min(engine.regroup(data.buildings, naive).moved,
                      engine.regroup(data.buildings, {c: (tree.grid_b.code if g == tree.grid_a.code else tree.grid_a.code)
                                                      for c, g in naive.items()}).moved)
    assert 0 < result["moved"] < naive_moved
    # Grid 001 must shed at least 40 households (540 > 500): one building of 90 is the least.
    assert result["moved"] >= 40


def test_text_output_names_grids_and_spreads(tree, block):
    out = StringIO()
    call_command("advise_grids", tree.community.code, "--seconds", "10", stdout=out)
    text = out.getvalue()
    assert tree.grid_a.code in text and "离散系数" in text and "调整户数" in text


def test_a_street_covers_its_communities(tree, block):
    result = advise(tree.street.code)
    assert {g["community"] for g in result["proposal"]} == {tree.community.code}


@pytest.mark.parametrize(("args", "words"), [
    (["999999999999"], "区域代码 999999999999 不存在"),
    (["500154003001001"], "是网格，网格优化只对社区或街道"),
    (["500154003001", "--households", "600-700"], "按每格 600–700 户无法划分"),
    (["500154003001", "--households", "500-300"], "网格户数范围“500-300”无效"),
    (["500154003001", "--households", "many"], "网格户数范围“many”无效"),
])
def test_bad_input_is_refused_in_words(tree, block, args, words):
    with pytest.raises(CommandError) as refused:
        call_command("advise_grids", *args, "--json", stdout=StringIO())
    assert words in str(refused.value)


def test_a_building_larger_than_the_ceiling_is_named(tree, block):
    with pytest.raises(CommandError) as refused:
        call_command("advise_grids", tree.community.code, "--households", "40-80", stdout=StringIO())
    assert "一栋楼不能拆分" in str(refused.value) and "YX-11（90 户）" in str(refused.value)


def test_community_without_buildings_is_refused(tree):
    with pytest.raises(CommandError, match="没有带坐标的楼栋"):
        call_command("advise_grids", tree.community.code, stdout=StringIO())


def test_spread_is_the_coefficient_of_variation():
    assert engine.spread_of([10, 10, 10]) == 0
    assert engine.spread_of([0, 20]) == 1.0
    assert engine.spread_of([]) == 0
