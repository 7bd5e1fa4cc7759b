"""The registry's person groups as GB/T 31000-2015's classes: the data file, the migration that moved the
old tags, import and export by the standard's names (and the old ones), and the sealing rules kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from registry_helpers import GRID_A, PERSON_HEADER, csv_bytes, person_row, write_file  # noqa: F401 (write_file is a fixture)

from tests import factories
from yiwang.core.models import SensitiveAccess
from yiwang.registry import groups
from yiwang.registry.exports import export_queryset, export_registry
from yiwang.registry.group_names import GROUP_NAMES, STANDARD_CLASS_NAMES
from yiwang.registry.importing import import_persons
from yiwang.registry.models import SENSITIVE_GROUPS, KeyGroup, Person, PersonAccessGrant, PersonTag

SPECIAL_POPULATION = {"刑满释放人员", "社区矫正对象", "严重精神障碍患者", "吸毒人员", "艾滋病危险人员"}


# --- the data -------------------------------------------------------------------------------------

def test_the_standards_classes_are_the_groups_with_their_names():
    by_class: dict[str, set[str]] = {}
    for group in groups.all_groups():
        by_class.setdefault(group.standard_class, set()).add(group.name)
    assert by_class["特殊人群"] == SPECIAL_POPULATION
    assert {"闲散青少年", "有不良行为青少年", "流浪乞讨未成年人", "服刑在教人员未成年子女", "农村留守儿童"} <= by_class["重点青少年"]
    assert {"独居老人", "空巢老人", "残疾人", "低保对象", "特困人员", "退役军人"} == by_class[groups.LOCAL_CLASS]
    # The public outline gives no class codes we could confirm: every code says it is ours.
    assert {g.code_source for g in groups.all_groups()} == {"local"}
    assert KeyGroup.COMMUNITY_CORRECTION == "TS02" and KeyGroup.COMMUNITY_CORRECTION.label == "社区矫正对象"


def test_every_special_population_and_every_kind_of_key_youth_but_left_behind_children_is_sealed():
    sealed = {g.name for g in groups.all_groups() if g.code in SENSITIVE_GROUPS}
    assert SPECIAL_POPULATION <= sealed
    assert {"闲散青少年", "有不良行为青少年", "流浪乞讨未成年人", "服刑在教人员未成年子女", "其他重点青少年"} <= sealed
    # Kept as before GB/T 31000: the care classes were never sealed.
    assert not sealed & {"农村留守儿童", "独居老人", "空巢老人", "残疾人", "低保对象", "特困人员", "退役军人"}
    # Every group sealed before is sealed still, under its new code.
    old_sealed = {"mental_illness", "community_correction", "released_prisoner", "drug_user", "key_youth"}
    assert {groups.MOVED_TO_GBT31000[key] for key in old_sealed} <= SENSITIVE_GROUPS


def test_the_names_marked_for_translation_are_the_data_files():
    assert set(GROUP_NAMES) == {g.name for g in groups.all_groups()}
    assert set(STANDARD_CLASS_NAMES) == set(groups.STANDARD_CLASSES)


def test_the_migrations_frozen_mapping_is_the_data_files():
    assert groups.legacy_mapping() == groups.MOVED_TO_GBT31000
    assert all(groups.by_code(code) for code in groups.MOVED_BACK)


@pytest.mark.parametrize(("text", "message"), [
    ('[[group]]\ncode = "TS01"\nname = "甲"\nstandard_class = "特殊人群"\nsensitive = true\ncode_source = "local"\nmember = "A"\n'
     '[[group]]\ncode = "TS01"\nname = "乙"\nstandard_class = "特殊人群"\nsensitive = true\ncode_source = "local"\nmember = "B"\n', "重复"),
    ('[[group]]\ncode = "TS01"\nname = "甲"\nstandard_class = "重点场所"\nsensitive = true\ncode_source = "local"\nmember = "A"\n', "未知的标准类别"),
    ('[[group]]\ncode = "X1"\nname = "甲"\nstandard_class = "本地扩展（X）"\nsensitive = false\ncode_source = "standard"\nmember = "A"\n', "本地扩展"),
    ('[[group]]\ncode = "TS01"\nname = "甲"\n', "缺少 standard_class"),
    ("[[group]\n", "不是有效的 TOML"),
])
def test_a_bad_data_file_stops_with_what_is_wrong(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        groups.parse(text)


def test_a_group_is_read_by_code_name_alias_or_old_key():
    assert {groups.spelled(s) for s in ("TS02", "社区矫正对象", "社区矫正", "community_correction", " Community_Correction ")} == {"TS02"}
    assert groups.spelled("重点青少年") == groups.spelled("key_youth") == "QS99"
    assert groups.spelled("外星人") is None and groups.spelled("") is None


# --- the migration --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_old_tags_grants_and_plans_and_back():
    registry_before, registry_after = ("registry", "0005_chinese_punctuation"), ("registry", "0006_gbt31000_groups")
    gridwork_before, gridwork_after = ("gridwork", "0004_record_photos"), ("gridwork", "0005_care_plan_gbt31000_groups")
    executor = MigrationExecutor(connection)
    executor.migrate([registry_before, gridwork_before])
    try:
        old = executor.loader.project_state([registry_before, gridwork_before]).apps
        Region, Person_, Tag = old.get_model("regions", "Region"), old.get_model("registry", "Person"), old.get_model("registry", "PersonTag")
        Plan, Grant, Department = old.get_model("gridwork", "CarePlan"), old.get_model("registry", "PersonAccessGrant"), old.get_model("matters", "Department")
        grid = Region.objects.create(level="grid", code="500154003001001", name="第1网格", path="/500154003001001/")
        ann, bob = (Person_.objects.create(region=grid, name=name) for name in ("甲", "乙"))
        for person, tag in ((ann, "community_correction"), (ann, "elderly_alone"), (ann, "key_youth"), (bob, "mental_illness"),
                            (bob, "left_behind_child"), (bob, "disabled")):
            Tag.objects.create(person=person, tag=tag)
        Plan.objects.create(region=grid, group="mental_illness", frequency_days=14, starts_on=timezone.localdate())
        department = Department.objects.create(code="MZ01", name="民政局", kind="civil_affairs", region=grid)
        Grant.objects.create(department=department, group="left_behind_child", region=grid, reason="暑期走访",
                             expires_at=timezone.now() + timedelta(days=7))

        executor = MigrationExecutor(connection)
        executor.migrate([registry_after, gridwork_after])
        tags = set(PersonTag.objects.values_list("person__name", "tag"))
        assert tags == {("甲", "TS02"), ("甲", "elderly_alone"), ("甲", "QS99"), ("乙", "TS03"), ("乙", "QS05"), ("乙", "disabled")}
        from yiwang.gridwork.models import CarePlan

        assert list(CarePlan.objects.values_list("group", flat=True)) == ["TS03"]
        assert list(PersonAccessGrant.objects.values_list("group", flat=True)) == ["QS05"]

        # Back: the new kinds of key youth fold into the old single tag; nothing else is lost. Rows are
        # written through the models of that state: today's models' receivers (the kept counters) need
        # tables that state has not got.
        then = executor.loader.project_state([registry_after, gridwork_after]).apps
        ThenPerson, ThenTag = then.get_model("registry", "Person"), then.get_model("registry", "PersonTag")
        ThenTag.objects.create(person=ThenPerson.objects.get(name="甲"), tag="QS01")
        executor = MigrationExecutor(connection)
        executor.migrate([registry_before, gridwork_before])
        assert set(Tag.objects.values_list("person__name", "tag")) == {
            ("甲", "community_correction"), ("甲", "elderly_alone"), ("甲", "key_youth"), ("乙", "mental_illness"),
            ("乙", "left_behind_child"), ("乙", "disabled")}
        assert list(Plan.objects.values_list("group", flat=True)) == ["mental_illness"]

        # A class the old code never had stops the way back rather than unseal anyone.
        executor = MigrationExecutor(connection)
        executor.migrate([registry_after, gridwork_after])
        ThenTag.objects.create(person=ThenPerson.objects.get(name="乙"), tag="TS05")
        executor = MigrationExecutor(connection)
        with pytest.raises(IrreversibleError, match="TS05"):
            executor.migrate([registry_before, gridwork_before])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- listing, import, export ----------------------------------------------------------------------

@pytest.mark.django_db
def test_the_groups_are_listed_with_the_standards_names(client, users):
    client.force_login(users["worker_a"])
    listed = client.get("/api/registry/groups").json()
    assert [g["code"] for g in listed] == list(KeyGroup.values)
    correction = next(g for g in listed if g["code"] == "TS02")
    assert correction == {"code": "TS02", "name": "社区矫正对象", "standard_class": "特殊人群", "sensitive": True, "code_source": "local"}
    client.logout()
    assert client.get("/api/registry/groups").status_code == 401


@pytest.mark.django_db
def test_import_takes_the_standards_names_and_the_old_ones_and_export_gives_the_standards(tree, write_file):
    rows = [PERSON_HEADER,
            person_row(1, 重点人群="社区矫正对象、独居老人"),            # the standard's names
            person_row(2, 重点人群="社区矫正、严重精神障碍、留守儿童、低保"),  # the old labels
            person_row(3, 重点人群="mental_illness|key_youth|TS05"),     # old keys and a code
            person_row(4, 人口类型="境外人员")]
    import_persons(source=write_file("p.csv", csv_bytes(rows)), progress=False)
    tags = {name: set(Person.objects.get(name=name).tags.values_list("tag", flat=True)) for name in ("居民1", "居民2", "居民3")}
    assert tags == {"居民1": {"TS02", "elderly_alone"}, "居民2": {"TS02", "TS03", "QS05", "low_income"}, "居民3": {"TS03", "QS99", "TS05"}}
    assert Person.objects.get(name="居民4").residence_type == "overseas"

    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export_registry("persons", queryset=export_queryset("persons")))).active
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert {"公民身份号码", "联系方式", "户号", "现住门（楼）详址", "人口类型", "重点人群"} <= set(header)
    exported = {row[header.index("姓名")]: set((row[header.index("重点人群")] or "").split("、")) - {""} for row in body}
    assert exported["居民2"] == {"社区矫正对象", "严重精神障碍患者", "农村留守儿童", "低保对象"}
    assert exported["居民3"] == {"严重精神障碍患者", "其他重点青少年", "艾滋病危险人员"}
    assert {row[header.index("姓名")]: row[header.index("人口类型")] for row in body}["居民4"] == "境外人员"


@pytest.mark.django_db
def test_an_unknown_group_on_import_names_the_standards_classes(tree, write_file):
    from yiwang.registry.importing import ImportFailed

    with pytest.raises(ImportFailed) as caught:
        import_persons(source=write_file("p.csv", csv_bytes([PERSON_HEADER, person_row(1, 重点人群="外星人")])), progress=False)
    (row, column, reason), = [tuple(e) for e in caught.value.errors]
    assert (row, column) == (2, "重点人群") and "外星人" in reason and "社区矫正对象" in reason


def test_the_database_refuses_a_tag_outside_the_groups(db, tree):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PersonTag.objects.create(person=factories.person(tree.micro_a1), tag="community_correction")


# --- the access rules, unchanged for the new classes ----------------------------------------------

@pytest.fixture
def corrected(tree):
    """A 社区矫正对象 in grid A."""
    person = factories.person(tree.micro_a1)
    PersonTag.objects.create(person=person, tag=KeyGroup.COMMUNITY_CORRECTION)
    return person


def _ids(client, **params):
    response = client.get("/api/registry/persons", {"limit": 200, **params})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.django_db
def test_a_grid_worker_outside_need_to_know_cannot_see_a_community_correction_subject(client, users, corrected):
    client.force_login(users["worker_b"])  # the neighbouring grid's worker
    assert corrected.pk not in _ids(client)
    assert client.get(f"/api/registry/persons/{corrected.pk}").status_code == 404
    assert corrected.pk not in _ids(client, tag="TS02")
    assert not SensitiveAccess.objects.filter(user=users["worker_b"], target_id=str(corrected.pk)).exists()

    client.force_login(users["worker_a"])  # its own grid's worker: sees them, and the look is logged
    assert client.get(f"/api/registry/persons/{corrected.pk}").json()["tags"] == ["TS02"]
    assert SensitiveAccess.objects.filter(user=users["worker_a"], target_id=str(corrected.pk), field="sensitive_group").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("tag", ["TS02", "社区矫正对象", "community_correction"])
def test_a_department_cannot_filter_or_see_the_class_even_with_a_grant(client, users, department, corrected, tree, tag):
    PersonAccessGrant.objects.create(department=department, group=KeyGroup.COMMUNITY_CORRECTION, region=tree.grid_a,
                                     reason="核查", expires_at=timezone.now() + timedelta(days=3))
    client.force_login(users["department"])
    refused = client.get("/api/registry/persons", {"tag": tag})
    assert refused.status_code == 403 and "社区矫正对象" in refused.json()["detail"]
    assert corrected.pk not in _ids(client)
    assert client.get(f"/api/registry/persons/{corrected.pk}").status_code == 404


@pytest.mark.django_db
def test_a_new_class_is_sealed_like_the_old_ones(client, users, department, tree):
    person = factories.person(tree.micro_a1)
    PersonTag.objects.create(person=person, tag=KeyGroup.AIDS_RISK)
    client.force_login(users["street"])  # no permission for sensitive groups
    assert person.pk not in _ids(client)
    assert client.get("/api/registry/persons", {"tag": "艾滋病危险人员"}).status_code == 403
    client.force_login(users["community"])
    assert person.pk in _ids(client, tag="TS05")
    assert SensitiveAccess.objects.filter(user=users["community"], target_id="TS05", field="filter").exists()
