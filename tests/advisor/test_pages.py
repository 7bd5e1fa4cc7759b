"""The advisor's pages: who sees them, the side-by-side figures, proposing from the form, deciding."""

from __future__ import annotations

import json

import pytest

from yiwang.advisor.models import DivisionProposal, ProposalStatus
from yiwang.registry.models import Building

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solve(settings):
    settings.YIWANG_ADVISOR_PAGE_SECONDS = 10


def test_street_sees_today_and_the_proposal(client, tree, block, busy_west, users):
    client.force_login(users["street"])
    index = client.get("/advisor/")
    assert index.status_code == 200 and "永先社区" in index.content.decode()
    page = client.get(f"/advisor/{tree.community.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="map-current"' in html and 'data-testid="map-proposed"' in html
    layers = page.context["layers"]
    assert len(layers["current"]["features"]) == 2 and len(layers["proposed"]["features"]) == 2
    assert {b["code"] for b in layers["buildings"]} == set(block.buildings)
    assert page.context["proposed"].spread < page.context["current"].spread
    assert 'name="b:YX-21"' in html


@pytest.mark.parametrize(("who", "status"), [("community", 403), ("worker_a", 403), ("resident", 403)])
def test_below_the_street_may_not_open_it(client, tree, block, users, who, status):
    client.force_login(users[who])
    assert client.get("/advisor/").status_code == status
    assert client.get(f"/advisor/{tree.community.code}/").status_code == status


def test_another_streets_staff_cannot_see_the_community_or_its_proposals(client, tree, block, users, make_user):
    proposal = DivisionProposal.objects.create(community=tree.community, plan={}, basis="-", reason="测试")
    client.force_login(make_user("other_street", "street", tree.other_street))
    assert client.get(f"/advisor/{tree.community.code}/").status_code == 404
    assert client.get(f"/advisor/proposals/{proposal.pk}/").status_code == 404
    assert "永先社区" not in client.get("/advisor/").content.decode()


def test_propose_from_the_form_then_the_district_approves(client, tree, block, users):
    plan = {f"b:{code}": grid.code for code, grid in block.grid_of.items()}
    plan["b:YX-21"] = tree.grid_b.code
    client.force_login(users["street"])
    answer = client.post(f"/advisor/{tree.community.code}/propose/", {**plan, "reason": "001网格超过500户"})
    assert answer.status_code == 303
    proposal = DivisionProposal.objects.get()
    assert proposal.plan["YX-21"] == tree.grid_b.code and proposal.proposed_by == users["street"]
    detail = client.get(answer["Location"])
    assert detail.status_code == 200 and not detail.context["may_decide"]
    # The proposer cannot approve; a community worker cannot even see the page.
    client.post(f"/advisor/proposals/{proposal.pk}/approve/")
    assert DivisionProposal.objects.get().status == ProposalStatus.PROPOSED
    client.force_login(users["community"])
    assert client.post(f"/advisor/proposals/{proposal.pk}/approve/").status_code == 403
    client.force_login(users["district"])
    page = client.get(f"/advisor/proposals/{proposal.pk}/")
    assert page.context["may_decide"] and page.context["layers"]["proposed"]["features"]
    assert client.post(f"/advisor/proposals/{proposal.pk}/approve/", {"note": "同意"}).status_code == 303
    assert DivisionProposal.objects.get().status == ProposalStatus.APPROVED
    assert Building.objects.get(code="YX-21").region_id == tree.grid_b.pk


def test_a_bad_plan_comes_back_with_the_reason(client, tree, block, users):
    plan = {f"b:{code}": grid.code for code, grid in block.grid_of.items()}
    plan["b:YX-13"] = tree.grid_b.code
    client.force_login(users["street"])
    answer = client.post(f"/advisor/{tree.community.code}/propose/", {**plan, "reason": "调整"})
    assert answer.status_code == 400
    assert "不相邻" in answer.content.decode()
    assert not DivisionProposal.objects.exists()
    # The form keeps what the street typed.
    assert 'name="b:YX-13" value="500154003001002"' in answer.content.decode()


def test_a_grid_or_unknown_code_is_not_found(client, tree, users):
    client.force_login(users["street"])
    assert client.get(f"/advisor/{tree.grid_a.code}/").status_code == 404
    assert client.get("/advisor/999999999999/").status_code == 404


def test_layers_are_plain_json(client, tree, block, users):
    client.force_login(users["street"])
    html = client.get(f"/advisor/{tree.community.code}/").content.decode()
    start = html.index('id="advisor-layers"')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    assert json.loads(body)["buildings"]
