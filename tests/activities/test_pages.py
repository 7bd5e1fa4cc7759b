"""The pages: public ones (no login) show activities, seats and the venue timetable and take
registrations without leaking anyone's data; staff pages are scoped, show phones masked, and put
clash errors on the form."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from tests.activities.conftest import local, png_bytes
from yiwang.activities import services
from yiwang.activities.models import Activity, ActivityPhoto, Registration, RosterSlot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits are counted in the cache.
    cache.clear()
    yield
    cache.clear()


def page(response) -> str:
    return response.content.decode()


# Public ------------------------------------------------------------------------------------------

def test_public_list_shows_seats_and_waiting_list_but_no_drafts(client, make_activity):
    open_one = make_activity(capacity=2, title="健康讲座", starts_at=local(3, 9))
    full = make_activity(capacity=1, title="书法体验课", starts_at=local(4, 9))
    make_activity(title="还在筹备的活动", starts_at=local(5, 9), publish=False)
    services.register(activity=open_one, name="张秀英", phone="13800000001")
    services.register(activity=full, name="李建国", phone="13800000002")
    services.register(activity=full, name="王海燕", phone="13800000003")

    html = page(client.get(reverse("activities:public")))
    assert "健康讲座" in html and "剩余名额 1 / 2" in html
    assert "书法体验课" in html and "名额已满（1 人） · 候补 1 人" in html
    assert "还在筹备的活动" not in html
    for private in ("张秀英", "李建国", "13800000001", "138****0001"):
        assert private not in html


def test_register_on_the_public_page_then_the_waiting_list(client, make_activity):
    activity = make_activity(capacity=1)
    url = reverse("activities:public-activity", args=[activity.pk])
    first = client.post(url, {"name": "张秀英", "phone": "13800000001"})
    assert first.status_code == 200 and "报名成功" in page(first)
    code = Registration.objects.get(name="张秀英")
    assert code.status == "registered"
    second = client.post(url, {"name": "李建国", "phone": "13800000002"})
    assert "活动已满，您已进入候补名单第 1 位" in page(second)
    third = client.post(url, {"name": "王海燕", "phone": "13800000003"})
    assert "活动已满，您已进入候补名单第 2 位" in page(third)
    # The page afterwards shows the full activity, and still nobody's name.
    html = page(client.get(url))
    assert "名额已满（1 人） · 候补 2 人" in html and "张秀英" not in html and "李建国" not in html


def test_public_registration_errors_name_the_field(client, make_activity):
    activity = make_activity(capacity=3)
    url = reverse("activities:public-activity", args=[activity.pk])
    bad = client.post(url, {"name": "张秀英", "phone": "12345"})
    assert bad.status_code == 400 and 'data-field="phone"' in page(bad)
    client.post(url, {"name": "张秀英", "phone": "13800000001"})
    again = client.post(url, {"name": "张秀英", "phone": "13800000001"})
    assert again.status_code == 400 and "该手机号已报名本活动" in page(again)
    assert Registration.objects.count() == 1


def test_closed_and_cancelled_activities_say_so(client, make_activity, staff):
    closed = make_activity(title="截止了", starts_at=local(3, 9), registration_closes_at=local(1, 9))
    # Published while open; its deadline has passed since.
    Activity.objects.filter(pk=closed.pk).update(registration_closes_at=local(0, 0))
    html = page(client.get(reverse("activities:public-activity", args=[closed.pk])))
    assert "报名已截止" in html and 'data-testid="register"' not in html
    refused = client.post(reverse("activities:public-activity", args=[closed.pk]), {"name": "张秀英", "phone": "13800000001"})
    assert refused.status_code == 400 and "报名截止：报名已于" in page(refused)

    cancelled = make_activity(title="取消了", starts_at=local(4, 9))
    services.cancel_activity(cancelled, acting_user=staff, reason="遇雨改期")
    html = page(client.get(reverse("activities:public-activity", args=[cancelled.pk])))
    assert "活动已取消。 遇雨改期" in html and 'data-testid="register"' not in html
    refused = client.post(reverse("activities:public-activity", args=[cancelled.pk]), {"name": "张秀英", "phone": "13800000001"})
    assert "状态：活动已取消，不能报名" in page(refused)


def test_drafts_are_not_public(client, make_activity):
    draft = make_activity(publish=False)
    assert client.get(reverse("activities:public-activity", args=[draft.pk])).status_code == 404


def test_own_registration_by_phone_and_code_then_cancel(client, make_activity):
    activity = make_activity(capacity=1)
    seat = services.register(activity=activity, name="张秀英", phone="13800000001")
    waiting = services.register(activity=activity, name="李建国", phone="13800000002")
    url = reverse("activities:public-mine", args=[activity.pk])

    looked = client.post(url, {"phone": "13800000002", "code": waiting.code, "what": "status"})
    assert looked.status_code == 200 and "您在候补名单第 1 位" in page(looked)
    # Someone else's phone with this code shows nothing of theirs.
    wrong = client.post(url, {"phone": "13800000001", "code": waiting.code, "what": "status"})
    assert wrong.status_code == 403 and "手机号或取消码不正确" in page(wrong) and "报名成功" not in page(wrong)

    cancelled = client.post(url, {"phone": "13800000001", "code": seat.code, "what": "cancel"})
    assert "已取消报名" in page(cancelled)
    looked = client.post(url, {"phone": "13800000002", "code": waiting.code, "what": "status"})
    assert "报名成功" in page(looked)


def test_wrong_codes_are_limited(client, make_activity):
    activity = make_activity()
    outcome = services.register(activity=activity, name="张秀英", phone="13800000001")
    url = reverse("activities:public-mine", args=[activity.pk])
    for _ in range(services_attempts()):
        assert client.post(url, {"phone": "13800000001", "code": "AAAAAA"}).status_code == 403
    blocked = client.post(url, {"phone": "13800000001", "code": outcome.code, "what": "cancel"})
    assert blocked.status_code == 429 and "错误次数过多" in page(blocked)
    outcome.registration.refresh_from_db()
    assert outcome.registration.status == "registered"


def services_attempts() -> int:
    from yiwang.activities.views import CODE_ATTEMPTS

    return CODE_ATTEMPTS


def test_public_registrations_are_limited_per_address(client, make_activity, settings, monkeypatch):
    from yiwang.activities import views

    monkeypatch.setattr(views, "REGISTRATIONS_PER_HOUR", 2)
    activity = make_activity(capacity=10)
    url = reverse("activities:public-activity", args=[activity.pk])
    for n in range(2):
        assert client.post(url, {"name": f"居民{n}", "phone": f"1380000000{n}"}).status_code == 200
    refused = client.post(url, {"name": "脚本", "phone": "13800000009"})
    assert refused.status_code == 429 and Registration.objects.count() == 2


def test_public_timetable_shows_the_weeks_roster_and_activities(client, square, staff, make_activity):
    services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=0, start_time=time(19), end_time=time(20))
    services.create_slot(acting_user=staff, venue=square, group_name="夕阳红舞蹈队", weekday=6, start_time=time(19), end_time=time(20))
    market = make_activity(venue=square, title="邻里集市", starts_at=local(2, 9), hours=3)
    url = reverse("activities:timetable", args=[square.pk])
    html = page(client.get(url, {"week": market.starts_at.date().isoformat()}))
    assert "红枫舞蹈队" in html and "夕阳红舞蹈队" in html and "邻里集市" in html and "19:00–20:00" in html
    for day in ("周一", "周二", "周三", "周四", "周五", "周六", "周日"):
        assert day in html
    # No contact of any team on the public page.
    assert "联系" not in html


def test_slots_outside_their_validity_are_not_on_that_week(client, square, staff):
    from datetime import date

    services.create_slot(acting_user=staff, venue=square, group_name="夏季队", weekday=2, start_time=time(19), end_time=time(20),
                         valid_from=date(2031, 6, 1), valid_until=date(2031, 8, 31))
    url = reverse("activities:timetable", args=[square.pk])
    assert "夏季队" in page(client.get(url, {"week": "2031-07-07"}))
    assert "夏季队" not in page(client.get(url, {"week": "2031-09-08"}))


def test_hidden_venues_are_for_staff_only(client, staff, tree):
    hidden = services.create_venue(acting_user=staff, region=tree.community, name="内部会议室", kind="hall", public=False)
    assert "内部会议室" not in page(client.get(reverse("activities:public-venues")))
    assert client.get(reverse("activities:timetable", args=[hidden.pk])).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("activities:timetable", args=[hidden.pk])).status_code == 200


def test_photos_are_public_with_the_record_only(client, make_activity, staff, tree):
    activity = make_activity()
    services.finish_activity(activity, acting_user=staff, summary="顺利举办", now=activity.ends_at,
                             photos=[SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")])
    photo = ActivityPhoto.objects.get(activity=activity)
    services.review_photo(photo, acting_user=staff)  # public pages show reviewed photos only (tests/activities/test_photo_review.py)
    response = client.get(reverse("activities:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    html = page(client.get(reverse("activities:public-activity", args=[activity.pk])))
    assert "顺利举办" in html and reverse("activities:photo", args=[photo.pk]) in html
    unpublished = factories.for_model(ActivityPhoto)(tree.micro_a1)
    assert client.get(reverse("activities:photo", args=[unpublished.pk])).status_code == 404


# Staff -------------------------------------------------------------------------------------------

def test_staff_pages_need_a_login_and_a_staff_role(client, users):
    assert client.get(reverse("activities:index")).status_code == 302
    client.force_login(users["resident"])
    assert client.get(reverse("activities:index")).status_code == 403


def test_index_lists_activities_in_scope_only(client, make_activity, users, make_user, tree):
    make_activity(title="永先的讲座")
    other_staff = make_user("hanfeng", "street", tree.other_street)
    services.create_activity(acting_user=other_staff, region=tree.other_street, title="汉丰的集市", kind="market", place="汉丰广场",
                             starts_at=local(3, 9), ends_at=local(3, 12))
    client.force_login(users["street"])
    html = page(client.get(reverse("activities:index")))
    assert "永先的讲座" in html and "汉丰的集市" not in html


def test_create_activity_clash_is_shown_on_the_form(client, staff, square, tree):
    services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=local(3, 0).weekday(),
                         start_time=time(19), end_time=time(20, 30))
    client.force_login(staff)
    form = {"region": tree.community.pk, "title": "露天电影", "kind": "other", "venue": square.pk, "place": "",
            "starts_at": local(3, 19, 30).strftime("%Y-%m-%dT%H:%M"), "ends_at": local(3, 21).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "50", "registration_closes_at": "", "description": ""}
    response = client.post(reverse("activities:new"), form)
    assert response.status_code == 400
    html = page(response)
    assert 'data-field="starts_at"' in html and "红枫舞蹈队" in html and "19:00–20:30" in html
    assert not Activity.objects.exists()
    form["starts_at"], form["ends_at"] = local(3, 14).strftime("%Y-%m-%dT%H:%M"), local(3, 17).strftime("%Y-%m-%dT%H:%M")
    created = client.post(reverse("activities:new"), form)
    activity = Activity.objects.get(title="露天电影")
    assert created.status_code == 302 and activity.status == "draft" and activity.starts_at == local(3, 14)
    client.post(reverse("activities:act", args=[activity.pk, "publish"]))
    activity.refresh_from_db()
    assert activity.status == "published"


def test_detail_shows_queue_with_masked_phones_and_checks_in(client, staff, make_activity):
    activity = make_activity(capacity=1)
    seat = services.register(activity=activity, name="张秀英", phone="13800000001").registration
    services.register(activity=activity, name="李建国", phone="13800000002")
    client.force_login(staff)
    html = page(client.get(reverse("activities:detail", args=[activity.pk])))
    assert "张秀英" in html and "138****0001" in html and "13800000001" not in html
    assert "候补名单（1）" in html and "李建国" in html
    # Three days ahead: no check-in yet.
    assert 'data-testid="check-in"' not in html
    response = client.post(reverse("activities:registration", args=[seat.pk, "check_in"]), follow=True)
    assert "签到在活动开始前3小时开放" in page(response)
    seat.refresh_from_db()
    assert seat.checked_in_at is None


def test_check_in_button_on_the_day(client, staff, tree):
    starts = local(0, 0) + timedelta(days=1)
    activity = services.create_activity(acting_user=staff, region=tree.community, title="晨练", kind="other", place="广场",
                                        starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=5)
    activity = services.publish_activity(activity, acting_user=staff)
    seat = services.register(activity=activity, name="张秀英", phone="13800000001").registration
    Activity.objects.filter(pk=activity.pk).update(starts_at=local(0, 0), ends_at=local(0, 0) + timedelta(days=1))
    client.force_login(staff)
    assert 'data-testid="check-in"' in page(client.get(reverse("activities:detail", args=[activity.pk])))
    response = client.post(reverse("activities:registration", args=[seat.pk, "check_in"]), follow=True)
    assert "张秀英 已签到" in page(response)
    seat.refresh_from_db()
    assert seat.checked_in_at is not None and seat.checked_in_by == staff


def test_desk_registration_and_staff_cancel_promote(client, staff, make_activity):
    activity = make_activity(capacity=1)
    client.force_login(staff)
    url = reverse("activities:act", args=[activity.pk, "register"])
    first = page(client.post(url, {"name": "张秀英", "phone": "13800000001"}, follow=True))
    assert "已为 张秀英 报名成功" in first
    second = page(client.post(url, {"name": "李建国", "phone": "13800000002"}, follow=True))
    assert "李建国 已进入候补名单第 1 位" in second
    seat = Registration.objects.get(name="张秀英")
    done = page(client.post(reverse("activities:registration", args=[seat.pk, "cancel"]), follow=True))
    assert "候补的 李建国 已转为报名成功" in done
    assert Registration.objects.get(name="李建国").status == "registered"


def test_finish_with_record_and_photo_on_the_page(client, staff, tree):
    starts = local(0, 0) + timedelta(days=1)
    activity = services.create_activity(acting_user=staff, region=tree.community, title="清漂", kind="volunteer_day", place="河边",
                                        starts_at=starts, ends_at=starts + timedelta(hours=2))
    activity = services.publish_activity(activity, acting_user=staff)
    Activity.objects.filter(pk=activity.pk).update(starts_at=local(-1, 8), ends_at=local(-1, 10))
    client.force_login(staff)
    photo = SimpleUploadedFile("river.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("activities:act", args=[activity.pk, "finish"]),
                           {"summary": "清理垃圾300公斤", "attendance": "21", "photos": [photo]}, follow=True)
    html = page(response)
    assert "活动记录已保存" in html and "清理垃圾300公斤" in html and "参加 21 人" in html
    assert ActivityPhoto.objects.filter(activity=activity).count() == 1
    bad = client.post(reverse("activities:act", args=[activity.pk, "photos"]),
                      {"photos": [SimpleUploadedFile("x.png", b"nope", content_type="image/png")]})
    assert bad.status_code == 400 and "照片" in page(bad)
    assert ActivityPhoto.objects.filter(activity=activity).count() == 1


def test_roster_slot_clash_is_shown_on_the_venue_form(client, staff, square):
    services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=0, start_time=time(19), end_time=time(20, 30))
    client.force_login(staff)
    url = reverse("activities:venue", args=[square.pk])
    form = {"what": "slot", "group_name": "夕阳红舞蹈队", "weekday": "0", "start_time": "20:00", "end_time": "21:00",
            "valid_from": "", "valid_until": "", "contact_name": "", "contact_phone": "", "note": ""}
    response = client.post(url, form)
    assert response.status_code == 400
    html = page(response)
    assert 'data-field="start_time"' in html and "红枫舞蹈队" in html and "周一 19:00–20:30" in html
    form["start_time"], form["end_time"] = "20:30", "21:30"
    assert client.post(url, form).status_code == 302
    assert RosterSlot.objects.filter(venue=square).count() == 2


def test_slot_edit_keeps_the_sealed_phone_unless_changed(client, staff, square):
    slot = services.create_slot(acting_user=staff, venue=square, group_name="红枫舞蹈队", weekday=0, start_time=time(19),
                                end_time=time(20), contact_name="刘队长", contact_phone="13912345678")
    client.force_login(staff)
    url = reverse("activities:slot", args=[slot.pk])
    html = page(client.get(url))
    assert "139****5678" in html and "13912345678" not in html
    form = {"group_name": "红枫舞蹈队", "weekday": "1", "start_time": "19:00", "end_time": "20:00", "valid_from": "", "valid_until": "",
            "contact_name": "刘队长", "contact_phone": "", "note": ""}
    assert client.post(url, form).status_code == 302
    slot.refresh_from_db()
    assert slot.weekday == 1 and slot.phone_masked == "139****5678"


def test_neighbour_staff_cannot_open_or_change_a_venue(client, users, make_user, tree, square):
    outsider = make_user("hanfeng", "street", tree.other_street)
    client.force_login(outsider)
    assert client.get(reverse("activities:venue", args=[square.pk])).status_code == 404
    # A department sees (VIEW) but may not add slots.
    client.force_login(users["department"])
    assert client.get(reverse("activities:venue", args=[square.pk])).status_code == 200
    response = client.post(reverse("activities:venue", args=[square.pk]),
                           {"what": "slot", "group_name": "越权队", "weekday": "0", "start_time": "07:00", "end_time": "08:00"})
    assert response.status_code == 403 and not RosterSlot.objects.exists()


def test_public_list_filters_by_community(client, make_activity, make_user, tree):
    make_activity(title="永先的讲座")
    other_staff = make_user("hanfeng", "street", tree.other_street)
    market = services.create_activity(acting_user=other_staff, region=tree.other_street, title="汉丰的集市", kind="market",
                                      place="汉丰广场", starts_at=local(3, 9), ends_at=local(3, 12))
    services.publish_activity(market, acting_user=other_staff)
    everything = page(client.get(reverse("activities:public")))
    assert "永先的讲座" in everything and "汉丰的集市" in everything
    only_yongxian = page(client.get(reverse("activities:public"), {"region": tree.community.code}))
    assert "永先的讲座" in only_yongxian and "汉丰的集市" not in only_yongxian


def test_admin_lists_are_scoped_and_read_only(client, users, make_activity, make_user, tree):
    activity = make_activity(title="永先的讲座")
    services.register(activity=activity, name="张秀英", phone="13800000001")
    client.force_login(users["community"])
    for model in ("venue", "rosterslot", "activity", "registration", "activityphoto"):
        assert client.get(f"/admin/activities/{model}/").status_code == 200, model
    registrations = page(client.get("/admin/activities/registration/"))
    assert "138****0001" in registrations and "13800000001" not in registrations
    registration = Registration.objects.get()
    assert client.get(f"/admin/activities/registration/{registration.pk}/change/").status_code == 200
    client.force_login(make_user("hanfeng_admin", "street", tree.other_street))
    assert "永先的讲座" not in page(client.get("/admin/activities/activity/"))
