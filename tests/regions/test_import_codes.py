import pytest
from django.core.management import CommandError, call_command

from yiwang.regions.importing import ImportFailed, default_china_data_dir, import_official_codes
from yiwang.regions.models import Level, Region

KAIZHOU_STREETS = ["汉丰街道", "文峰街道", "云枫街道", "镇东街道", "丰乐街道", "白鹤街道", "赵家街道", "正安街道"]


def test_kaizhou_with_its_streets_towns_and_townships(db):
    report = import_official_codes(district_code="500154")
    district = Region.objects.get(code="500154")
    assert (district.name, district.level, district.parent_id) == ("开州区", Level.DISTRICT, None)
    below = list(Region.objects.filter(parent=district).order_by("code"))
    assert all(r.level == Level.STREET and len(r.code) == 12 and r.code.endswith("000") for r in below)
    names = [r.name for r in below]
    assert names[:8] == KAIZHOU_STREETS
    assert Region.objects.get(code="500154003000").name == "云枫街道"
    # Towns (100-199) and townships (200-399) come too, as level "street"; the name tells which.
    towns = [r for r in below if "100000" <= r.code[6:] < "200000"]
    townships = [r for r in below if r.code[6:] >= "200000"]
    assert towns and all(r.name.endswith("镇") for r in towns)
    assert townships and all(r.name.endswith("乡") for r in townships)
    assert len(below) == 8 + len(towns) + len(townships)
    assert report.created == 1 + len(below)


def test_rerun_updates_nothing_and_keeps_existing_rows(tree):
    report = import_official_codes(district_code="500154")
    assert Region.objects.get(code="500154003000").pk == tree.street.pk
    assert report.unchanged == 3  # the district and the fixture's two streets
    again = import_official_codes(district_code="500154")
    assert (again.created, again.updated) == (0, 0)


def test_unknown_district_is_a_clear_error(db):
    with pytest.raises(ImportFailed) as failure:
        import_official_codes(district_code="500199")
    assert "500199" in str(failure.value)
    assert failure.value.problems[0].code == "unknown_district"
    assert not Region.objects.exists()
    with pytest.raises(ImportFailed, match="6"):
        import_official_codes(district_code="5001")


def test_data_dir_from_the_environment(db, tmp_path, monkeypatch):
    (tmp_path / "stats_gov_2023_areas.csv").write_text('code,name,cityCode,provinceCode\n110101,"东城区",1101,11\n', encoding="utf-8")
    (tmp_path / "stats_gov_2023_streets.csv").write_text(
        'code,name,areaCode,provinceCode,cityCode\n110101001,"东华门街道",110101,11,1101\n', encoding="utf-8"
    )
    monkeypatch.setenv("YIWANG_CHINA_DATA_DIR", str(tmp_path))
    assert default_china_data_dir() == tmp_path
    import_official_codes(district_code="110101")
    assert Region.objects.get(code="110101001000").name == "东华门街道"


def test_missing_data_dir_names_the_file(db, tmp_path):
    with pytest.raises(ImportFailed, match="stats_gov_2023_areas.csv"):
        import_official_codes(district_code="500154", data_dir=tmp_path)


def test_command(db, capsys):
    call_command("import_codes", "--district", "500154")
    assert "created" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("import_codes", "--district", "500199")
