"""Edges of the activity rules: the waiting list follows the lock, check-in closes after the end,
no moving into the past or publishing after the deadline, far-off weeks, and what a cancelled
activity tells the resident who looks up their own registration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.activities.conftest import local
from yiwang.activities import services
from yiwang.activities.models import Registration

pytestmark = pytest.mark.django_db


def test_the_waiting_list_follows_who_got_the_lock_not_the_clock_they_read(make_activity):
    activity = make_activity(capacity=1)
    services.register(activity=activity, name="甲", phone="13800000001")
    later = services.register(activity=activity, name="乙", phone="13800000002")
    # A request that read the clock earlier but got the lock later queues behind.
    earlier = services.register(activity=activity, name="丙", phone="13800000003", now=later.registration.queued_at - timedelta(seconds=5))
    assert (later.position, earlier.position) == (1, 2)
    assert earlier.registration.queued_at > later.registration.queued_at


def test_check_in_closes_two_hours_after_the_end(make_activity, staff):
    activity = make_activity(capacity=5)
    one = services.register(activity=activity, name="甲", phone="13800000001").registration
    two = services.register(activity=activity, name="乙", phone="13800000002").registration
    services.check_in(one, acting_user=staff, now=activity.ends_at + timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        services.check_in(two, acting_user=staff, now=activity.ends_at + timedelta(hours=3))
    assert "签到已关闭" in error.value.message_dict["checked_in_at"][0]
    assert Registration.objects.get(pk=two.pk).checked_in_at is None


def test_no_moving_into_the_past_and_no_publishing_after_the_deadline(make_activity, staff):
    activity = make_activity()
    with pytest.raises(ValidationError) as error:
        services.update_activity(activity, acting_user=staff, starts_at=local(-1, 9), ends_at=local(-1, 11))
    assert "starts_at" in error.value.message_dict
    draft = make_activity(publish=False, starts_at=local(5, 9), registration_closes_at=local(1, 9))
    with pytest.raises(ValidationError) as error:
        services.publish_activity(draft, acting_user=staff, now=local(2, 9))
    assert "registration_closes_at" in error.value.message_dict


def test_a_far_off_week_is_brought_near_instead_of_failing(client, square):
    for week in ("9999-12-31", "0001-01-01"):
        assert client.get(reverse("activities:timetable", args=[square.pk]), {"week": week}).status_code == 200


def test_a_cancelled_activity_says_so_to_the_registrant(client, make_activity, staff):
    activity = make_activity()
    outcome = services.register(activity=activity, name="甲", phone="13800000001")
    services.cancel_activity(activity, acting_user=staff, reason="遇雨改期")
    page = client.post(reverse("activities:public-mine", args=[activity.pk]), {"phone": "13800000001", "code": outcome.code, "what": "status"})
    text = page.content.decode()
    assert "活动已取消" in text and "报名成功" not in text


def test_a_monday_slot_ending_on_a_tuesday_leaves_room_for_one_from_that_tuesday(square, staff):
    from datetime import date, time

    services.create_slot(venue=square, acting_user=staff, group_name="红枫舞蹈队", weekday=0, start_time=time(19), end_time=time(20),
                         valid_from=date(2031, 1, 6), valid_until=date(2031, 6, 3))
    later = services.create_slot(venue=square, acting_user=staff, group_name="夕阳红舞蹈队", weekday=0, start_time=time(19),
                                 end_time=time(20), valid_from=date(2031, 6, 3))
    assert later.pk
    with pytest.raises(ValidationError) as error:
        services.create_slot(venue=square, acting_user=staff, group_name="晨练队", weekday=0, start_time=time(19, 30), end_time=time(21),
                             valid_from=date(2031, 6, 2), valid_until=date(2031, 6, 2))
    assert "红枫舞蹈队" in str(error.value)
