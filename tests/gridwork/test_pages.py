"""The grid-work pages: the grid worker's phone page, recording a visit with a finding that opens a
case, errors next to the field, the coverage page for the community, care plans; residents kept out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.gridwork import factories as gw
from yiwang.gridwork.models import CarePlan, HomeVisit

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(tree):
    return gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=timezone.localdate() - timedelta(days=30))


def _form(**fields):
    data = {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "findings-TOTAL_FORMS": "1", "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0", "findings-MAX_NUM_FORMS": "20", "findings-0-urgency": "normal"}
    data.update(fields)
    return data


def test_grid_worker_home_shows_overdue_care_and_recent_records(client, tree, users, plan, tagged):
    tagged(tree.micro_a1, "elderly_alone", name="李奶奶")
    tagged(tree.micro_b1, "elderly_alone", name="隔壁网格")
    gw.patrollog(tree.grid_a, worker=users["worker_a"], summary="巡查滨湖路")
    client.force_login(users["worker_a"])
    page = client.get("/gridwork/").content.decode()
    assert "我的超期关爱走访" in page and "李奶奶" in page and "隔壁网格" not in page
    assert "巡查滨湖路" in page and "超期 23 天" in page


def test_recording_a_visit_opens_a_case_and_shows_it(client, tree, users, plan, tagged, matter):
    elder = tagged(tree.micro_a1, "elderly_alone", name="李奶奶")
    client.force_login(users["worker_a"])
    form = client.get(f"/gridwork/visits/new/?person={elder.pk}").content.decode()
    assert "李奶奶" in form and "checked" in form
    response = client.post("/gridwork/visits/new/", _form(region=tree.micro_a1.pk, persons=[elder.pk], summary="上门看望",
                                                          **{"findings-0-description": "楼上漏水纠纷", "findings-0-open_case": "on",
                                                             "findings-0-matter": matter.pk}), follow=True)
    page = response.content.decode()
    visit = HomeVisit.objects.get()
    case = visit.findings.get().case
    assert case is not None and f"立案 1 件：{case.number}" in page and "李奶奶" in page
    home = client.get("/gridwork/").content.decode()
    assert case.number in home and "没有超期的关爱对象" in home


def test_form_errors_are_shown_next_to_the_field_and_nothing_is_written(client, tree, users, charging):
    client.force_login(users["worker_a"])
    # A matter whose intake asks extra questions is not offered here (it goes through the report page).
    response = client.post("/gridwork/patrols/new/", _form(region=tree.grid_a.pk, summary="巡查",
                                                           **{"findings-0-description": "楼道充电", "findings-0-open_case": "on",
                                                              "findings-0-matter": charging.pk}))
    assert response.status_code == 200 and 'data-field="matter"' in response.content.decode()
    response = client.post("/gridwork/patrols/new/", _form(region=tree.grid_a.pk, summary="巡查", at="2020-01-01T08:00"))
    assert "只能补录 30 天内的记录" in response.content.decode()
    response = client.post("/gridwork/visits/new/", _form(region=tree.grid_a.pk, summary="", household_number="NOPE"))
    page = response.content.decode()
    assert "没有户编号 NOPE" in page and 'data-field="summary"' in page
    assert not HomeVisit.objects.exists()


def test_community_sees_coverage_per_grid_and_the_overdue_list(client, tree, users, plan, tagged):
    visited = tagged(tree.micro_a1, "elderly_alone", name="王大爷")
    tagged(tree.micro_b1, "elderly_alone", name="钱婆婆")
    gw.homevisit(tree.micro_a1, persons=[visited])
    client.force_login(users["community"])
    page = client.get("/gridwork/").content.decode()
    assert "重点对象关注覆盖率" in page and "钱婆婆" in page and "100.0%" in page and "0.0%" in page
    assert "worker_b" in page  # the grid worker of the overdue person's grid


def test_plans_page_sets_a_plan_and_residents_are_kept_out(client, tree, users):
    client.force_login(users["community"])
    response = client.post("/gridwork/plans/", {"region": tree.community.pk, "group": "disabled", "frequency_days": 14,
                                                "starts_on": timezone.localdate().isoformat(), "note": "每两周上门"}, follow=True)
    assert "已设置关爱计划" in response.content.decode()
    plan = CarePlan.objects.get(active=True)
    assert client.post(f"/gridwork/plans/{plan.pk}/end/").status_code == 302
    client.force_login(users["worker_a"])
    page = client.get("/gridwork/plans/").content.decode()
    assert "设置关爱计划" not in page and "残疾人" in page
    client.force_login(users["resident"])
    for url in ("/gridwork/", "/gridwork/care/", "/gridwork/visits/new/", "/gridwork/plans/"):
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get("/gridwork/").status_code == 302
