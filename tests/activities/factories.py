"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import time, timedelta

from django.utils import timezone

_seq = itertools.count(1)


def venue(region):
    from yiwang.activities.models import Venue

    return Venue.objects.create(region=region, name=f"活动室{next(_seq)}", kind="hall", capacity=80)


def rosterslot(region):
    from yiwang.activities.models import RosterSlot

    return RosterSlot.objects.create(venue=venue(region), group_name=f"舞蹈队{next(_seq)}", weekday=0, start_time=time(19),
                                     end_time=time(20, 30))


def activity(region):
    from yiwang.activities.models import Activity

    starts = timezone.now() + timedelta(days=3)
    return Activity.objects.create(region=region, title=f"测试活动{next(_seq)}", kind="lecture", place="社区会议室", starts_at=starts,
                                   ends_at=starts + timedelta(hours=2), capacity=10, status="published", published_at=timezone.now())


def registration(region):
    from yiwang.activities.models import Registration
    from yiwang.activities.services import hash_code

    n = next(_seq)
    row = Registration(activity=activity(region), name=f"报名人{n}", status="registered", queued_at=timezone.now(), code_hash=hash_code("ABC234"))
    row.set_phone(f"139{n:08d}")
    row.save()
    return row


def activityphoto(region):
    from yiwang.activities.models import ActivityPhoto

    return ActivityPhoto.objects.create(activity=activity(region), image="activities/test.png", content_type="image/png", size=1)
