"""Reads for pages and the API: activities with their seat counts, the public list, waiting lists
and a venue's week (roster slots and activities, Monday to Sunday)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Activity, ActivityStatus, Registration, RegistrationStatus, RosterSlot, Venue, Weekday


def with_counts(activities: QuerySet) -> QuerySet:
    """Annotate `registered` and `waitlisted` (cancelled registrations count for neither)."""
    return activities.annotate(
        registered=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
        waitlisted=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    )


def seats_left(activity) -> int | None:
    """Free seats of an activity annotated by `with_counts`; None when there is no limit."""
    if activity.capacity is None:
        return None
    return max(activity.capacity - activity.registered, 0)


def public_activities(*, now: datetime | None = None, region_path: str = "") -> QuerySet:
    """Published activities not yet over, soonest first, for anyone to see."""
    now = now or timezone.now()
    qs = Activity.objects.filter(status=ActivityStatus.PUBLISHED, ends_at__gt=now)
    if region_path:
        qs = qs.filter(region__path__startswith=region_path)
    return with_counts(qs).select_related("region", "venue").order_by("starts_at", "id")


def public_records(*, limit: int = 6, region_path: str = "") -> QuerySet:
    """Finished activities with their record, latest first."""
    qs = Activity.objects.filter(status=ActivityStatus.FINISHED)
    if region_path:
        qs = qs.filter(region__path__startswith=region_path)
    return qs.select_related("region", "venue").order_by("-starts_at")[:limit]


def public_activity(pk: int) -> Activity | None:
    """An activity the public may open: published, cancelled after publishing, or finished."""
    return (with_counts(Activity.objects.filter(pk=pk).exclude(status=ActivityStatus.DRAFT)
                        .exclude(status=ActivityStatus.CANCELLED, published_at__isnull=True))
            .select_related("region", "venue").first())


def queue(activity: Activity) -> dict[str, list[Registration]]:
    """Registrations by status, each in queue order (the waiting list's order is its positions)."""
    groups: dict[str, list[Registration]] = {value: [] for value in RegistrationStatus.values}
    for registration in activity.registrations.select_related("person", "checked_in_by").order_by("queued_at", "pk"):
        groups[registration.status].append(registration)
    return groups


# Timetables are asked for weeks near today; a date far off (or a typo like 9999-12-31) is brought
# within this many days of today rather than overflowing the date arithmetic.
WEEK_RANGE_DAYS = 3650


def week_start(day: date) -> date:
    """The Monday of `day`'s week, `day` kept within WEEK_RANGE_DAYS of today."""
    today = timezone.localdate()
    day = min(max(day, today - timedelta(days=WEEK_RANGE_DAYS)), today + timedelta(days=WEEK_RANGE_DAYS))
    return day - timedelta(days=day.weekday())


@dataclass
class Entry:
    """One line of a venue's day: a roster slot or an activity, with its local times that day."""

    kind: str  # "slot" or "activity"
    title: str
    starts: time
    ends: time | None  # None: goes on past midnight
    obj: object
    note: str = ""


@dataclass
class Day:
    day: date
    weekday: str
    entries: list[Entry] = field(default_factory=list)
    today: bool = False


def timetable(venue: Venue, monday: date, *, statuses=(ActivityStatus.PUBLISHED, ActivityStatus.FINISHED)) -> list[Day]:
    """The venue's week from `monday`: roster slots valid each day and the activities that day."""
    today = timezone.localdate()
    days = [Day(day=monday + timedelta(days=i), weekday=Weekday(i).label, today=monday + timedelta(days=i) == today) for i in range(7)]
    slots = list(RosterSlot.objects.filter(venue=venue).order_by("weekday", "start_time"))
    week_from = timezone.make_aware(datetime.combine(monday, time.min))
    week_to = week_from + timedelta(days=7)
    activities = list(Activity.objects.filter(venue=venue, status__in=statuses, starts_at__lt=week_to, ends_at__gt=week_from)
                      .order_by("starts_at"))
    for day in days:
        for slot in slots:
            if slot.weekday == day.day.weekday() and slot.valid_on(day.day):
                day.entries.append(Entry("slot", slot.group_name, slot.start_time, slot.end_time, slot, slot.note))
        day_from = timezone.make_aware(datetime.combine(day.day, time.min))
        day_to = day_from + timedelta(days=1)
        for activity in activities:
            if activity.starts_at < day_to and activity.ends_at > day_from:
                starts = timezone.localtime(max(activity.starts_at, day_from)).time()
                ends = None if activity.ends_at >= day_to else timezone.localtime(activity.ends_at).time()
                day.entries.append(Entry("activity", activity.title, starts, ends, activity, activity.get_status_display()))
        day.entries.sort(key=lambda entry: entry.starts)
    return days
