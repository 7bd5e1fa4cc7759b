"""Creating and ending links (levels, one-to-one units, who may), and recording visits whose
problems open cases in the same transaction, all or nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases.models import Case, Channel
from yiwang.core.models import AuditEntry
from yiwang.links import services
from yiwang.links.models import Link, LinkProblem, LinkVisit

pytestmark = pytest.mark.django_db


def make(users, **fields):
    setter = users["district"] if fields.get("kind") == "district_leader" else users["street"]
    values = {"acting_user": setter, "starts_on": date(2025, 1, 1)}
    values.update(fields)
    return services.create_link(**values)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# Creating links ----------------------------------------------------------------------------------

def test_each_kind_links_to_its_level(tree, users, units):
    leader = make(users, kind="district_leader", region=tree.community, leader_name="张区长", leader_title="副区长", period="month")
    street = make(users, kind="street_leader", region=tree.grid_a, leader=users["street"], leader_title="党工委副书记")
    department = make(users, kind="department", region=tree.grid_a, department=units.department, contacts_required=2)
    alliance = make(users, kind="alliance_unit", region=tree.grid_b, department=units.alliance)
    assert leader.who == "张区长(副区长)" and leader.region == tree.community
    assert street.leader == users["street"] and department.who == "开州区财政局"
    assert alliance.department.is_alliance_unit
    assert department.cadence_text == "每月至少2次"
    assert AuditEntry.objects.filter(action="links.create").count() == 4


def test_only_the_level_that_arranges_a_link_may_set_or_end_it(tree, users, units):
    with pytest.raises(PermissionDenied):
        make(users, kind="district_leader", region=tree.community, leader_name="张区长", acting_user=users["street"])
    leader = make(users, kind="district_leader", region=tree.community, leader_name="张区长")
    with pytest.raises(PermissionDenied):
        services.end_link(leader, acting_user=users["community"], ends_on=date(2025, 6, 1), reason="社区想换人")
    street_link = make(users, kind="street_leader", region=tree.grid_a, leader_name="李书记")
    with pytest.raises(PermissionDenied):
        services.set_roles(street_link, acting_user=users["community"], primary=users["community"])
    leader.refresh_from_db()
    assert leader.active


@pytest.mark.parametrize("kind, region_name, unit", [
    ("district_leader", "grid_a", None),
    ("street_leader", "community", None),
    ("department", "micro_a1", "department"),
    ("party_branch", "community", "branch"),
])
def test_wrong_level_is_refused_naming_the_region(tree, users, units, kind, region_name, unit):
    fields = {"leader_name": "王某"} if unit is None else {("party_organization" if unit == "branch" else "department"): getattr(units, unit)}
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind=kind, region=getattr(tree, region_name), **fields)
    assert "region" in errors_of(excinfo)
    assert Link.objects.count() == 0


def test_a_grid_has_one_unit_and_a_unit_one_grid(tree, users, units):
    make(users, kind="department", region=tree.grid_a, department=units.department)
    # Another unit of any kind on the same grid.
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="party_branch", region=tree.grid_a, party_organization=units.branch)
    assert "已由 开州区财政局 联点" in errors_of(excinfo)["region"][0]
    # The same unit on another grid.
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="department", region=tree.grid_b, department=units.department)
    assert "已联点 永先社区第1网格" in errors_of(excinfo)["department"][0]
    # Leaders are not one-to-one: two street leaders on the grid are fine.
    make(users, kind="street_leader", region=tree.grid_a, leader_name="甲")
    make(users, kind="street_leader", region=tree.grid_a, leader_name="乙")
    assert Link.objects.filter(region=tree.grid_a, active=True).count() == 3


def test_the_database_refuses_a_second_unit_even_past_the_service(tree, users, units):
    make(users, kind="department", region=tree.grid_a, department=units.department)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(kind="alliance_unit", region=tree.grid_a, department=units.alliance, starts_on=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(kind="department", region=tree.grid_b, department=units.department, starts_on=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        # A department link without its department.
        Link.objects.create(kind="department", region=tree.grid_b, starts_on=date(2025, 1, 1))


def test_ending_frees_the_grid_and_the_unit(tree, users, units):
    first = make(users, kind="department", region=tree.grid_a, department=units.department, starts_on=timezone.localdate() - timedelta(days=60))
    services.end_link(first, acting_user=users["street"], reason="调整联点")
    first.refresh_from_db()
    assert not first.active and first.ends_on == timezone.localdate() and first.end_reason == "调整联点"
    second = make(users, kind="party_branch", region=tree.grid_a, party_organization=units.branch)
    third = make(users, kind="department", region=tree.grid_b, department=units.department)
    assert second.active and third.active
    with pytest.raises(ValidationError) as excinfo:
        services.end_link(first, acting_user=users["street"])
    assert "ends_on" in errors_of(excinfo)


def test_end_date_cannot_precede_the_last_visit(tree, users, units, matter):
    link = make(users, kind="department", region=tree.grid_a, department=units.department, starts_on=timezone.localdate() - timedelta(days=30))
    services.record_visit(link, acting_user=users["worker_a"], at=timezone.now() - timedelta(days=2), mode="face_to_face", summary="走访")
    with pytest.raises(ValidationError) as excinfo:
        services.end_link(link, acting_user=users["street"], ends_on=timezone.localdate() - timedelta(days=5))
    assert "ends_on" in errors_of(excinfo)


@pytest.mark.parametrize("kind, unit_field, unit, message", [
    ("alliance_unit", "department", "department", "不是共建单位"),
    ("department", "department", "alliance", "是共建单位"),
    ("party_branch", "party_organization", "committee", "只有党支部可以联点网格"),
    ("party_branch", "party_organization", "grid_branch", "本网格的党组织"),
    ("party_branch", "party_organization", "far_branch", "所在街道"),
])
def test_the_unit_must_fit_the_kind_and_the_place(tree, users, units, kind, unit_field, unit, message):
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind=kind, region=tree.grid_a, **{unit_field: getattr(units, unit)})
    assert message in errors_of(excinfo)[unit_field][0]


def test_a_leader_needs_a_name_or_an_account_of_the_right_role(tree, users):
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="street_leader", region=tree.grid_a)
    assert "leader_name" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="district_leader", region=tree.community, leader=users["street"])
    assert "leader" in errors_of(excinfo)


def test_a_and_b_must_differ_and_see_the_region(tree, users):
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="street_leader", region=tree.grid_a, leader_name="甲", primary=users["worker_a"], backup=users["worker_a"])
    assert "backup" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        make(users, kind="street_leader", region=tree.grid_a, leader_name="甲", primary=users["worker_b"])
    assert "primary" in errors_of(excinfo)
    link = make(users, kind="street_leader", region=tree.grid_a, leader_name="甲", primary=users["worker_a"], backup=users["community"])
    services.set_roles(link, acting_user=users["street"], primary=users["community"], backup=users["worker_a"])
    link.refresh_from_db()
    assert (link.primary, link.backup) == (users["community"], users["worker_a"])


def test_who_may_set_links(tree, users, units, make_user):
    with pytest.raises(PermissionDenied):
        make(users, acting_user=users["worker_a"], kind="street_leader", region=tree.grid_a, leader_name="甲")
    other = make_user("other_street", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        make(users, acting_user=other, kind="street_leader", region=tree.grid_a, leader_name="甲")
    # The community sets links for its own grids.
    assert make(users, acting_user=users["community"], kind="department", region=tree.grid_b, department=units.department).pk


# Visits ------------------------------------------------------------------------------------------

@pytest.fixture
def grid_link(tree, users, units):
    return make(users, kind="department", region=tree.grid_a, department=units.department, starts_on=timezone.localdate() - timedelta(days=90))


def test_a_visit_with_problems_opens_cases_in_the_linked_grid(tree, users, grid_link, matter):
    at = timezone.now() - timedelta(hours=3)
    visit = services.record_visit(
        grid_link, acting_user=users["worker_a"], at=at, mode="in_grid", summary="驻格一天,走访楼宇企业", visitor=users["worker_a"],
        visitor_names="刘局长", problems=[
            services.ProblemInput(description="3栋楼道堆放杂物"),
            services.ProblemInput(description="6栋两户邻里纠纷,需调解", matter=matter),
        ])
    problems = list(visit.problems.order_by("row"))
    assert [p.row for p in problems] == [1, 2]
    assert problems[0].case is None
    case = problems[1].case
    assert case is not None and case.region == tree.grid_a and case.channel == Channel.DESK
    assert case.description == "6栋两户邻里纠纷,需调解" and case.matter == matter
    assert case.reporter_name == "联点走访：刘局长"
    assert case.external_source == "link" and case.external_id == f"{visit.pk}-2"
    assert visit.who == f"{users['worker_a'].username}、刘局长"
    entry = AuditEntry.objects.get(action="links.visit")
    assert entry.detail["cases"] == [case.number] and entry.detail["problems"] == 2


def test_a_refused_case_leaves_nothing_written_and_names_the_row(tree, users, grid_link, matter, charging):
    cases_before = Case.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(grid_link, acting_user=users["worker_a"], at=timezone.now(), mode="face_to_face", summary="走访", problems=[
            {"description": "邻里纠纷", "matter": matter},
            {"description": "楼道里给电动车充电", "matter": charging},  # the required "where" is not answered
        ])
    errors = errors_of(excinfo)
    assert list(errors) == ["problems[2].attribute[location_kind]"]
    assert errors["problems[2].attribute[location_kind]"][0].startswith("第2个问题无法立案")
    # The first problem's case was opened inside the same transaction and went with it.
    assert Case.objects.count() == cases_before
    assert LinkVisit.objects.count() == 0 and LinkProblem.objects.count() == 0
    assert not AuditEntry.objects.filter(action="links.visit").exists()


def test_every_bad_row_is_named_before_anything_is_written(tree, users, grid_link, matter):
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(grid_link, acting_user=users["worker_a"], at=timezone.now() + timedelta(hours=2), mode="walk", summary=" ",
                              problems=[{"description": ""}, {"description": "积水", "matter": matter, "grid": tree.grid_b}])
    assert set(errors_of(excinfo)) == {"at", "mode", "summary", "problems[1].description", "problems[2].grid"}
    assert LinkVisit.objects.count() == 0


def test_a_community_link_opens_its_case_in_a_chosen_grid(tree, users, matter):
    link = make(users, acting_user=users["district"], kind="district_leader", region=tree.community, leader_name="张区长",
                starts_on=timezone.localdate() - timedelta(days=10))
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(link, acting_user=users["community"], at=timezone.now(), mode="face_to_face", summary="调研",
                              problems=[{"description": "停车无序", "matter": matter}])
    assert "problems[1].grid" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(link, acting_user=users["community"], at=timezone.now(), mode="face_to_face", summary="调研",
                              problems=[{"description": "停车无序", "matter": matter, "grid": tree.other_street}])
    assert "problems[1].grid" in errors_of(excinfo)
    visit = services.record_visit(link, acting_user=users["community"], at=timezone.now(), mode="face_to_face", summary="调研",
                                  problems=[{"description": "停车无序", "matter": matter, "grid": tree.grid_b}])
    assert visit.problems.get().case.region == tree.grid_b


def test_visit_dates_stay_within_the_link(tree, users, grid_link):
    too_early = timezone.make_aware(datetime.combine(grid_link.starts_on - timedelta(days=1), time(10)))
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(grid_link, acting_user=users["worker_a"], at=too_early, mode="remote", summary="电话")
    assert "at" in errors_of(excinfo)
    services.end_link(grid_link, acting_user=users["street"], ends_on=timezone.localdate() - timedelta(days=5))
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(grid_link, acting_user=users["worker_a"], at=timezone.now(), mode="remote", summary="电话")
    assert "at" in errors_of(excinfo)
    # A late record of a visit made while the link was active is fine.
    assert services.record_visit(grid_link, acting_user=users["worker_a"], at=timezone.now() - timedelta(days=6), mode="remote", summary="补录")


def test_who_may_record_a_visit(tree, users, grid_link):
    # The linked department's staff only view data, but they are the ones who go.
    assert services.record_visit(grid_link, acting_user=users["department"], at=timezone.now(), mode="face_to_face", summary="部门走访")
    with pytest.raises(PermissionDenied):
        services.record_visit(grid_link, acting_user=users["worker_b"], at=timezone.now(), mode="face_to_face", summary="邻格")
    with pytest.raises(PermissionDenied):
        services.record_visit(grid_link, acting_user=users["resident"], at=timezone.now(), mode="face_to_face", summary="居民")
    assert LinkVisit.objects.count() == 1
