import json

import pytest
import shapely

from yiwang.regions.models import Level
from yiwang.regions.validation import (
    ERROR,
    WARNING,
    Sibling,
    Tolerances,
    check_code_format,
    check_households,
    check_inside_parent,
    check_sibling_overlaps,
    parse_polygon,
    validate_tree,
)

from .helpers import BOW_TIE, rect, rect_geometry


def test_bow_tie_is_reported_as_self_intersection_with_the_reason():
    geometry, problems = parse_polygon(BOW_TIE, region="500154003001003", feature=4)
    assert geometry is None
    [problem] = problems
    assert (problem.code, problem.severity, problem.region, problem.feature) == ("self_intersection", ERROR, "500154003001003", 4)
    assert "Self-intersection[108.305 31.105]" in problem.message
    assert "500154003001003" in str(problem) and "#4" in str(problem)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "missing_geometry"),
        ("{not json", "unparsable_geometry"),
        ({"type": "Point", "coordinates": [108.3, 31.1]}, "not_polygon"),
        ({"type": "LineString", "coordinates": [[108.3, 31.1], [108.4, 31.2]]}, "not_polygon"),
        ({"type": "Polygon", "coordinates": [[[108.3, 31.1], [108.4, 31.1], [108.3, 31.2]]]}, "unparsable_geometry"),  # not closed
        ({"type": "Polygon", "coordinates": [[[108.3, 31.1], [108.4, 31.1], [108.3, 31.1]]]}, "invalid_geometry"),  # too few points
        ({"type": "Polygon"}, "unparsable_geometry"),
        ({"type": "Polygon", "coordinates": []}, "empty_geometry"),
        (rect_geometry(31.10, 108.30, 31.11, 108.31), "coordinates_out_of_range"),  # lat/lon swapped
        ({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]], [[3, 3], [4, 3], [4, 4], [3, 3]]]}, "invalid_geometry"),
    ],
)
def test_unusable_geometries_are_explained(value, code):
    geometry, problems = parse_polygon(value, region="X")
    assert geometry is None
    assert [p.code for p in problems] == [code]
    assert problems[0].message


def test_polygon_and_multipolygon_are_accepted_as_dict_or_text():
    for value in (rect_geometry(108.3, 31.1, 108.31, 31.11), rect(108.3, 31.1, 108.31, 31.11),
                  {"type": "MultiPolygon", "coordinates": [[rect_geometry(0, 0, 1, 1)["coordinates"][0]], [rect_geometry(2, 2, 3, 3)["coordinates"][0]]]}):  # fmt: skip
        geometry, problems = parse_polygon(value)
        assert problems == [] and geometry.area > 0


def test_child_outside_parent_beyond_tolerance():
    parent = shapely.box(0, 0, 10, 10)
    slightly_out = shapely.box(9.0, 0, 10.05, 10)  # 0.05 of 1.05 ≈ 4.8 % outside
    problems = check_inside_parent(slightly_out, parent, child_code="c", parent_code="p", tolerance=0.01)
    assert [p.code for p in problems] == ["outside_parent"]
    assert "4.8%" in problems[0].message and "p" in problems[0].message
    assert check_inside_parent(slightly_out, parent, child_code="c", parent_code="p", tolerance=0.05) == []
    hair_out = shapely.box(9.0, 0, 10.005, 10)  # 0.5 % outside: digitising slop, accepted
    assert check_inside_parent(hair_out, parent, child_code="c", parent_code="p", tolerance=0.01) == []


def test_overlapping_siblings_are_refused_but_touching_ones_are_fine():
    a, b, overlapping = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(1.8, 0, 3, 1)
    assert check_sibling_overlaps([Sibling("a", a), Sibling("b", b)], tolerance=0.01) == []
    problems = check_sibling_overlaps([Sibling("a", a), Sibling("b", b), Sibling("c", overlapping, feature=2)], tolerance=0.01)
    [problem] = problems
    assert (problem.code, problem.region, problem.feature) == ("sibling_overlap", "c", 2)
    assert "b" in problem.message and "20.0%" in problem.message
    assert check_sibling_overlaps([Sibling("b", b), Sibling("c", overlapping)], tolerance=0.25) == []


def test_dedicated_grid_may_lie_inside_a_regular_one():
    regular, school = shapely.box(0, 0, 10, 10), shapely.box(2, 2, 3, 3)
    assert check_sibling_overlaps([Sibling("r", regular), Sibling("s", school, dedicated=True)], tolerance=0.01) == []
    other_school = shapely.box(2.5, 2, 3.5, 3)
    assert len(check_sibling_overlaps([Sibling("s", school, dedicated=True), Sibling("t", other_school, dedicated=True)], tolerance=0.01)) == 1


def test_saved_neighbours_are_compared_but_not_reported():
    saved = Sibling("saved", shapely.box(0, 0, 1, 1), checked=False)
    new = Sibling("new", shapely.box(0.5, 0, 1.5, 1), feature=0)
    [problem] = check_sibling_overlaps([saved, new], tolerance=0.01)
    assert problem.region == "new" and "saved" in problem.message
    assert check_sibling_overlaps([saved, Sibling("also_saved", shapely.box(0.5, 0, 1.5, 1), checked=False)], tolerance=0.01) == []


def test_households_outside_300_to_500_is_a_warning_for_regular_grids_only():
    tolerances = Tolerances()
    [warning] = check_households("g", level=Level.GRID, grid_kind="regular", target=400, actual=620, tolerances=tolerances)
    assert warning.severity == WARNING and "620" in warning.message and "actual_households" in warning.message
    assert check_households("g", level=Level.GRID, grid_kind="regular", target=300, actual=500, tolerances=tolerances) == []
    assert check_households("g", level=Level.GRID, grid_kind="regular", target=None, actual=None, tolerances=tolerances) == []
    assert check_households("g", level=Level.GRID, grid_kind="dedicated", target=40, actual=40, tolerances=tolerances) == []
    assert check_households("m", level=Level.MICRO_GRID, grid_kind="", target=50, actual=50, tolerances=tolerances) == []
    assert len(check_households("g", level=Level.GRID, grid_kind="regular", target=250, actual=250, tolerances=Tolerances(min_households=260))) == 2


@pytest.mark.parametrize(
    ("code", "level", "parent_code", "ok"),
    [
        ("500154", Level.DISTRICT, None, True),
        ("50015", Level.DISTRICT, None, False),
        ("500154003000", Level.STREET, "500154", True),
        ("500154003", Level.STREET, "500154", False),  # the 9-digit statistical code needs "000"
        ("500154003001", Level.STREET, "500154", False),
        ("500155003000", Level.STREET, "500154", False),  # another district's street
        ("500154003001", Level.COMMUNITY, "500154003000", True),
        ("500154004001", Level.COMMUNITY, "500154003000", False),  # another street's prefix
        ("500154003000", Level.COMMUNITY, "500154003000", False),
        ("500154003001001", Level.GRID, "500154003001", True),
        ("50015400300101", Level.GRID, "500154003001", False),
        ("500154003002001", Level.GRID, "500154003001", False),
        ("500154003001001", Level.GRID, None, True),
        ("50015400300100101", Level.MICRO_GRID, "500154003001001", True),
        ("500154003001001001", Level.MICRO_GRID, "500154003001001", False),
        ("5001540030010010A", Level.MICRO_GRID, "500154003001001", False),
    ],
)
def test_code_format_rules(code, level, parent_code, ok):
    problems = check_code_format(code, level, parent_code=parent_code, feature=7)
    assert (problems == []) is ok
    if not ok:
        assert problems[0].code == "code_format" and problems[0].region == code and problems[0].feature == 7
        assert code in problems[0].message


def test_the_fixture_tree_is_clean(tree):
    assert validate_tree(tree.district) == []


def test_validate_tree_finds_each_kind_of_problem(tree):
    from yiwang.regions.models import Region

    Region.objects.filter(pk=tree.grid_b.pk).update(boundary=rect(108.305, 31.10, 108.32, 31.11), actual_households=900)
    Region.objects.filter(pk=tree.micro_a1.pk).update(boundary=rect(108.29, 31.10, 108.305, 31.11))
    Region.objects.filter(pk=tree.micro_a2.pk).update(boundary=json.dumps(BOW_TIE))
    problems = validate_tree(tree.community)
    found = {(p.code, p.region) for p in problems}
    assert ("sibling_overlap", tree.grid_b.code) in found
    assert ("households_out_of_range", tree.grid_b.code) in found
    assert ("outside_parent", tree.micro_a1.code) in found
    assert ("self_intersection", tree.micro_a2.code) in found
    # Errors first within a region, regions in tree order.
    assert [p.severity for p in problems if p.region == tree.grid_b.code] == [ERROR, WARNING]


def test_validate_regions_command(tree):
    from django.core.management import CommandError, call_command

    call_command("validate_regions", tree.district.code)
    from yiwang.regions.models import Region

    Region.objects.filter(pk=tree.micro_a1.pk).update(boundary=rect(108.29, 31.10, 108.305, 31.11))
    with pytest.raises(CommandError, match="1 个错误"):
        call_command("validate_regions", tree.street.code)
    with pytest.raises(CommandError, match="999"):
        call_command("validate_regions", "999")
