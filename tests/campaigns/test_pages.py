"""Campaign pages: the street creates a campaign from the form and publishes it (a refusal shows
the reason), a grid worker sees the work list and records a check (a failed item opens a case),
and the street sees progress per grid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.campaigns.models import Campaign, ItemResult, Status

from .conftest import matter

pytestmark = pytest.mark.django_db


def test_street_creates_and_publishes_from_the_pages(client, users, places, grid_list, tree):
    client.force_login(users["street"])
    page = client.get(reverse("campaigns:new"))
    assert page.status_code == 200 and "WG-02 安全隐患排查" in page.content.decode()
    form = {"title": "三合一燃气排查", "owner": tree.street.pk, "task_key": "WG-02", "starts_on": "2026-06-01", "ends_on": "2026-06-30",
            "target_kind": "place", "place_kinds": ["three_in_one"], "item_1_text": "燃气软管无老化", "item_1_matter": matter("S0003").pk,
            "item_2_text": "", "picks": "便利店"}
    response = client.post(reverse("campaigns:new"), form)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.targets.count() == 4  # three 三合一 places and the picked shop
    detail = client.get(response.url).content.decode()
    assert "下发到网格" in detail and "永先社区第1网格" in detail
    published = client.post(reverse("campaigns:publish", args=[campaign.pk]), follow=True).content.decode()
    assert "已下发到网格" in published and "排查中" in published


def test_form_errors_are_shown_next_to_the_fields(client, users, places, grid_list, tree):
    client.force_login(users["street"])
    form = {"title": "x", "owner": tree.street.pk, "task_key": "WG-02", "starts_on": "2026-06-05", "ends_on": "2026-06-01",
            "target_kind": "place", "place_kinds": ["three_in_one"], "item_1_text": "燃气"}
    page = client.post(reverse("campaigns:new"), form).content.decode()
    assert "结束日期不能早于开始日期" in page and "请选择不合格时立案的事项" in page
    page = client.post(reverse("campaigns:new"), form | {"picks": "不存在的店"}).content.decode()
    assert "找不到（或有重名）：不存在的店" in page
    assert not Campaign.objects.exists()


def test_publish_refusal_is_shown_with_the_reason(client, users, draft):
    draft.task_key = "WG-09"
    draft.save()
    client.force_login(users["street"])
    page = client.post(reverse("campaigns:publish", args=[draft.pk]), follow=True).content.decode()
    assert "下发失败" in page and "永先社区第1网格" in page and "任务 WG-09 不在《开州区网格任务清单》第1版之内" in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_grid_worker_checks_a_target_and_a_failed_item_opens_a_case(client, users, published, places):
    client.force_login(users["worker_a"])
    assert "我的排查任务" in client.get(reverse("campaigns:index")).content.decode()
    mine = client.get(reverse("campaigns:mine")).content.decode()
    assert "老王小吃店" in mine and "李记五金" in mine and "张姐麻辣烫" not in mine
    target = published.targets.get(place=places["a1"])
    items = list(published.items.order_by("number"))
    form = {f"result_{items[0].pk}": "pass", f"result_{items[1].pk}": "fail", f"note_{items[1].pk}": "没有报警器"}
    page = client.post(reverse("campaigns:check", args=[target.pk]), form).content.decode()
    assert "请选择结果" in page  # item 3 left out: nothing written
    assert not ItemResult.objects.exists()
    form[f"result_{items[2].pk}"] = "na"
    done = client.post(reverse("campaigns:check", args=[target.pk]), form, follow=True).content.decode()
    case = ItemResult.objects.get(result="fail").case
    assert f"不合格项已立案 1 件：{case.number}" in done
    result_page = client.get(reverse("campaigns:check", args=[target.pk])).content.decode()
    assert case.number in result_page and "不合格" in result_page
    # The neighbour's worker cannot open it.
    client.force_login(users["worker_b"])
    assert client.get(reverse("campaigns:check", args=[target.pk])).status_code == 404
    # The street sees the progress.
    client.force_login(users["street"])
    detail = client.get(reverse("campaigns:detail", args=[published.pk])).content.decode()
    assert "各网格进度" in detail and "50%" in detail and "33%" in detail


def test_pages_need_login_and_role(client, users, published):
    assert client.get(reverse("campaigns:index")).status_code == 302
    client.force_login(users["worker_a"])
    assert client.get(reverse("campaigns:new")).status_code == 403
    client.force_login(users["resident"])
    page = client.get(reverse("campaigns:index"))
    assert page.status_code == 200 and "暂无专项排查" in page.content.decode()
    assert client.get(reverse("campaigns:detail", args=[published.pk])).status_code == 404
