"""Staff and resident pages: what each sees and may do, errors in words, scope."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from tests import factories
from yiwang.pointsbank import selectors, services
from yiwang.pointsbank.models import LedgerEntry, Reward

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_staff_pages_render(client, users, person_a, reward):
    client.force_login(users["community"])
    for url in ["/pointsbank/", "/pointsbank/?q=张", f"/pointsbank/people/{person_a.pk}/", "/pointsbank/rewards/",
                "/pointsbank/redemptions/", "/pointsbank/boards/", "/pointsbank/rules/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/pointsbank/people/{person_a.pk}/").content.decode()
    assert "睦邻" in page and "主动调解邻里纠纷" in page


def test_grant_from_the_page_with_evidence_and_photo(client, users, person_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users["worker_a"])
    response = client.post(f"/pointsbank/people/{person_a.pk}/grant/", {
        "rule_code": "moral:ml_help", "points": "", "reason": "", "evidence": "看望5栋独居老人",
        "photo": SimpleUploadedFile("visit.png", _png(), content_type="image/png")}, follow=True)
    assert "已为张秀英记入道德积分银行 +3 分" in response.content.decode()
    entry = LedgerEntry.objects.get()
    assert entry.photo and entry.granted_by == users["worker_a"] and entry.rule.code == "ml_help"
    assert client.get(f"/pointsbank/entries/{entry.pk}/photo/").status_code == 200
    client.force_login(users["worker_b"])
    assert client.get(f"/pointsbank/entries/{entry.pk}/photo/").status_code == 404


def test_grant_refusal_is_shown_next_to_the_form(client, users, person_a):
    client.force_login(users["worker_a"])
    response = client.post(f"/pointsbank/people/{person_a.pk}/grant/", {"rule_code": "moral:xs_brave", "evidence": ""})
    assert response.status_code == 400
    assert "须附佐证" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_staff_outside_scope_get_404(client, users, person_a):
    client.force_login(users["worker_b"])
    assert client.get(f"/pointsbank/people/{person_a.pk}/").status_code == 404
    assert client.post(f"/pointsbank/people/{person_a.pk}/grant/", {"bank_code": "moral", "points": "2", "reason": "x"}).status_code == 404
    client.force_login(users["resident"])
    assert client.get("/pointsbank/").status_code == 403


def test_reverse_from_the_page(client, users, person_a):
    entry = services.grant_points(bank_code="moral", person=person_a, points=2, reason="讲堂", acting_user=users["worker_a"])
    client.force_login(users["community"])
    response = client.post(f"/pointsbank/entries/{entry.pk}/reverse/", {"reason": "重复记分"}, follow=True)
    assert f"已冲正记录 #{entry.pk}" in response.content.decode()
    assert selectors.balance(bank_code="moral", person=person_a) == 0


def test_resident_page_redeem_and_cancel(client, users, person_a, resident_a, reward):
    services.grant_points(bank_code="moral", person=person_a, points=12, reason="参加环境整治", acting_user=users["worker_a"],
                          evidence="整治现场签到表")
    client.force_login(resident_a)
    page = client.get("/pointsbank/public/").content.decode()
    assert "我的积分" in page and "洗衣液一瓶" in page and "整治现场签到表" in page and "worker_a" in page
    response = client.post(f"/pointsbank/public/rewards/{reward.pk}/redeem/", follow=True)
    assert "兑换成功" in response.content.decode()
    assert selectors.balance(bank_code="moral", person=person_a) == 2
    response = client.post(f"/pointsbank/public/rewards/{reward.pk}/redeem/", follow=True)
    assert "积分不足" in response.content.decode()
    redemption = person_a.points_redemptions.get()
    client.post(f"/pointsbank/public/redemptions/{redemption.pk}/cancel/")
    assert selectors.balance(bank_code="moral", person=person_a) == 12


def test_resident_cannot_touch_anothers_redemption(client, users, person_a, person_b, make_user, reward):
    services.grant_points(bank_code="moral", person=person_a, points=12, reason="x", acting_user=users["worker_a"])
    redemption = services.redeem(reward=reward, person=person_a, acting_user=users["worker_a"])
    client.force_login(make_user("resident_b", "resident", None, person=person_b))
    assert client.post(f"/pointsbank/public/redemptions/{redemption.pk}/cancel/").status_code == 404
    assert client.get(f"/pointsbank/entries/{redemption.entries.get().pk}/photo/").status_code == 404


def test_resident_without_registration_gets_a_message(client, users):
    client.force_login(users["resident"])
    assert "请先到社区登记本人信息" in client.get("/pointsbank/public/").content.decode()
    assert client.get("/pointsbank/public/").status_code == 200
    client.logout()
    assert "登录" in client.get("/pointsbank/public/").content.decode()


def test_resident_sees_only_their_communitys_published_board(client, users, tree, person_a, resident_a):
    today = timezone.localdate()
    draft = services.draft_board(region=tree.community, period_start=today - timedelta(days=7), period_end=today,
                                 acting_user=users["community"], title="永先社区草稿榜")
    services.add_board_entry(board=draft, kind="red", person=person_a, reason="照顾孤寡老人", acting_user=users["community"])
    client.force_login(resident_a)
    assert "永先社区草稿榜" not in client.get("/pointsbank/public/").content.decode()
    client.force_login(users["community"])
    client.post(f"/pointsbank/boards/{draft.pk}/", {"what": "publish"})
    client.force_login(resident_a)
    page = client.get("/pointsbank/public/").content.decode()
    assert "永先社区草稿榜" in page and "照顾孤寡老人" in page


def test_board_pages_draft_add_and_publish(client, users, tree, person_a):
    services.record_conduct(person=person_a, occurred_on=timezone.localdate(), description="楼道堆放杂物", acting_user=users["worker_a"])
    client.force_login(users["community"])
    today = timezone.localdate()
    response = client.post("/pointsbank/boards/", {"region": tree.community.pk, "bank": "moral", "period_start": str(today.replace(day=1)),
                                                   "period_end": str(today)}, follow=True)
    page = response.content.decode()
    assert "楼道堆放杂物" in page and "增加上榜居民" in page
    board = response.context["board"]
    response = client.post(f"/pointsbank/boards/{board.pk}/", {"what": "add", "kind": "red", "person": "不存在的人", "reason": "x"})
    assert response.status_code == 400 and "没有找到这位居民" in response.content.decode()
    client.post(f"/pointsbank/boards/{board.pk}/", {"what": "add", "kind": "red", "person": "张秀英", "reason": "义务清扫楼道"})
    assert board.entries.filter(kind="red", person=person_a).exists()
    client.post(f"/pointsbank/boards/{board.pk}/", {"what": "publish"})
    board.refresh_from_db()
    assert board.status == "published"


def test_rewards_page_creates_and_adjusts(client, users, tree):
    client.force_login(users["community"])
    response = client.post("/pointsbank/rewards/", {"bank": "moral", "region": tree.community.pk, "name": "抽纸一提",
                                                    "points_cost": "8", "stock": "20"}, follow=True)
    assert "已上架抽纸一提" in response.content.decode()
    reward = Reward.objects.get(name="抽纸一提")
    response = client.post(f"/pointsbank/rewards/{reward.pk}/stock/", {"delta": "-25"}, follow=True)
    assert "库存只有 20 件" in response.content.decode()
    client.post(f"/pointsbank/rewards/{reward.pk}/stock/", {"delta": "5"})
    reward.refresh_from_db()
    assert reward.stock == 25


def test_rules_page_district_edits_community_reads(client, users, moral):
    rule = moral.rules.get(code="yc_sorting")
    client.force_login(users["community"])
    page = client.get("/pointsbank/rules/").content.decode()
    assert "垃圾分类投放准确" in page and f'id="rule-{rule.pk}"' not in page
    client.force_login(users["district"])
    client.post("/pointsbank/rules/", {"bank": moral.pk, "rule": rule.pk, "points": "2", "active": "1"})
    rule.refresh_from_db()
    assert rule.points == 2 and rule.active and not rule.evidence_required


def test_redemption_handover_page(client, users, person_a, reward):
    services.grant_points(bank_code="moral", person=person_a, points=10, reason="x", acting_user=users["worker_a"])
    redemption = services.redeem(reward=reward, person=person_a, acting_user=users["worker_a"])
    client.force_login(users["worker_b"])
    assert "张秀英" not in client.get("/pointsbank/redemptions/").content.decode()
    client.force_login(users["worker_a"])
    assert "张秀英" in client.get("/pointsbank/redemptions/").content.decode()
    client.post(f"/pointsbank/redemptions/{redemption.pk}/fulfil/")
    redemption.refresh_from_db()
    assert redemption.status == "fulfilled" and redemption.fulfilled_by == users["worker_a"]


def test_admin_ledger_is_read_only(client, tree, users, person_a, make_user):
    entry = services.grant_points(bank_code="moral", person=person_a, points=2, reason="x", acting_user=users["worker_a"])
    admin = make_user("root", "district", tree.district, is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/pointsbank/ledgerentry/").status_code == 200
    change = client.get(f"/admin/pointsbank/ledgerentry/{entry.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.post(f"/admin/pointsbank/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert factories  # the module's factories are used by the scope tests
