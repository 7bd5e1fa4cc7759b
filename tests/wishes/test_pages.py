"""The wish pages as people see them: the resident's phone page and the community's pages."""

from __future__ import annotations

import pytest

from tests.wishes.conftest import png_upload
from yiwang.wishes import services
from yiwang.wishes.models import Wish

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_anonymous_gets_a_login_hint(client):
    page = _text(client.get("/wishes/public/"))
    assert "登录后可以提交心愿" in page


def test_resident_without_person_is_told_to_register(client, users):
    client.force_login(users["resident"])
    page = _text(client.get("/wishes/public/"))
    assert "请先到社区登记本人信息" in page and "提交心愿" not in page


def test_resident_posts_and_sees_status(client, cast):
    client.force_login(cast.wisher_user)
    response = client.post("/wishes/public/post/", {"title": "想请人教我用手机挂号", "category": "health"})
    assert response.status_code == 302
    page = _text(client.get("/wishes/public/"))
    assert "心愿已提交，社区审核后会发布。" in page
    assert "想请人教我用手机挂号" in page and "待审核" in page
    wish = Wish.objects.get()
    assert (wish.person, wish.category) == (cast.wisher, "health")


def test_bad_post_shows_the_error_on_the_form(client, cast):
    client.force_login(cast.wisher_user)
    for n in range(services.MAX_OPEN_WISHES_PER_PERSON):
        services.post_wish(acting_user=cast.wisher_user, title=f"心愿{n}")
    response = client.post("/wishes/public/post/", {"title": "第四个", "category": "goods"})
    assert response.status_code == 400
    assert "每人同时最多3个未完成的心愿" in _text(response)


def test_party_member_sees_claim_button_and_claims_on_the_page(client, published, cast):
    client.force_login(cast.member_user)
    page = _text(client.get("/wishes/public/"))
    assert "可认领的心愿" in page and "我来认领" in page and "王**" in page and "王秀英" not in page
    response = client.post(f"/wishes/public/{published.pk}/claim/", {"kind": "party_member"})
    assert response.status_code == 302
    page = _text(client.get("/wishes/public/"))
    assert "认领成功" in page and "王秀英" in page and "永先社区滨湖路8号2-1" in page and "登记圆梦" in page


def test_plain_resident_sees_community_wishes_without_claim_button(client, published, cast, users):
    from tests import factories

    person = factories.person(cast.neighbour.region)
    user = users["resident"]
    user.person = person
    user.save()
    client.force_login(user)
    page = _text(client.get("/wishes/public/"))
    assert "本社区的心愿" in page and published.title in page and "我来认领" not in page


def test_late_claim_on_the_page_says_someone_else_was_first(client, published, cast):
    services.claim_wish(published, acting_user=cast.volunteer_user)
    client.force_login(cast.member_user)
    client.post(f"/wishes/public/{published.pk}/claim/", {})
    page = _text(client.get("/wishes/public/"))
    assert "该心愿已被其他人认领，请选择其他心愿" in page


def test_fulfil_and_confirm_on_the_page(client, published, cast):
    services.claim_wish(published, acting_user=cast.member_user)
    client.force_login(cast.member_user)
    client.post(f"/wishes/public/{published.pk}/fulfil/", {"note": "修好了", "photos": [png_upload()]})
    published.refresh_from_db()
    assert published.status == "fulfilled"
    client.force_login(cast.wisher_user)
    page = _text(client.get("/wishes/public/"))
    assert "确认已圆梦" in page and f"/wishes/photos/{published.photos.get().pk}/" in page
    client.post(f"/wishes/public/{published.pk}/confirm/", {"feedback": "谢谢"})
    assert "已确认" in _text(client.get("/wishes/public/"))


def test_fulfil_with_a_wrong_file_says_why(client, published, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.claim_wish(published, acting_user=cast.member_user)
    client.force_login(cast.member_user)
    client.post(f"/wishes/public/{published.pk}/fulfil/", {"photos": [SimpleUploadedFile("a.png", b"text")]})
    assert "照片无法接收" in _text(client.get("/wishes/public/"))
    published.refresh_from_db()
    assert published.status == "claimed"


def test_staff_review_queue_approve_and_counts(client, posted, users):
    client.force_login(users["community"])
    page = _text(client.get("/wishes/"))
    assert posted.title in page and "待审核 1" in page and "永先社区" in page
    response = client.post(f"/wishes/{posted.pk}/do/approve/", {"deadline": "2999-01-01", "note": ""})
    assert response.status_code == 302
    page = _text(client.get(f"/wishes/{posted.pk}/"))
    assert "已审核通过并发布。" in page and "待认领" in page and "2999-01-01" in page and "派单给共建单位" in page
    page = _text(client.get("/wishes/counts/"))
    assert "按社区" in page and "永先社区" in page


def test_staff_dispatch_and_confirm_for_wisher_without_account(client, cast, users):
    wish = services.post_wish(acting_user=users["community"], title="想要一副老花镜", person=cast.neighbour)
    services.approve_wish(wish, acting_user=users["community"])
    client.force_login(users["community"])
    client.post(f"/wishes/{wish.pk}/do/dispatch/", {"unit": cast.unit.pk})
    wish.refresh_from_db()
    assert wish.claimant_unit == cast.unit
    client.post(f"/wishes/{wish.pk}/do/fulfil/", {"note": "已配送", "photos": [png_upload()]})
    page = _text(client.get(f"/wishes/{wish.pk}/"))
    assert "代无账号居民确认" in page
    client.post(f"/wishes/{wish.pk}/do/confirm/", {"feedback": "电话回访"})
    wish.refresh_from_db()
    assert (wish.status, wish.confirmed_via) == ("confirmed", "staff_for_resident")
    assert "社区代无账号居民确认" in _text(client.get(f"/wishes/{wish.pk}/"))
    page = _text(client.get("/wishes/counts/"))
    assert "开州区供电公司" in page


def test_staff_posts_for_a_person_found_by_name(client, cast, users):
    client.force_login(users["worker_b"])
    page = _text(client.get("/wishes/", {"q": "赵桂"}))
    assert f"/wishes/new/?person={cast.neighbour.pk}" in page
    response = client.post("/wishes/new/", {"person": cast.neighbour.pk, "title": "想要一台电风扇", "category": "goods"})
    wish = Wish.objects.get()
    assert response.status_code == 302 and (wish.person, wish.posted_via) == (cast.neighbour, "staff")
    # Someone outside grid B is not found, and cannot be posted for.
    client.force_login(users["worker_a"])
    assert f"person={cast.neighbour.pk}" not in _text(client.get("/wishes/", {"q": "赵桂"}))
    assert client.get(f"/wishes/new/?person={cast.neighbour.pk}").status_code == 302


def test_staff_pages_hide_other_scopes(client, posted, users):
    client.force_login(users["worker_b"])
    assert client.get(f"/wishes/{posted.pk}/").status_code == 404
    assert posted.title not in _text(client.get("/wishes/"))
    client.force_login(users["resident"])
    assert client.get("/wishes/").status_code == 403
