"""Fixtures for activities: a venue of 永先社区 and a way to make a published activity there."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """An aware time `day_offset` days from today, at hour:minute local time."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def next_weekday(weekday: int, *, at_least: int = 1) -> int:
    """Days from today to the next given weekday (0 = Monday), at least `at_least` days ahead."""
    today = timezone.localdate()
    offset = at_least
    while (today + timedelta(days=offset)).weekday() != weekday:
        offset += 1
    return offset


def png_bytes(colour=(30, 120, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def staff(users):
    return users["community"]


@pytest.fixture
def hall(tree, staff):
    from yiwang.activities import services

    return services.create_venue(acting_user=staff, region=tree.community, name="永先社区活动室", kind="hall", capacity=60)


@pytest.fixture
def square(tree, staff):
    from yiwang.activities import services

    return services.create_venue(acting_user=staff, region=tree.community, name="滨湖文化广场", kind="square", capacity=300)


@pytest.fixture
def make_activity(tree, staff, hall):
    """A published activity in three days (or as told), at the hall unless a place is given."""
    from yiwang.activities import services

    def make(*, capacity=2, starts_at=None, hours=2, venue="hall", title="健康讲座", publish=True, **extra):
        starts_at = starts_at or local(3, 9, 30)
        where = {"venue": hall} if venue == "hall" else {"venue": venue} if venue is not None else {"place": "社区会议室"}
        activity = services.create_activity(acting_user=staff, region=tree.community, title=title, kind="lecture", starts_at=starts_at,
                                            ends_at=starts_at + timedelta(hours=hours), capacity=capacity, **where, **extra)
        if publish:
            activity = services.publish_activity(activity, acting_user=staff)
        return activity

    return make
