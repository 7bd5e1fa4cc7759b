"""The votes pages: a resident votes on the public page (errors next to the question, nothing
kept), staff build a ballot with questions, open it, see turnout, close it and export results."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.exports.helpers import export_via_job
from tests.votes.conftest import answers_for
from yiwang.exports.models import ExportJob
from yiwang.votes import services
from yiwang.votes.models import Ballot, Vote

pytestmark = pytest.mark.django_db


def _post_answers(ballot, **kwargs):
    data = {}
    for question_id, value in answers_for(ballot, **kwargs).items():
        data[f"q{question_id}"] = value
    return data


def test_visitor_is_asked_to_log_in_and_unregistered_account_to_register(client, make_user):
    response = client.get("/votes/public/")
    assert response.status_code == 200 and "请登录后参加" in response.content.decode()
    client.force_login(make_user("newcomer", "resident", None))
    assert "请先到社区登记本人信息" in client.get("/votes/public/").content.decode()


def test_resident_votes_once_on_the_page(client, make_ballot, people):
    ballot = make_ballot()
    client.force_login(people.zhang.user)
    listing = client.get("/votes/public/").content.decode()
    assert "2026年社区服务满意度调查" in listing and "待投票" in listing
    response = client.post(f"/votes/public/{ballot.pk}/", _post_answers(ballot))
    assert response.status_code == 302
    page = client.get(f"/votes/public/{ballot.pk}/").content.decode()
    assert "投票成功" in page and "您已投票" in page and "提交投票" not in page
    assert "已投票" in client.get("/votes/public/").content.decode()
    again = client.post(f"/votes/public/{ballot.pk}/", _post_answers(ballot, single="法律咨询"))
    assert again.status_code == 400 and "您已参加过本次投票，每人限投一次" in again.content.decode()
    assert Vote.objects.filter(ballot=ballot).count() == 1


def test_bad_answer_shows_under_its_question_and_keeps_the_rest(client, make_ballot, people):
    ballot = make_ballot()
    client.force_login(people.zhang.user)
    data = _post_answers(ballot)
    rating = ballot.questions.get(position=3)
    del data[f"q{rating.pk}"]
    response = client.post(f"/votes/public/{ballot.pk}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "第3题「总体满意度」为必答题" in html
    assert "多组织活动" in html  # the text typed is still there
    assert not Vote.objects.exists()


def test_resident_sees_results_only_after_publication(client, make_ballot, people, users):
    ballot = make_ballot(kind="honour", publish_on_close=False)
    services.cast_vote(ballot=ballot, person=people.li.person, answers=answers_for(ballot), acting_user=people.li.user)
    client.force_login(people.zhang.user)
    services.close_ballot(ballot, acting_user=users["community"])
    page = client.get(f"/votes/public/{ballot.pk}/").content.decode()
    assert "结果待公布" in page and "最高票" not in page
    services.publish_results(ballot, acting_user=users["community"])
    page = client.get(f"/votes/public/{ballot.pk}/").content.decode()
    assert "投票结果" in page and "老年食堂" in page and "1 票 · 100.0%" in page


def test_resident_of_another_grid_gets_404(client, make_ballot, people, tree):
    ballot = make_ballot(eligible_region=tree.grid_a)
    client.force_login(people.zhao.user)
    assert client.get(f"/votes/public/{ballot.pk}/").status_code == 404


def test_staff_build_open_close_and_export(client, users, tree, people):
    client.force_login(users["community"])
    now = timezone.localtime()
    response = client.post("/votes/new/", {
        "title": "滨湖小区1栋加装电梯意见征集", "kind": "general", "region": tree.community.code, "eligible_building": "YX-B1",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "publish_on_close": "on"})
    assert response.status_code == 302, response.content.decode()
    ballot = Ballot.objects.get()
    assert ballot.eligible_building == people.b1
    response = client.post(f"/votes/{ballot.pk}/questions/", {"text": "是否同意加装电梯", "kind": "single", "required": "on",
                                                              "options": "同意\n不同意\n弃权"})
    assert response.status_code == 302
    bad = client.post(f"/votes/{ballot.pk}/questions/", {"text": "多选", "kind": "multiple", "max_choices": "5", "options": "甲\n乙"})
    assert bad.status_code == 400 and "最多可选5项，但只有2个选项" in bad.content.decode()
    client.post(f"/votes/{ballot.pk}/open/")
    ballot.refresh_from_db()
    assert ballot.status == "open"
    question = ballot.questions.get()
    services.cast_vote(ballot=ballot, person=people.zhang.person, answers={question.pk: question.options.get(label="同意").pk},
                       acting_user=people.zhang.user)
    page = client.get(f"/votes/{ballot.pk}/").content.decode()
    assert "已投 1 人 / 范围内登记居民 2 人（50.0%）" in page and "结果在截止后可见" in page
    assert client.get(f"/votes/{ballot.pk}/export.xlsx").status_code == 302  # not before closing
    assert client.post(f"/votes/{ballot.pk}/export.xlsx").status_code == 302 and not ExportJob.objects.exists()
    client.post(f"/votes/{ballot.pk}/close/")
    sheet = load_workbook(io.BytesIO(export_via_job(client, f"/votes/{ballot.pk}/export.xlsx").content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == ("题目", "选项/内容", "票数/人数", "占比%/平均分")
    assert ("1. 是否同意加装电梯", "同意", 1, 100) in rows
    assert ("参与率", "永先社区第1网格", 1, 50) in rows


def test_grid_worker_cannot_open_a_community_ballot_and_neighbour_cannot_see_it(client, users, make_ballot, tree):
    ballot = make_ballot(open_it=False)
    client.force_login(users["worker_a"])
    assert client.post(f"/votes/{ballot.pk}/open/").status_code == 404
    other = services.create_ballot(acting_user=users["worker_b"], region=tree.grid_b, title="第2网格问卷", eligible_region=tree.grid_b,
                                   opens_at=timezone.now(), closes_at=timezone.now() + timedelta(days=1))
    assert client.get(f"/votes/{other.pk}/").status_code == 404
    assert "第2网格问卷" not in client.get("/votes/").content.decode()


def test_grid_projects_page_creates_one_ballot_per_grid(client, users, tree):
    client.force_login(users["community"])
    page = client.get("/votes/grid-projects/", {"community": tree.community.code}).content.decode()
    assert "永先社区第1网格" in page and "永先社区第2网格" in page
    now = timezone.localtime()
    data = {"community": tree.community.code, "period": "2026年上半年", "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            f"grid_{tree.grid_a.pk}": "加装电梯\n路灯更换", f"grid_{tree.grid_b.pk}": "只有一个"}
    response = client.post("/votes/grid-projects/", data)
    assert response.status_code == 400 and "永先社区第2网格：请至少列出两个候选项目" in response.content.decode()
    assert not Ballot.objects.exists()
    data[f"grid_{tree.grid_b.pk}"] = "停车棚\n口袋公园"
    assert client.post("/votes/grid-projects/", data).status_code == 302
    assert sorted(Ballot.objects.values_list("eligible_region__code", "status")) == [(tree.grid_a.code, "open"), (tree.grid_b.code, "open")]



def test_admin_lists_ballots_in_scope_only(client, users, tree):
    now = timezone.now()
    mine = services.create_ballot(acting_user=users["worker_a"], region=tree.grid_a, title="第1网格问卷", eligible_region=tree.grid_a,
                                  opens_at=now, closes_at=now + timedelta(days=1))
    services.create_ballot(acting_user=users["worker_b"], region=tree.grid_b, title="第2网格问卷", eligible_region=tree.grid_b,
                           opens_at=now, closes_at=now + timedelta(days=1))
    client.force_login(users["community"])
    page = client.get("/admin/votes/ballot/").content.decode()
    assert "第1网格问卷" in page and "第2网格问卷" in page
    client.force_login(users["street"])
    assert client.get(f"/admin/votes/ballot/{mine.pk}/change/").status_code == 200
