"""Pages: the resident's page in its three situations, the staff list, topic and meeting pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.deliberation import flow
from yiwang.deliberation.models import Topic

pytestmark = pytest.mark.django_db


def test_the_public_page_asks_visitors_to_log_in_and_unregistered_residents_to_register(client, people):
    response = client.get(reverse("deliberation:public"))
    assert response.status_code == 200 and "请先登录" in response.content.decode()
    client.force_login(people.nobody)
    assert "请先到社区登记本人信息" in client.get(reverse("deliberation:public")).content.decode()


def test_a_resident_raises_and_follows_a_topic(client, people, users):
    client.force_login(people.resident)
    response = client.post(reverse("deliberation:public"), {"title": "", "description": ""})
    assert response.status_code == 400 and "请填写议题" in response.content.decode()
    response = client.post(reverse("deliberation:public"), {"title": "电梯异响", "description": "2单元电梯"}, follow=True)
    page = response.content.decode()
    assert "电梯异响" in page and "居民提事" in page
    topic = Topic.objects.get()
    assert client.get(reverse("deliberation:public")).content.decode().count("电梯异响") == 1
    # A neighbour does not see it before it is decided.
    client.force_login(people.neighbour)
    assert client.get(reverse("deliberation:public-topic", args=[topic.pk])).status_code == 404


def test_staff_pages_walk_the_steps(client, tree, people, users):
    topic = flow.raised(people)
    client.force_login(users["worker_a"])
    page = client.get(reverse("deliberation:index")).content.decode()
    assert topic.title in page
    client.post(reverse("deliberation:topic-act", args=[topic.pk, "accept"]))
    response = client.post(reverse("deliberation:topic-act", args=[topic.pk, "grid"]), {
        "held_on": timezone.localdate().isoformat(), "support": "9", "oppose": "1", "summary": "同意", "outcome": "refer"}, follow=True)
    assert "待协商定事" in response.content.decode()
    client.force_login(users["community"])
    response = client.post(reverse("deliberation:meetings"), {
        "region": tree.community.pk, "title": "五月协商议事会", "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "议事亭",
        "topics": [topic.pk]}, follow=True)
    page = response.content.decode()
    assert "五月协商议事会" in page and topic.title in page
    meeting = topic.agenda_items.get().meeting
    client.post(reverse("deliberation:meeting-act", args=[meeting.pk, "minutes"]), {"minutes": "一致同意"})
    client.post(reverse("deliberation:meeting-act", args=[meeting.pk, "attendee"]), {"kind": "party_member", "name": "马江"})
    client.post(reverse("deliberation:meeting-act", args=[meeting.pk, "decide"]),
                {"item": topic.agenda_items.get().pk, "decision": "agreed", "decision_text": "加装照明"})
    page = client.get(reverse("deliberation:meeting", args=[meeting.pk])).content.decode()
    assert "一致同意" in page and "马江" in page and "加装照明" in page
    response = client.post(reverse("deliberation:topic-act", args=[topic.pk, "project"]),
                           {"title": "加装照明", "owner_unit": "居委会", "milestones": "采购 2030-01-01\n安装"}, follow=True)
    page = response.content.decode()
    assert "联动办事" in page and "采购" in page and "安装" in page
    # Someone outside the grid's scope: 404.
    client.force_login(users["worker_b"])
    assert client.get(reverse("deliberation:topic", args=[topic.pk])).status_code == 404


def test_a_refused_step_says_why_on_the_page(client, people, users):
    topic = flow.in_grid(people, users["worker_a"])
    client.force_login(users["worker_a"])
    response = client.post(reverse("deliberation:topic-act", args=[topic.pk, "grid"]), {"outcome": "answer"}, follow=True)
    page = response.content.decode()
    assert "网格直接答复须填写答复内容" in page
    assert Topic.objects.get().state == "grid_discussion"


def test_a_grid_worker_reads_the_community_meeting_that_decided_their_grids_topic(client, tree, people, users):
    topic = flow.decided(tree, people, users)
    meeting = topic.agenda_items.get().meeting
    client.force_login(users["worker_a"])
    page = client.get(f"/deliberation/meetings/{meeting.pk}/")
    assert page.status_code == 200 and "由社区联系供电公司加装路灯" in page.content.decode()
    # A meeting with no topic of theirs stays hidden.
    other = flow.meeting_for(tree, users["community"], [])
    assert client.get(f"/deliberation/meetings/{other.pk}/").status_code == 404
