"""The demo hook on the small test tree: venues, a square-dance roster every evening from Monday to
Sunday, upcoming activities (one full with a waiting list), past ones with their record and photos,
no clashes; and delete() removes the rows and the photo files."""

from __future__ import annotations

import random

import pytest
from django.core.files.storage import default_storage

from yiwang.activities import demo, selectors, services
from yiwang.activities.models import Activity, ActivityPhoto, Registration, RosterSlot, Venue
from yiwang.demo.generator import delete_rows

pytestmark = pytest.mark.django_db


def test_build_then_delete(tree, django_capture_on_commit_callbacks):
    summary = demo.build(rng=random.Random("7:activities"), district=tree.district, street=tree.street)
    assert summary.startswith("activities: 6 venues")

    square = Venue.objects.get(name="滨湖文化广场")
    evenings = RosterSlot.objects.filter(venue=square)
    assert sorted({s.weekday for s in evenings}) == list(range(7))
    assert len({s.group_name for s in evenings}) >= 4
    # The plan holds no clash: every slot and activity checks clean against the others.
    for slot in RosterSlot.objects.all():
        assert not services.slot_clashes(venue=slot.venue, weekday=slot.weekday, start_time=slot.start_time, end_time=slot.end_time,
                                         valid_from=slot.valid_from, valid_until=slot.valid_until, exclude=slot.pk)
    for activity in Activity.objects.exclude(venue=None).exclude(status="cancelled"):
        assert services.activity_clashes(venue=activity.venue, starts_at=activity.starts_at, ends_at=activity.ends_at,
                                         exclude=activity.pk) == ([], [])

    upcoming = list(selectors.public_activities())
    assert len(upcoming) >= 3
    full = [a for a in upcoming if a.capacity is not None and selectors.seats_left(a) == 0 and a.waitlisted > 0]
    assert len(full) == 1 and full[0].registered == full[0].capacity
    finished = Activity.objects.filter(status="finished")
    assert finished.count() >= 2 and all(a.summary and a.attendance for a in finished)
    photos = list(ActivityPhoto.objects.values_list("image", flat=True))
    assert photos and all(default_storage.exists(name) for name in photos)
    # Registrants' phones are sealed like everywhere else.
    assert all(r.phone_sealed.startswith("v1:") for r in Registration.objects.all()[:20])

    with django_capture_on_commit_callbacks(execute=True):
        demo.delete(tree.district.path, delete_rows)
    for model in (Venue, RosterSlot, Activity, Registration, ActivityPhoto):
        assert not model.objects.exists(), model
    assert not any(default_storage.exists(name) for name in photos)
