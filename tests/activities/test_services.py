"""Activities and venues through their services: seats and the waiting list, cancellation that
promotes, deadlines and closed activities, one registration per phone, check-in, the record with
photos, and clash detection for roster slots and activities (errors name the field and the clash)."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories
from tests.activities.conftest import local, next_weekday, png_bytes
from yiwang.activities import services
from yiwang.activities.models import Activity, ActivityPhoto, Registration, RosterSlot, Venue
from yiwang.core import crypto
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def errors(exc_info) -> dict:
    return exc_info.value.message_dict


# Seats and the waiting list ----------------------------------------------------------------------

def test_seats_then_waiting_list_positions(make_activity):
    activity = make_activity(capacity=2)
    first = services.register(activity=activity, name="张秀英", phone="13800000001")
    second = services.register(activity=activity, name="李建国", phone="13800000002")
    third = services.register(activity=activity, name="王海燕", phone="13800000003")
    fourth = services.register(activity=activity, name="赵志强", phone="13800000004")
    assert [o.registration.status for o in (first, second, third, fourth)] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert [o.position for o in (first, second, third, fourth)] == [None, None, 1, 2]
    # The code is shown once; only its keyed digest is stored.
    assert len(first.code) == services.CODE_LENGTH and first.registration.code_hash == services.hash_code(first.code)
    assert first.code not in first.registration.code_hash


def test_cancelling_a_seat_promotes_the_head_of_the_waiting_list(make_activity):
    activity = make_activity(capacity=1)
    seat = services.register(activity=activity, name="张秀英", phone="13800000001")
    head = services.register(activity=activity, name="李建国", phone="13800000002")
    tail = services.register(activity=activity, name="王海燕", phone="13800000003")
    assert (head.position, tail.position) == (1, 2)

    outcome = services.cancel_own(activity=activity, phone="13800000001", code=seat.code)
    assert outcome.registration.status == "cancelled"
    assert [r.pk for r in outcome.promoted] == [head.registration.pk]
    head.registration.refresh_from_db()
    tail.registration.refresh_from_db()
    assert head.registration.status == "registered" and head.registration.promoted_at is not None
    assert tail.registration.status == "waitlisted" and services.waitlist_position(tail.registration) == 1
    assert activity.registrations.filter(status="registered").count() == 1


def test_cancelling_from_the_waiting_list_moves_the_others_up_without_promoting(make_activity, staff):
    activity = make_activity(capacity=1)
    services.register(activity=activity, name="张秀英", phone="13800000001")
    first_waiting = services.register(activity=activity, name="李建国", phone="13800000002")
    second_waiting = services.register(activity=activity, name="王海燕", phone="13800000003")
    outcome = services.cancel_registration(first_waiting.registration, acting_user=staff)
    assert outcome.promoted == []
    second_waiting.registration.refresh_from_db()
    assert services.waitlist_position(second_waiting.registration) == 1
    assert activity.registrations.filter(status="registered").count() == 1


def test_a_newcomer_never_takes_a_seat_ahead_of_someone_waiting(make_activity, staff):
    """Raising the limit fills seats from the waiting list at once; nobody is skipped."""
    activity = make_activity(capacity=1)
    services.register(activity=activity, name="张秀英", phone="13800000001")
    waiting = services.register(activity=activity, name="李建国", phone="13800000002")
    services.update_activity(activity, acting_user=staff, capacity=2)
    waiting.registration.refresh_from_db()
    assert waiting.registration.status == "registered"
    newcomer = services.register(activity=activity, name="王海燕", phone="13800000003")
    assert newcomer.position == 1


def test_capacity_cannot_drop_below_the_seats_given(make_activity, staff):
    activity = make_activity(capacity=3)
    for n in range(3):
        services.register(activity=activity, name=f"居民{n}", phone=f"1380000000{n}")
    with pytest.raises(ValidationError) as exc:
        services.update_activity(activity, acting_user=staff, capacity=2)
    assert "已有3人报名成功" in errors(exc)["capacity"][0]
    activity.refresh_from_db()
    assert activity.capacity == 3


def test_no_limit_gives_everyone_a_seat(make_activity):
    activity = make_activity(capacity=None)
    outcomes = [services.register(activity=activity, name=f"居民{n}", phone=f"1390000000{n}") for n in range(5)]
    assert {o.registration.status for o in outcomes} == {"registered"}


# Refusals ----------------------------------------------------------------------------------------

def test_one_registration_per_phone(make_activity):
    activity = make_activity(capacity=5)
    first = services.register(activity=activity, name="张秀英", phone="13800000001")
    with pytest.raises(ValidationError) as exc:
        services.register(activity=activity, name="张秀英的女儿", phone="13800000001")
    assert "该手机号已报名" in errors(exc)["phone"][0]
    assert activity.registrations.count() == 1
    # After cancelling, the same phone may register again, at the end of the queue.
    services.cancel_own(activity=activity, phone="13800000001", code=first.code)
    again = services.register(activity=activity, name="张秀英", phone="13800000001")
    assert again.registration.pk == first.registration.pk and again.registration.status == "registered"
    assert again.code != first.code
    with pytest.raises(services.WrongCode):
        services.find_own(activity=activity, phone="13800000001", code=first.code)


def test_bad_name_or_phone_names_the_field_and_writes_nothing(make_activity):
    activity = make_activity()
    with pytest.raises(ValidationError) as exc:
        services.register(activity=activity, name="  ", phone="13800000001")
    assert list(errors(exc)) == ["name"]
    with pytest.raises(ValidationError) as exc:
        services.register(activity=activity, name="张秀英", phone="12345")
    assert list(errors(exc)) == ["phone"]
    assert not Registration.objects.exists()


def test_registration_closes_at_its_deadline_and_at_the_start(make_activity, staff):
    starts = local(3, 9, 30)
    activity = make_activity(starts_at=starts, registration_closes_at=starts - timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.register(activity=activity, name="张秀英", phone="13800000001", now=starts - timedelta(hours=23))
    assert "报名已于" in errors(exc)["registration_closes_at"][0]
    ok = services.register(activity=activity, name="张秀英", phone="13800000001", now=starts - timedelta(days=2))
    assert ok.registration.status == "registered"
    open_until_start = make_activity(starts_at=local(5, 9), title="没有截止时间")
    with pytest.raises(ValidationError) as exc:
        services.register(activity=open_until_start, name="李建国", phone="13800000002", now=local(5, 9))
    assert "registration_closes_at" in errors(exc)


def test_deadline_after_the_start_is_refused(make_activity):
    with pytest.raises(ValidationError) as exc:
        make_activity(starts_at=local(3, 9), registration_closes_at=local(3, 10))
    assert "不能晚于活动开始" in errors(exc)["registration_closes_at"][0]


@pytest.mark.parametrize("status, message", [("cancelled", "活动已取消，不能报名"), ("finished", "活动已结束，不能报名"),
                                             ("draft", "活动尚未发布")])
def test_closed_activities_refuse_registrations_clearly(make_activity, staff, status, message):
    activity = make_activity(publish=status != "draft")
    if status == "cancelled":
        services.cancel_activity(activity, acting_user=staff, reason="天气原因")
    elif status == "finished":
        services.finish_activity(activity, acting_user=staff, summary="顺利举办", now=activity.ends_at)
    with pytest.raises(ValidationError) as exc:
        services.register(activity=activity, name="张秀英", phone="13800000001")
    assert message in errors(exc)["status"][0]


def test_wrong_code_or_phone_says_neither_which(make_activity):
    activity = make_activity()
    outcome = services.register(activity=activity, name="张秀英", phone="13800000001")
    for phone, code in (("13800000001", "WRONG1"), ("13800000009", outcome.code)):
        with pytest.raises(services.WrongCode) as exc:
            services.cancel_own(activity=activity, phone=phone, code=code)
        assert str(exc.value) == "手机号或取消码不正确"
    outcome.registration.refresh_from_db()
    assert outcome.registration.status == "registered"
    # The code is not case-sensitive, as people read it off a screenshot.
    assert services.find_own(activity=activity, phone="13800000001", code=outcome.code.lower()).pk == outcome.registration.pk


def test_registration_links_the_resident_with_that_phone(make_activity, tree):
    person = factories.person(tree.micro_a1)
    phone = crypto.decrypt(person.phone_sealed)
    outcome = services.register(activity=make_activity(), name=person.name, phone=phone)
    assert outcome.registration.person_id == person.pk


def test_audit_entries_carry_no_phone(make_activity):
    activity = make_activity()
    services.register(activity=activity, name="张秀英", phone="13800000001")
    entry = AuditEntry.objects.get(action="activities.registration.create")
    assert "13800000001" not in str(entry.detail) and entry.detail["status"] == "registered"


# Check-in and the record -------------------------------------------------------------------------

def test_check_in_only_for_seats_once_and_not_too_early(make_activity, staff):
    activity = make_activity(capacity=1)
    seat = services.register(activity=activity, name="张秀英", phone="13800000001").registration
    waiting = services.register(activity=activity, name="李建国", phone="13800000002").registration
    with pytest.raises(ValidationError) as exc:
        services.check_in(seat, acting_user=staff, now=activity.starts_at - timedelta(hours=5))
    assert "签到在活动开始前3小时开放" in errors(exc)["checked_in_at"][0]
    on_the_day = activity.starts_at - timedelta(minutes=20)
    checked = services.check_in(seat, acting_user=staff, now=on_the_day)
    assert checked.checked_in_at == on_the_day and checked.checked_in_by == staff
    with pytest.raises(ValidationError) as exc:
        services.check_in(seat, acting_user=staff, now=on_the_day)
    assert "已于" in errors(exc)["checked_in_at"][0]
    with pytest.raises(ValidationError) as exc:
        services.check_in(waiting, acting_user=staff, now=on_the_day)
    assert "候补的报名不能签到" in errors(exc)["status"][0]


def test_check_in_needs_the_activity_in_scope(make_activity, make_user, tree):
    activity = make_activity()
    seat = services.register(activity=activity, name="张秀英", phone="13800000001").registration
    outsider = make_user("other_street_staff", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        services.check_in(seat, acting_user=outsider, now=activity.starts_at)
    # Grid workers see their grid only; a community's activity is not theirs to change.
    with pytest.raises(PermissionDenied):
        services.create_activity(acting_user=outsider, region=tree.community, title="越权", kind="other", place="某处",
                                 starts_at=local(3, 9), ends_at=local(3, 10))


def test_finish_keeps_the_record_attendance_from_check_ins_and_photos(make_activity, staff):
    activity = make_activity(capacity=3)
    seats = [services.register(activity=activity, name=f"居民{n}", phone=f"1380000000{n}").registration for n in range(3)]
    for seat in seats[:2]:
        services.check_in(seat, acting_user=staff, now=activity.starts_at)
    photo = SimpleUploadedFile("day.png", png_bytes(), content_type="image/png")
    finished = services.finish_activity(activity, acting_user=staff, summary="测血压42人次", photos=[photo], now=activity.ends_at)
    assert (finished.status, finished.attendance, finished.summary) == ("finished", 2, "测血压42人次")
    stored = ActivityPhoto.objects.get(activity=activity)
    assert stored.content_type == "image/png" and stored.image.name.startswith("activities/")
    with stored.image.open("rb") as handle:  # re-encoded: the same pixels, none of the upload's metadata
        assert list(Image.open(handle).convert("RGB").getdata()) == list(Image.open(io.BytesIO(png_bytes())).convert("RGB").getdata())


def test_a_bad_photo_leaves_the_activity_as_it_was(make_activity, staff):
    activity = make_activity()
    fake = SimpleUploadedFile("day.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.finish_activity(activity, acting_user=staff, summary="记录", photos=[fake], now=activity.ends_at)
    assert "照片“day.png”不是可识别的图片" in errors(exc)["photos"][0]
    activity.refresh_from_db()
    assert activity.status == "published" and activity.summary == "" and not activity.photos.exists()


def test_finish_needs_a_summary_and_a_started_activity(make_activity, staff):
    activity = make_activity()
    with pytest.raises(ValidationError) as exc:
        services.finish_activity(activity, acting_user=staff, summary="记录", now=activity.starts_at - timedelta(hours=1))
    assert "结束后再填写记录" in errors(exc)["ends_at"][0]
    with pytest.raises(ValidationError) as exc:  # under way is not over
        services.finish_activity(activity, acting_user=staff, summary="记录", now=activity.ends_at - timedelta(minutes=1))
    assert "ends_at" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.finish_activity(activity, acting_user=staff, summary=" ", now=activity.ends_at)
    assert list(errors(exc)) == ["summary"]


def test_published_activity_needs_a_reason_to_cancel(make_activity, staff):
    activity = make_activity()
    with pytest.raises(ValidationError) as exc:
        services.cancel_activity(activity, acting_user=staff)
    assert "cancel_reason" in errors(exc)
    assert services.cancel_activity(activity, acting_user=staff, reason="场地维修").status == "cancelled"


# Clash detection: roster slots -------------------------------------------------------------------

def _slot(venue, staff, group="红枫舞蹈队", weekday=0, start=time(19), end=time(20, 30), **extra):
    return services.create_slot(acting_user=staff, venue=venue, group_name=group, weekday=weekday, start_time=start, end_time=end, **extra)


def test_overlapping_slot_is_refused_naming_the_other_group_and_times(square, staff):
    _slot(square, staff)
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, group="夕阳红舞蹈队", start=time(20), end=time(21))
    message = errors(exc)["start_time"][0]
    assert "红枫舞蹈队" in message and "周一" in message and "19:00–20:30" in message
    assert RosterSlot.objects.count() == 1


def test_slots_side_by_side_other_days_or_other_periods_do_not_clash(square, hall, staff):
    _slot(square, staff, start=time(19), end=time(20))
    _slot(square, staff, group="夕阳红舞蹈队", start=time(20), end=time(21))  # starts when the other ends
    _slot(square, staff, group="彩虹广场舞队", weekday=1, start=time(19), end=time(20))  # Tuesday
    _slot(hall, staff, group="合唱团", start=time(19), end=time(20))  # another venue
    spring = {"valid_from": date(2031, 3, 1), "valid_until": date(2031, 5, 31)}
    autumn = {"valid_from": date(2031, 9, 1), "valid_until": date(2031, 11, 30)}
    _slot(square, staff, group="春季队", weekday=2, **spring)
    _slot(square, staff, group="秋季队", weekday=2, **autumn)
    assert RosterSlot.objects.count() == 6
    # An open-ended slot overlaps both seasonal ones.
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, group="长期队", weekday=2)
    assert "春季队" in errors(exc)["start_time"][0] and "2031-03-01" in errors(exc)["start_time"][0]


def test_moving_a_slot_onto_another_is_refused(square, staff):
    _slot(square, staff)
    tuesday = _slot(square, staff, group="夕阳红舞蹈队", weekday=1)
    with pytest.raises(ValidationError) as exc:
        services.update_slot(tuesday, acting_user=staff, weekday=0)
    assert "红枫舞蹈队" in errors(exc)["start_time"][0]
    tuesday.refresh_from_db()
    assert tuesday.weekday == 1
    # Changing its own times does not clash with itself.
    assert services.update_slot(tuesday, acting_user=staff, end_time=time(21)).end_time == time(21)


def test_bad_slot_times_name_the_field(square, staff):
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, start=time(20), end=time(19))
    assert list(errors(exc)) == ["end_time"]
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, valid_from=date(2031, 5, 1), valid_until=date(2031, 4, 1))
    assert list(errors(exc)) == ["valid_until"]
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, weekday=7)
    assert list(errors(exc)) == ["weekday"]


def test_slot_contact_phone_is_sealed(square, staff):
    slot = _slot(square, staff, contact_name="刘队长", contact_phone="13912345678")
    assert "13912345678" not in slot.phone_sealed and slot.phone_masked == "139****5678"


def test_slot_over_an_upcoming_activity_is_refused_naming_it(square, staff, make_activity):
    offset = next_weekday(2)  # a Wednesday
    make_activity(venue=square, title="邻里集市", starts_at=local(offset, 18), hours=3)
    with pytest.raises(ValidationError) as exc:
        _slot(square, staff, weekday=2, start=time(19), end=time(20))
    assert "邻里集市" in errors(exc)["start_time"][0]


# Clash detection: activities ---------------------------------------------------------------------

def test_activity_over_a_roster_slot_is_refused_naming_the_group(square, staff, make_activity):
    _slot(square, staff, group="红枫舞蹈队", weekday=4, start=time(19), end=time(20, 30))  # Fridays
    friday = next_weekday(4)
    with pytest.raises(ValidationError) as exc:
        make_activity(venue=square, title="露天电影", starts_at=local(friday, 20), hours=2)
    message = errors(exc)["starts_at"][0]
    assert "红枫舞蹈队" in message and "周五" in message and "19:00–20:30" in message
    assert not Activity.objects.filter(title="露天电影").exists()
    # The afternoon of that Friday, and the same evening on Thursday, are free.
    make_activity(venue=square, title="下午集市", starts_at=local(friday, 14), hours=3)
    make_activity(venue=square, title="周四电影", starts_at=local(friday - 1, 19), hours=2)


def test_activity_spanning_midnight_meets_the_next_mornings_slot(square, staff, make_activity):
    _slot(square, staff, group="晨光太极队", weekday=5, start=time(7), end=time(8, 30))  # Saturdays
    saturday = next_weekday(5, at_least=2)
    with pytest.raises(ValidationError) as exc:
        make_activity(venue=square, title="通宵观星", starts_at=local(saturday - 1, 22), hours=10)
    assert "晨光太极队" in errors(exc)["starts_at"][0]


def test_activity_over_another_activity_is_refused_naming_it(make_activity, staff):
    first = make_activity(title="健康讲座", starts_at=local(4, 9), hours=2)
    with pytest.raises(ValidationError) as exc:
        make_activity(title="反诈讲座", starts_at=local(4, 10), hours=2)
    message = errors(exc)["starts_at"][0]
    assert "健康讲座" in message and "09:00" in message
    # Once the first is cancelled, its time is free again.
    services.cancel_activity(first, acting_user=staff, reason="改期")
    assert make_activity(title="反诈讲座", starts_at=local(4, 10), hours=2).status == "published"


def test_moving_an_activity_onto_another_is_refused(make_activity, staff):
    make_activity(title="健康讲座", starts_at=local(4, 9))
    other = make_activity(title="书法课", starts_at=local(4, 14))
    with pytest.raises(ValidationError) as exc:
        services.update_activity(other, acting_user=staff, starts_at=local(4, 10), ends_at=local(4, 12))
    assert "健康讲座" in errors(exc)["starts_at"][0]
    other.refresh_from_db()
    assert other.starts_at == local(4, 14)


def test_activity_needs_a_place_and_sane_times(staff, tree):
    base = {"acting_user": staff, "region": tree.community, "title": "活动", "kind": "other"}
    with pytest.raises(ValidationError) as exc:
        services.create_activity(**base, starts_at=local(3, 9), ends_at=local(3, 10))
    assert list(errors(exc)) == ["venue"]
    with pytest.raises(ValidationError) as exc:
        services.create_activity(**base, place="广场", starts_at=local(3, 10), ends_at=local(3, 9))
    assert list(errors(exc)) == ["ends_at"]
    with pytest.raises(ValidationError) as exc:
        services.create_activity(**base, place="广场", starts_at=local(3, 10), ends_at=local(3, 11), capacity=0)
    assert list(errors(exc)) == ["capacity"]
    assert not Activity.objects.exists()


def test_venue_outside_scope_cannot_be_booked(staff, tree, make_user):
    other_staff = make_user("hanfeng", "street", tree.other_street)
    foreign = services.create_venue(acting_user=other_staff, region=tree.other_street, name="汉丰广场", kind="square")
    with pytest.raises(ValidationError) as exc:
        services.create_activity(acting_user=staff, region=tree.community, title="借场地", kind="other", venue=foreign,
                                 starts_at=local(3, 9), ends_at=local(3, 10))
    assert "不在您的管辖范围内" in errors(exc)["venue"][0]


def test_venue_names_are_unique_within_a_region(hall, staff, tree):
    with pytest.raises(ValidationError) as exc:
        services.create_venue(acting_user=staff, region=tree.community, name=hall.name, kind="hall")
    assert list(errors(exc)) == ["name"]
    assert Venue.objects.count() == 1
