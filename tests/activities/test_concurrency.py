"""Two people clicking for the last seat at the same moment, on real connections: exactly one gets
the seat, the other is first on the waiting list. And a cancellation racing a registration never
leaves a seat empty while someone waits."""

from __future__ import annotations

import pytest

from tests.activities.conftest import local
from tests.concurrency import race
from yiwang.activities import services
from yiwang.activities.models import Registration

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_people_for_the_last_seat_one_seat_one_waiting(make_activity):
    activity = make_activity(capacity=2, starts_at=local(3, 9))
    services.register(activity=activity, name="先来的", phone="13800000000")

    results = race([
        lambda: services.register(activity=activity.pk, name="张秀英", phone="13800000001"),
        lambda: services.register(activity=activity.pk, name="李建国", phone="13800000002"),
    ])
    assert all(isinstance(r, services.RegistrationOutcome) for r in results), results
    statuses = sorted(r.registration.status for r in results)
    assert statuses == ["registered", "waitlisted"]
    waiting = next(r for r in results if r.registration.status == "waitlisted")
    assert waiting.position == 1
    # The database agrees: two seats taken, one person waiting, never three seats.
    rows = dict(Registration.objects.filter(activity=activity).values_list("phone_digest", "status"))
    assert sorted(rows.values()) == ["registered", "registered", "waitlisted"]


def test_same_phone_twice_at_once_registers_once(make_activity):
    activity = make_activity(capacity=5, starts_at=local(3, 9))
    results = race([lambda: services.register(activity=activity.pk, name="张秀英", phone="13800000001") for _ in range(2)])
    outcomes = [r for r in results if isinstance(r, services.RegistrationOutcome)]
    refusals = [r for r in results if not isinstance(r, services.RegistrationOutcome)]
    assert len(outcomes) == 1 and len(refusals) == 1
    assert "phone" in refusals[0].message_dict
    assert Registration.objects.filter(activity=activity).count() == 1


def test_cancel_racing_a_registration_keeps_seats_full(make_activity):
    activity = make_activity(capacity=1, starts_at=local(3, 9))
    seat = services.register(activity=activity, name="张秀英", phone="13800000001")
    services.register(activity=activity, name="李建国", phone="13800000002")  # waiting, first
    results = race([
        lambda: services.cancel_own(activity=activity.pk, phone="13800000001", code=seat.code),
        lambda: services.register(activity=activity.pk, name="王海燕", phone="13800000003"),
    ])
    assert not any(isinstance(r, Exception) for r in results), results
    by_name = dict(Registration.objects.filter(activity=activity).values_list("name", "status"))
    # Whatever the order, the one who waited longest holds the seat and the newcomer waits.
    assert by_name == {"张秀英": "cancelled", "李建国": "registered", "王海燕": "waitlisted"}
