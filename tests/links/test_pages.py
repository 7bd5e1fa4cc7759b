"""The links pages as a person reads them: statuses in words, the visit form with problem rows
(errors put back on the row), the gaps page, setting up and ending a link, scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.links.factories import link as make_link
from tests.links.factories import linkvisit
from yiwang.cases.models import Case
from yiwang.links.models import Link, LinkVisit

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_index_shows_each_link_with_its_status(client, users, tree, units):
    missed = make_link(tree.grid_a, leader_name="王书记", starts_on=date(2024, 1, 1))
    fresh = Link.objects.create(kind="department", region=tree.grid_b, department=units.department, starts_on=timezone.localdate())
    client.force_login(users["community"])
    page = text(client.get("/links/"))
    assert f'data-link="{missed.pk}" data-status="missed"' in page and "王书记(街道党工委委员)" in page
    assert f'data-link="{fresh.pk}" data-status="new"' in page and "开州区财政局" in page
    assert "未达频次 1" in page
    only_departments = text(client.get("/links/", {"kind": "department"}))
    assert "开州区财政局" in only_departments and "王书记" not in only_departments
    only_missed = text(client.get("/links/", {"status": "missed"}))
    assert "王书记" in only_missed and "开州区财政局" not in only_missed


def test_pages_are_scoped(client, users, tree):
    mine, neighbours = make_link(tree.grid_a, leader_name="甲领导"), make_link(tree.grid_b, leader_name="乙领导")
    client.force_login(users["worker_a"])
    page = text(client.get("/links/"))
    assert "甲领导" in page and "乙领导" not in page
    assert client.get(f"/links/{mine.pk}/").status_code == 200
    for url in (f"/links/{neighbours.pk}/", f"/links/{neighbours.pk}/visit/"):
        assert client.get(url).status_code == 404
    client.force_login(users["resident"])
    assert client.get("/links/").status_code == 403
    client.logout()
    assert client.get("/links/").status_code == 302


def test_record_a_visit_with_a_problem_that_opens_a_case(client, users, tree, matter):
    link = make_link(tree.grid_a, starts_on=date(2024, 1, 1))
    client.force_login(users["worker_a"])
    form = text(client.get(f"/links/{link.pk}/visit/"))
    assert "记录走访" in form and 'name="problems-TOTAL_FORMS"' in form and "邻里纠纷（S0001）" in form
    assert "电动车违规充电（S0004）" not in form  # it asks a required question the visit form cannot
    at = timezone.localtime() - timedelta(hours=1)
    response = client.post(f"/links/{link.pk}/visit/", {
        "at": at.strftime("%Y-%m-%dT%H:%M"), "mode": "in_grid", "i_went": "on", "visitor_names": "刘局长", "summary": "驻格一天",
        "problems-TOTAL_FORMS": "3", "problems-INITIAL_FORMS": "0",
        "problems-0-description": "楼道杂物", "problems-1-description": "邻里因噪音争执", "problems-1-open_case": "on",
        "problems-1-matter": str(matter.pk), "problems-2-description": "",
    })
    assert response.status_code == 302 and response["Location"] == f"/links/{link.pk}/"
    case = Case.objects.get(external_source="link")
    page = text(client.get(f"/links/{link.pk}/"))
    assert f"已立案 <a class=\"mono\" href=\"/cases/{case.number}/\"" in page
    assert f"已记录走访，立案 1 件：{case.number}" in page
    assert "楼道杂物" in page and "驻格" in page and "刘局长" in page
    visit = LinkVisit.objects.get()
    assert visit.visitor == users["worker_a"] and visit.problems.count() == 2


def test_a_refused_problem_is_shown_on_its_row_and_nothing_is_saved(client, users, tree, matter):
    link = make_link(tree.grid_a, starts_on=date(2024, 1, 1))
    client.force_login(users["worker_a"])
    response = client.post(f"/links/{link.pk}/visit/", {
        "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "face_to_face", "summary": "走访",
        "problems-TOTAL_FORMS": "2", "problems-INITIAL_FORMS": "0",
        "problems-0-description": "积水", "problems-0-open_case": "on", "problems-0-matter": str(matter.pk),
        "problems-1-description": "", "problems-1-open_case": "on",  # ticked without a matter or a description
    })
    page = text(response)
    assert "立案须选择事项类型" in page and "请描述问题" in page
    assert LinkVisit.objects.count() == 0 and not Case.objects.filter(external_source="link").exists()


def test_a_community_link_asks_for_the_grid_of_each_case(client, users, tree, matter):
    link = Link.objects.create(kind="district_leader", region=tree.community, leader_name="张区长", starts_on=date(2024, 1, 1))
    client.force_login(users["community"])
    form = text(client.get(f"/links/{link.pk}/visit/"))
    assert "问题所在网格" in form and "永先社区 · 永先社区第2网格" in form
    response = client.post(f"/links/{link.pk}/visit/", {
        "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "face_to_face", "summary": "调研",
        "problems-TOTAL_FORMS": "1", "problems-INITIAL_FORMS": "0",
        "problems-0-description": "停车无序", "problems-0-open_case": "on", "problems-0-matter": str(matter.pk),
    })
    assert "社区联点立案须选择问题所在网格" in text(response)
    assert LinkVisit.objects.count() == 0


def test_gaps_page_lists_missed_links_and_unlinked_regions(client, users, tree):
    missed = make_link(tree.grid_a, leader_name="王书记", starts_on=date(2024, 1, 1))
    on_track = make_link(tree.grid_a, leader_name="李主任", starts_on=date(2024, 1, 1))
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    linkvisit(tree.grid_a, link=on_track, at=timezone.make_aware(datetime.combine(last_month, time(9))))
    client.force_login(users["street"])
    page = text(client.get("/links/gaps/"))
    missed_part = page.split('data-testid="missed"')[1].split("</ul>")[0]
    assert f'data-link="{missed.pk}"' in missed_part and "李主任" not in missed_part
    unlinked = page.split('data-testid="unlinked"')[1].split("</ul>")[0]
    assert f'data-code="{tree.grid_b.code}"' in unlinked and f'data-code="{tree.community.code}"' in unlinked
    assert f'data-code="{tree.grid_a.code}"' not in unlinked
    units_gap = text(client.get("/links/gaps/", {"kind": "unit"})).split('data-testid="unlinked"')[1].split("</ul>")[0]
    assert f'data-code="{tree.grid_a.code}"' in units_gap and "已有：街道领导联点网格" in units_gap


def test_set_up_and_end_a_link_from_the_pages(client, users, tree, units):
    client.force_login(users["street"])
    form = text(client.get("/links/new/"))
    assert "开州区财政局" in form and "云枫街道物业行业党支部" in form
    assert "汉丰街道商圈党支部" not in form  # a branch of another street
    response = client.post("/links/new/", {"kind": "party_branch", "region": tree.grid_b.pk, "party_organization": units.branch.pk,
                                           "contacts_required": "2", "period": "month", "starts_on": timezone.localdate().isoformat(),
                                           "cadence_note": "每月两次入格"})
    link = Link.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/links/{link.pk}/"
    # The grid is taken: the form says so on the region field.
    again = text(client.post("/links/new/", {"kind": "department", "region": tree.grid_b.pk, "department": units.department.pk,
                                             "contacts_required": "1", "period": "month", "starts_on": timezone.localdate().isoformat()}))
    assert "一个网格只能有一个联点单位" in again
    detail = text(client.get(f"/links/{link.pk}/"))
    assert "结束联点" in detail and "每月至少2次" in detail
    client.post(f"/links/{link.pk}/end/", {"ends_on": timezone.localdate().isoformat(), "reason": "调整"})
    link.refresh_from_db()
    assert not link.active and link.end_reason == "调整"
    # Grid workers neither set up links nor see the button.
    client.force_login(users["worker_b"])
    assert client.get("/links/new/").status_code == 403
    assert "新建联点" not in text(client.get("/links/"))


def test_the_link_page_changes_a_and_b(client, users, tree, units):
    from yiwang.links import services as link_services

    link = link_services.create_link(acting_user=users["street"], kind="department", region=tree.grid_a, department=units.department)
    client.force_login(users["street"])
    page = client.get(f"/links/{link.pk}/").content.decode()
    assert "调整AB角" in page
    response = client.post(f"/links/{link.pk}/roles/", {"primary": users["worker_a"].pk, "backup": users["community"].pk})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.primary, link.backup) == (users["worker_a"], users["community"])
    same = client.post(f"/links/{link.pk}/roles/", {"primary": users["worker_a"].pk, "backup": users["worker_a"].pk}, follow=True)
    assert "B角不能与A角是同一人" in same.content.decode()
    link.refresh_from_db()
    assert link.backup == users["community"]
