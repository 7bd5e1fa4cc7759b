import json

import pytest
import shapely
from django.core.management import CommandError, call_command

from yiwang.regions import coords, lookup
from yiwang.regions.importing import ImportFailed, import_boundaries
from yiwang.regions.models import BoundaryVersion, Level, Region

from .helpers import BOW_TIE, collection, feature, rect, rect_geometry

COMMUNITY = "500154003001"


def write(tmp_path, document, name="grids.geojson") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def database_state() -> tuple:
    from yiwang.core.models import AuditEntry

    rows = tuple(Region.objects.order_by("code").values_list("code", "name", "boundary", "parent_id", "target_households", "path"))
    return rows, BoundaryVersion.current(), AuditEntry.objects.count()


def third_and_fourth_grids(**extra):
    """Two new grids in 永先社区 north of the fixture's grids A and B (the community is widened first)."""
    return collection(
        feature("500154003001003", rect_geometry(108.300, 31.110, 108.310, 31.120), name="永先社区第3网格", target_households=420, **extra),
        feature("500154003001004", rect_geometry(108.310, 31.110, 108.320, 31.120), name="永先社区第4网格", target_households=380, **extra),
    )


@pytest.fixture
def wide_community(tree):
    tree.community.boundary = rect(108.30, 31.10, 108.32, 31.12)
    tree.community.save()
    return tree


def test_good_file_creates_grids_with_one_version_bump_and_an_audit_entry(wide_community, tmp_path, admin_user):
    from yiwang.core.models import AuditEntry

    before = BoundaryVersion.current()
    report = import_boundaries(source=write(tmp_path, third_and_fourth_grids()), level=Level.GRID, parent_code=COMMUNITY, acting_user=admin_user)
    assert (report.created, report.updated, report.unchanged, report.warnings) == (2, 0, 0, [])
    assert BoundaryVersion.current() == before + 1 == report.boundary_version
    grid = Region.objects.get(code="500154003001003")
    assert (grid.parent_id, grid.level, grid.grid_kind, grid.target_households) == (wide_community.community.id, Level.GRID, "regular", 420)
    assert grid.path == wide_community.community.path + "500154003001003/" and grid.depth == 3
    assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == pytest.approx((108.30, 31.11, 108.31, 31.12))
    entry = AuditEntry.objects.get(action="regions.import_boundaries")
    assert entry.actor == admin_user and entry.target_type == "regions.region"
    assert entry.detail["created"] == 2 and entry.detail["level"] == "grid"
    # The new grids are found at once in this process.
    assert lookup.locate(108.315, 31.115).grid_code == "500154003001004"


def test_reimporting_the_same_file_changes_nothing(wide_community, tmp_path):
    path = write(tmp_path, third_and_fourth_grids())
    import_boundaries(source=path, level=Level.GRID, parent_code=COMMUNITY)
    version = BoundaryVersion.current()
    report = import_boundaries(source=path, level=Level.GRID, parent_code=COMMUNITY)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert BoundaryVersion.current() == version


def test_update_by_code_moves_a_boundary_and_keeps_what_the_file_does_not_say(tree, tmp_path):
    Region.objects.filter(pk=tree.grid_a.pk).update(actual_households=410)
    # Grid A shrinks to its western half; households properties are absent from the file.
    document = collection(feature(tree.grid_a.code, rect_geometry(108.30, 31.10, 108.305, 31.11), name="永先一网格"))
    report = import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY)
    assert (report.created, report.updated) == (0, 1)
    grid_a = Region.objects.get(pk=tree.grid_a.pk)
    assert grid_a.name == "永先一网格" and grid_a.max_lon == pytest.approx(108.305)
    assert (grid_a.target_households, grid_a.actual_households, grid_a.grid_kind) == (400, 410, "regular")
    # The grid layer of the rebuilt index no longer reaches the eastern half.
    assert lookup.current_index().grids.find(108.307, 31.105) == -1
    assert lookup.locate(108.302, 31.105).grid_code == tree.grid_a.code


def test_micro_grids_take_their_parent_from_a_property(tree, tmp_path):
    document = collection(
        feature("50015400300100202", rect_geometry(108.315, 31.10, 108.32, 31.11), name="第2微网格", parent_code=tree.grid_b.code),
    )
    Region.objects.filter(pk=tree.micro_b1.pk).update(boundary=rect(108.31, 31.10, 108.315, 31.11))
    report = import_boundaries(source=write(tmp_path, document), level=Level.MICRO_GRID)
    assert report.created == 1
    assert Region.objects.get(code="50015400300100202").parent_id == tree.grid_b.id


def test_gcj02_file_is_stored_in_wgs84(wide_community, tmp_path):
    wgs = (108.300, 31.110, 108.310, 31.120)
    gcj_ring = [list(coords.from_wgs84(x, y, "gcj02")) for x, y in rect_geometry(*wgs)["coordinates"][0]]
    document = collection(feature("500154003001003", {"type": "Polygon", "coordinates": [gcj_ring]}, target_households=400))
    import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY, crs="gcj02")
    stored = shapely.from_geojson(Region.objects.get(code="500154003001003").boundary)
    expected = [value for point in rect_geometry(*wgs)["coordinates"][0] for value in point]
    assert shapely.get_coordinates(stored).ravel().tolist() == pytest.approx(expected, abs=1e-7)


def test_household_warnings_do_not_stop_the_import(wide_community, tmp_path):
    document = third_and_fourth_grids()
    document["features"][1]["properties"]["actual_households"] = 650
    report = import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY)
    assert report.created == 2
    [warning] = report.warnings
    assert (warning.code, warning.region, warning.feature) == ("households_out_of_range", "500154003001004", 1)


def test_dry_run_checks_but_writes_nothing(wide_community, tmp_path):
    state = database_state()
    report = import_boundaries(source=write(tmp_path, third_and_fourth_grids()), level=Level.GRID, parent_code=COMMUNITY, dry_run=True)
    assert report.created == 2 and report.dry_run
    assert database_state() == state


# Every kind of bad file leaves the database exactly as it was --------------------------------------


def good(index: int) -> dict:
    """A feature that would import fine on its own (grids 005-009, north of the fixture)."""
    lon = 108.300 + 0.004 * index
    return feature(f"50015400300100{5 + index}", rect_geometry(lon, 31.112, lon + 0.004, 31.118), target_households=400)


BAD_FILES = {
    "malformed_json": ('{"type": "FeatureCollection", "features": [', "malformed_json", None, None),
    "empty_text": ("", "empty_file", None, None),
    "no_features": (collection(), "empty_file", None, None),
    "not_a_collection": ({"type": "Feature", "properties": {}, "geometry": None}, "not_feature_collection", None, None),
    "point": (collection(good(0), feature("500154003001009", {"type": "Point", "coordinates": [108.31, 31.115]})), "not_polygon", 1, "500154003001009"),
    "bow_tie": (collection(good(0), feature("500154003001009", BOW_TIE)), "self_intersection", 1, "500154003001009"),
    "unknown_parent": (collection(good(0), feature("500154003001009", rect_geometry(108.312, 31.112, 108.316, 31.118), parent_code="500154003099")), "unknown_parent", 1, "500154003001009"),
    "outside_parent": (collection(good(0), feature("500154003001009", rect_geometry(108.316, 31.112, 108.33, 31.118))), "outside_parent", 1, "500154003001009"),
    "overlap_in_file": (collection(good(0), good(1), feature("500154003001009", rect_geometry(108.306, 31.112, 108.310, 31.118))), "sibling_overlap", 2, "500154003001009"),
    "overlap_with_saved": (collection(good(0), feature("500154003001009", rect_geometry(108.312, 31.105, 108.316, 31.115))), "sibling_overlap", 1, "500154003001009"),
    "duplicate_code": (collection(good(0), good(1), {**good(2), "properties": {**good(0)["properties"]}}), "duplicate_code", 2, "500154003001005"),
    "missing_code": (collection(good(0), feature(None, rect_geometry(108.312, 31.112, 108.316, 31.118))), "missing_code", 1, "#1"),
    "bad_code": (collection(good(0), feature("500154003002001", rect_geometry(108.312, 31.112, 108.316, 31.118))), "code_format", 1, "500154003002001"),
    "code_of_another_level": (collection(good(0), feature("500154003000", rect_geometry(108.312, 31.112, 108.316, 31.118))), "code_taken", 1, "500154003000"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_changes_nothing_and_names_the_feature(wide_community, tmp_path, kind):
    document, code, feature_index, region = BAD_FILES[kind]
    state = database_state()
    with pytest.raises(ImportFailed) as failure:
        import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY)
    assert database_state() == state
    errors = failure.value.errors
    assert code in {p.code for p in errors}, errors
    problem = next(p for p in errors if p.code == code)
    assert problem.feature == feature_index
    if region is not None:
        assert problem.region == region and region in str(problem)
    assert "nothing written" in str(failure.value)


def test_file_over_the_size_limit_is_refused_before_reading(wide_community, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    state = database_state()
    with pytest.raises(ImportFailed) as failure:
        import_boundaries(source=write(tmp_path, third_and_fourth_grids()), level=Level.GRID, parent_code=COMMUNITY)
    assert [p.code for p in failure.value.problems] == ["file_too_large"]
    assert "IMPORT_MAX_BYTES" in failure.value.problems[0].message
    assert database_state() == state


def test_every_bad_feature_is_reported_not_just_the_first(wide_community, tmp_path):
    document = collection(good(0), feature("500154003001008", BOW_TIE), good(1), feature("bad", rect_geometry(108.312, 31.112, 108.316, 31.118)))
    with pytest.raises(ImportFailed) as failure:
        import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY)
    assert {(p.feature, p.code) for p in failure.value.errors} == {(1, "self_intersection"), (3, "code_format")}


def test_missing_file_is_an_import_failure(db, tmp_path):
    with pytest.raises(ImportFailed, match="cannot read"):
        import_boundaries(source=str(tmp_path / "nope.geojson"), level=Level.GRID, parent_code=COMMUNITY)


def test_command_prints_the_report(wide_community, tmp_path, capsys):
    call_command("import_boundaries", write(tmp_path, third_and_fourth_grids()), "--level", "grid", "--parent-code", COMMUNITY, verbosity=0)
    assert "created 2" in capsys.readouterr().out
    bad = collection(good(0), feature("500154003001009", BOW_TIE))
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_boundaries", write(tmp_path, bad, "bad.geojson"), "--level", "grid", "--parent-code", COMMUNITY, verbosity=0)
    assert "#1" in capsys.readouterr().err


def test_custom_property_names(wide_community, tmp_path):
    document = collection(
        {"type": "Feature", "properties": {"WGBM": "500154003001003", "WGMC": "三网格", "HS": 333}, "geometry": rect_geometry(108.30, 31.11, 108.31, 31.12)}
    )
    import_boundaries(source=write(tmp_path, document), level=Level.GRID, parent_code=COMMUNITY, code_prop="WGBM", name_prop="WGMC", households_prop="HS")
    grid = Region.objects.get(code="500154003001003")
    assert (grid.name, grid.actual_households) == ("三网格", 333)
