"""Propose, approve (apply) and reject a re-division: who may, what follows, one transaction, the
old division kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from yiwang.advisor import selectors, services
from yiwang.advisor.models import DivisionProposal, DivisionSnapshot, ProposalStatus
from yiwang.core.models import AuditEntry
from yiwang.regions import lookup
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Building, House, Household, Person

pytestmark = pytest.mark.django_db


def today_plan(tree, block) -> dict[str, str]:
    return {code: grid.code for code, grid in block.grid_of.items()}


def one_building_east(tree, block) -> dict[str, str]:
    """YX-21 (90 households, beside the east grid) moves to grid 002: 450 and 450."""
    return {**today_plan(tree, block), "YX-21": tree.grid_b.code}


@pytest.fixture
def proposal(tree, block, users):
    return services.propose_division(community=tree.community, plan=one_building_east(tree, block), reason="001网格超过500户",
                                     acting_user=users["street"])


def test_proposal_keeps_figures_and_an_audit_row(proposal, tree):
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.figures["moved"] == 90
    assert sorted(g["households"] for g in proposal.figures["grids"]) == [450, 450]
    assert AuditEntry.objects.filter(action="advisor.propose", target_id=str(proposal.pk)).exists()


def test_approval_moves_people_cases_and_boundaries_in_one_go(proposal, tree, block, users, django_capture_on_commit_callbacks):
    building = block.buildings["YX-21"]
    near = factories.case(tree.grid_a)
    near.lon, near.lat = building.lon + 0.0002, building.lat
    near.save(update_fields=["lon", "lat"])
    far = factories.case(tree.grid_a)
    far.lon, far.lat = block.buildings["YX-11"].lon, block.buildings["YX-11"].lat
    far.save(update_fields=["lon", "lat"])
    old_boundary_a = Region.objects.get(pk=tree.grid_a.pk).boundary
    # Before: the point beside YX-21 lies in grid 001.
    assert lookup.locate(building.lon, building.lat).grid_code == tree.grid_a.code

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_division(proposal, acting_user=users["district"], note="同意")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED and proposal.decided_by == users["district"]
    assert Building.objects.get(pk=building.pk).region_id == tree.grid_b.pk
    assert not House.objects.filter(building=building).exclude(region=tree.grid_b).exists()
    assert Household.objects.filter(house__building=building, region=tree.grid_b).count() == 90
    assert Person.objects.filter(household__house__building=building).get().region_id == tree.grid_b.pk
    assert Person.objects.filter(household__house__building=block.buildings["YX-11"]).get().region_id == tree.grid_a.pk
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.region_id == tree.grid_b.pk and near.micro_grid_id is None
    assert far.region_id == tree.grid_a.pk
    grids = {g.code: g for g in Region.objects.filter(parent=tree.community)}
    assert grids[tree.grid_a.code].actual_households == 450 and grids[tree.grid_b.code].actual_households == 450
    # The point-to-grid lookup answers from the new boundaries at once.
    assert lookup.locate(building.lon, building.lat).grid_code == tree.grid_b.code
    assert lookup.locate(block.buildings["YX-11"].lon, block.buildings["YX-11"].lat).grid_code == tree.grid_a.code
    # The old division is kept as a version, with an audit row.
    snapshot = DivisionSnapshot.objects.get(proposal=proposal)
    assert snapshot.data["grids"][tree.grid_a.code]["boundary"] == old_boundary_a
    assert snapshot.data["buildings"]["YX-21"] == tree.grid_a.code
    assert snapshot.data["open_cases"] == {str(near.pk): [tree.grid_a.pk, None, tree.grid_a.pk]}
    entry = AuditEntry.objects.get(action="advisor.approve", target_id=str(proposal.pk))
    assert entry.detail["moved_households"] == 90 and entry.detail["open_cases"] == 1


def test_an_emptied_grid_hands_its_forces_and_rows_on(tree, block, users, settings):
    settings.YIWANG_ADVISOR_GRID_HOUSEHOLDS = (100, 1000)
    on_a = factories.assignment(tree.grid_a)
    stray = factories.person(tree.micro_a1)  # no household: follows the grid that takes grid 001's households
    plan = {code: tree.grid_b.code for code in block.grid_of}
    proposal = services.propose_division(community=tree.community, plan=plan, reason="合并", acting_user=users["street"])
    services.approve_division(proposal, acting_user=users["district"])
    on_a.refresh_from_db()
    stray.refresh_from_db()
    assert on_a.grid_id == tree.grid_b.pk and stray.region_id == tree.grid_b.pk
    assert Region.objects.get(pk=tree.grid_a.pk).boundary == ""  # kept (history points at it), with no area
    assert Region.objects.get(pk=tree.micro_a1.pk).boundary == ""
    snapshot = DivisionSnapshot.objects.get(proposal=proposal)
    assert snapshot.data["assignments"] == [[on_a.pk, tree.grid_a.pk]]


def test_a_new_grid_gets_the_next_free_code(tree, block, users, settings, django_capture_on_commit_callbacks):
    settings.YIWANG_ADVISOR_GRID_HOUSEHOLDS = (150, 500)
    plan = today_plan(tree, block)
    plan.update({"YX-11": "新网格1", "YX-12": "新网格1", "YX-13": "新网格1"})
    proposal = services.propose_division(community=tree.community, plan=plan, reason="新增网格", acting_user=users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_division(proposal, acting_user=users["district"])
    new = Region.objects.get(code=f"{tree.community.code}003")
    assert new.level == Level.GRID and new.parent_id == tree.community.pk and new.actual_households == 270 and new.boundary
    assert Building.objects.get(code="YX-11").region_id == new.pk
    assert lookup.locate(block.buildings["YX-12"].lon, block.buildings["YX-12"].lat).grid_code == new.code


def test_a_failure_midway_leaves_everything_as_it_was(proposal, tree, block, users, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("写入中断")

    monkeypatch.setattr(services.DivisionSnapshot.objects, "create", broken)
    before = Region.objects.get(pk=tree.grid_a.pk).boundary
    with pytest.raises(RuntimeError):
        services.approve_division(proposal, acting_user=users["district"])
    assert Building.objects.get(code="YX-21").region_id == tree.grid_a.pk
    assert Household.objects.filter(region=tree.grid_b).count() == 360
    assert Region.objects.get(pk=tree.grid_a.pk).boundary == before
    assert DivisionProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


def test_who_may_decide(proposal, tree, users, make_user):
    for who in ("community", "worker_a", "street"):  # the street proposed it: never its own approver
        with pytest.raises(PermissionDenied):
            services.approve_division(proposal, acting_user=users[who])
    another_street = make_user("other_street", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        services.approve_division(proposal, acting_user=another_street)
    assert not selectors.proposals_for(another_street).exists()
    assert selectors.may_decide(users["district"], proposal)


def test_who_may_propose(tree, block, users, make_user):
    plan = one_building_east(tree, block)
    for user in (users["community"], users["worker_a"], make_user("other_street", "street", tree.other_street)):
        with pytest.raises(PermissionDenied):
            services.propose_division(community=tree.community, plan=plan, reason="调整", acting_user=user)
    assert selectors.may_see_advisor(users["street"]) and not selectors.may_see_advisor(users["community"])


def test_rejection_needs_a_reason(proposal, users):
    with pytest.raises(ValidationError):
        services.reject_division(proposal, acting_user=users["district"], note=" ")
    services.reject_division(proposal, acting_user=users["district"], note="先征求社区意见")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    with pytest.raises(ValidationError):
        services.approve_division(proposal, acting_user=users["district"])


def test_a_stale_proposal_is_refused(proposal, tree, block, users):
    Building.objects.filter(code="YX-31").update(region=tree.grid_a)  # someone moved a building since
    with pytest.raises(ValidationError) as refused:
        services.approve_division(proposal, acting_user=users["district"])
    assert "网格划分已有变化" in str(refused.value)


@pytest.mark.parametrize(("change", "words"), [
    ({"YX-13": "500154003001002"}, "不相邻"),  # the west column's corner, cut off from the east grid
    ({"YX-21": "500154003001002", "YX-22": "500154003001002"}, "不在每格 300–500 户的范围内"),
    ({"YX-99": "500154003001002"}, "YX-99"),
    ({"YX-21": "500154001000001"}, "不是本社区的网格"),
])
def test_a_bad_plan_is_refused_naming_the_grid(tree, block, users, change, words):
    plan = {**today_plan(tree, block), **change}
    with pytest.raises(ValidationError) as refused:
        services.propose_division(community=tree.community, plan=plan, reason="调整", acting_user=users["street"])
    assert words in str(refused.value)
