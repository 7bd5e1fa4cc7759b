"""A link that missed its cadence is told, once per period, to whoever answers for it now: its A,
or its B while A is on leave."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.links.factories import link as make_link
from tests.links.factories import linkvisit
from yiwang.ab_roles.models import Leave
from yiwang.core.jobs import run_jobs
from yiwang.links.services import remind_missed
from yiwang.notify.models import Notification

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 18)
NOW = timezone.make_aware(datetime.combine(TODAY, time(10)))


def test_the_miss_is_told_to_b_while_a_is_away_and_only_once(tree, users):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1))
    link.primary, link.backup = users["worker_a"], users["community"]
    link.save()
    Leave.objects.create(user=users["worker_a"], region=tree.grid_a, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=3),
                         reason="病假", recorded_at=NOW)
    assert remind_missed(today=TODAY, now=NOW) == 1
    notice = Notification.objects.get(kind="link_missed")
    assert notice.user == users["community"] and "2026年2月应联系 1 次，实际 0 次" in notice.text
    assert remind_missed(today=TODAY, now=NOW) == 0
    # Next month: March was missed too, and A is back.
    april = TODAY + timedelta(days=20)
    assert remind_missed(today=april, now=NOW + timedelta(days=20)) == 1
    assert Notification.objects.filter(kind="link_missed").latest("id").user == users["worker_a"]


def test_a_link_on_track_is_not_told(tree, users):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1))
    link.primary = users["worker_a"]
    link.save()
    linkvisit(tree.grid_a, link=link, at=timezone.make_aware(datetime.combine(date(2026, 2, 10), time(10))))
    assert remind_missed(today=TODAY, now=NOW) == 0


def test_the_sweep_sends_the_reminders(tree, users):
    link = make_link(tree.grid_a, starts_on=date(2020, 1, 1))
    link.primary = users["worker_a"]
    link.save()
    assert run_jobs()["links.remind_missed"] == 1
    assert Notification.objects.filter(kind="link_missed", user=users["worker_a"]).count() == 1
