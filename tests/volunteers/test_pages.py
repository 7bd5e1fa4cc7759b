"""The pages: the member's phone page (register, claim, figures), the community page (confirm,
record, evaluate, .docx), the per-organization list, and scope (404 outside it)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from docx import Document

from tests.exports.helpers import export_via_job, forms_nest
from yiwang.volunteers import services
from yiwang.volunteers.models import Evaluation, Registration, ServiceTask, TaskClaim

pytestmark = pytest.mark.django_db


def test_resident_without_registry_row_gets_a_clear_message(client, users):
    client.force_login(users["resident"])
    response = client.get("/volunteers/mine/")
    assert response.status_code == 200
    assert "请先到社区登记本人信息" in response.content.decode()
    # The staff page sends residents to their own page.
    assert client.get("/volunteers/").url == "/volunteers/mine/"


def test_member_registers_and_claims_on_the_phone_page(client, member, member_user, staff, posts, make_task):
    client.force_login(member_user)
    page = client.get("/volunteers/mine/").content.decode()
    assert "向居住地社区（永先社区）报到" in page and "政策宣传员" in page and "余2个名额" in page
    response = client.post("/volunteers/mine/register/", {"posts": [posts[0].pk], "note": "会摄影"}, follow=True)
    assert "已向社区报到，待社区确认。" in response.content.decode()
    registration = Registration.objects.get(member=member)
    assert registration.status == "pending" and list(registration.posts.all()) == [posts[0]]

    client.force_login(staff)
    assert member.person.name in client.get("/volunteers/").content.decode()
    client.post(f"/volunteers/registrations/{registration.pk}/confirm/")
    registration.refresh_from_db()
    assert registration.status == "confirmed"

    task = make_task(places=2, title="楼道清扫")
    client.force_login(member_user)
    page = client.get("/volunteers/mine/").content.decode()
    assert "楼道清扫" in page and "已认领0/2" in page
    response = client.post(f"/volunteers/mine/tasks/{task.pk}/claim/", follow=True)
    assert "已认领“楼道清扫”" in response.content.decode()
    assert TaskClaim.objects.filter(task=task, person=member.person, status="claimed").exists()


def test_rejection_needs_a_reason_and_says_so(client, member, member_user, staff):
    registration = services.register_member(member=member, acting_user=member_user)
    client.force_login(staff)
    response = client.post(f"/volunteers/registrations/{registration.pk}/reject/", {"reason": ""}, follow=True)
    assert "请填写退回原因" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "pending"


def test_community_records_completion_and_issues_the_evaluation(client, tree, confirmed, member, member_user, staff, make_task):
    task = make_task(places=2, hours="3.0", title="关爱空巢老人")
    claim = services.claim_task(task=task, person=member.person, acting_user=member_user)
    ServiceTask.objects.filter(pk=task.pk).update(starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1))
    client.force_login(staff)
    page = client.get(f"/volunteers/tasks/{task.pk}/").content.decode()
    assert f'name="hours-{claim.pk}"' in page
    response = client.post(f"/volunteers/tasks/{task.pk}/", {"action": "record", f"hours-{claim.pk}": "2.5"}, follow=True)
    assert "已登记完成情况" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.hours, claim.points) == ("completed", claim.hours.__class__("2.5"), 25)

    form = client.get(f"/volunteers/registrations/{confirmed.pk}/evaluate/").content.decode()
    assert "本年度服务积分25分" in form and "按数据建议等次：基本合格" in form
    client.post(f"/volunteers/registrations/{confirmed.pk}/evaluate/", {"grade": "excellent", "comment": "服务热情"})
    evaluation = Evaluation.objects.get(registration=confirmed)
    assert (evaluation.grade, evaluation.hours, evaluation.points) == ("excellent", evaluation.hours.__class__("2.5"), 25)
    assert not forms_nest(client.get(f"/volunteers/registrations/{confirmed.pk}/evaluate/").content.decode())
    download = export_via_job(client, f"/volunteers/evaluations/{evaluation.pk}.docx")
    assert download.job.filename == f"{evaluation.year}年度双报到评价-{member.person.name}.docx"
    cells = {row.cells[0].text: row.cells[1].text for row in Document(io.BytesIO(download.content)).tables[0].rows}
    assert cells["姓名"] == member.person.name and cells["服务时长"] == "2.5小时" and cells["评价等次"] == "优秀"

    # The member sees the hours, points and stars on their page.
    client.force_login(member_user)
    page = client.get("/volunteers/mine/").content.decode()
    assert 'data-testid="my-hours">2.5<' in page and 'data-testid="my-points">25<' in page and "★☆☆☆☆" in page


def test_organization_list_and_export(client, tree, confirmed, member, staff, make_user):
    services.issue_evaluation(confirmed, acting_user=staff, grade="competent", comment="按要求参加服务")
    # The street where the member's own organization sits sees it, whichever community issued it.
    client.force_login(make_user("street_viewer", "street", tree.street))
    page = client.get("/volunteers/evaluations/", {"org": member.organization.pk}).content.decode()
    assert member.person.name in page and "合格" in page and not forms_nest(page)
    export = export_via_job(client, f"/volunteers/evaluations/?org={member.organization.pk}&format=docx")
    summary = Document(io.BytesIO(export.content)).tables[0]
    assert summary.rows[1].cells[0].text == member.person.name
    # Another street sees neither the organization nor the document.
    client.force_login(make_user("hanfeng", "street", tree.other_street))
    assert member.person.name not in client.get("/volunteers/evaluations/", {"org": member.organization.pk}).content.decode()
    assert client.get(f"/volunteers/evaluations/{confirmed.evaluation.pk}.docx").status_code == 404
    assert client.post(f"/volunteers/evaluations/{confirmed.evaluation.pk}.docx").status_code == 404


def test_pages_outside_scope_are_404(client, tree, confirmed, users, make_task, make_user):
    task = make_task()
    outsider = make_user("hanfeng", "street", tree.other_street)
    client.force_login(outsider)
    assert client.get(f"/volunteers/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/volunteers/registrations/{confirmed.pk}/evaluate/").status_code == 404
    assert client.post(f"/volunteers/registrations/{confirmed.pk}/confirm/").status_code == 404
    assert confirmed.person.name not in client.get("/volunteers/").content.decode()
    # A grid worker of the other grid does not see a member of grid A.
    client.force_login(users["worker_b"])
    assert confirmed.person.name not in client.get("/volunteers/").content.decode()
    client.force_login(users["worker_a"])
    assert confirmed.person.name in client.get("/volunteers/").content.decode()


def test_staff_posts_a_task_with_field_errors(client, tree, staff):
    client.force_login(staff)
    starts = timezone.localtime() + timedelta(days=2)
    data = {"region": tree.community.pk, "title": "清扫", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "places": 3, "hours": "2", "open_to_volunteers": "on"}
    response = client.post("/volunteers/tasks/new/", data)
    assert response.status_code == 400 and "结束时间须晚于开始时间" in response.content.decode()
    data["ends_at"] = (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/volunteers/tasks/new/", data)
    task = ServiceTask.objects.get()
    assert response.url == f"/volunteers/tasks/{task.pk}/" and task.community == tree.community
