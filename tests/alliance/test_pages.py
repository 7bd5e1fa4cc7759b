"""The alliance pages: what staff see, the project form from a need, marking a milestone done,
recording a meeting, and scope (another street gets 404, residents are refused)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.alliance.models import AllianceProject

pytestmark = pytest.mark.django_db
TODAY = date.today()


def test_index_and_detail_show_the_alliance(client, setup, users):
    client.force_login(users["street"])
    page = client.get("/alliance/").content.decode()
    assert "云枫街道党建联盟" in page
    page = client.get(f"/alliance/{setup.alliance.pk}/").content.decode()
    for text in ("燃气公司", "区人民医院", "独居老人燃气安全", "供电所党员活动室", "本季度尚未召开", "记录联席会议"):
        assert text in page, text


def test_project_from_need_page_then_milestone_done(client, setup, users):
    client.force_login(users["street"])
    url = f"/alliance/needs/{setup.need.pk}/"
    form = {"title": "燃气安全进万家", "lead": setup.gas.pk, "cooperating": [setup.power.pk], "starts_on": str(TODAY),
            "milestone_1_title": "摸排", "milestone_1_due_on": str(TODAY - timedelta(days=3))}
    page = client.post(url, form).content.decode()
    assert "计划完成日期不能早于项目开始日期" in page and AllianceProject.objects.count() == 0
    form["milestone_1_due_on"] = str(TODAY + timedelta(days=3))
    response = client.post(url, form)
    project = AllianceProject.objects.get()
    assert response.status_code == 302 and response.url == f"/alliance/projects/{project.pk}/"
    milestone = project.milestones.get()
    client.post(f"/alliance/milestones/{milestone.pk}/done/", {"done_on": str(TODAY), "note": "完成"})
    page = client.get(f"/alliance/projects/{project.pk}/").content.decode()
    assert "已完成" in page and "进度 100%" in page


def test_meeting_form_and_unit_page(client, setup, users):
    client.force_login(users["street"])
    url = f"/alliance/{setup.alliance.pk}/meetings/new/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"held_on": str(TODAY), "topic": "季度联席会议", "minutes": "纪要", "attendees": [setup.gas.pk],
                                 "decision_1_text": "开展义诊", "decision_1_title": "社区义诊", "decision_1_lead": setup.hospital.pk})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "社区义诊" in page and "区人民医院" in page
    page = client.get(f"/alliance/units/{setup.hospital.pk}/").content.decode()
    assert "社区义诊" in page and "不在部门库中" in page


def test_scope_of_pages(client, setup, users, tree, make_user):
    client.force_login(users["worker_a"])
    assert client.get(f"/alliance/{setup.alliance.pk}/").status_code == 200
    assert client.get(f"/alliance/{setup.alliance.pk}/meetings/new/").status_code == 403
    other = make_user("other_street", "street", tree.other_street)
    client.force_login(other)
    assert client.get(f"/alliance/{setup.alliance.pk}/").status_code == 404
    assert client.get(f"/alliance/needs/{setup.need.pk}/").status_code == 404
    client.force_login(users["resident"])
    assert client.get("/alliance/").status_code == 403


def test_a_refused_decision_points_at_its_row(client, setup, users):
    client.force_login(users["street"])
    url = f"/alliance/{setup.alliance.pk}/meetings/new/"
    # Row 1 left empty, row 2 names a project without a lead: the error sits at row 2's lead.
    page = client.post(url, {"held_on": str(TODAY), "topic": "季度联席会议", "minutes": "纪要", "attendees": [setup.gas.pk],
                             "decision_2_text": "硬化路面", "decision_2_title": "路面硬化"}).content.decode()
    assert 'data-field="decision_2_lead"' in page and "请选择牵头单位" in page


def test_a_grid_worker_reads_a_project_of_the_alliance_they_see(client, setup, users, tree, make_user):
    from yiwang.alliance import services
    from yiwang.alliance.services import ProjectInput

    # A street-wide project (no grid): outside worker_b's grid, yet named on the alliance's pages.
    project = services.create_project(setup.alliance, ProjectInput(title="汛期巡河护堤", lead=setup.power, region=tree.street),
                                      acting_user=users["street"])
    client.force_login(users["worker_b"])
    assert "汛期巡河护堤" in client.get(f"/alliance/projects/{project.pk}/").content.decode()
    client.force_login(make_user("other_street", "street", tree.other_street))
    assert client.get(f"/alliance/projects/{project.pk}/").status_code == 404
