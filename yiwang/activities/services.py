"""Every write of this app: venues and their weekly rosters, activities through their life
(draft → published → finished, or cancelled), registrations with a waiting list, check-in and the
record afterwards.

Rules kept here:
- A venue holds one thing at a time. A roster slot may not overlap another slot of the same venue
  on the same weekday in an overlapping validity period, nor an upcoming activity there; an
  activity may not overlap another activity or a roster slot at its venue. The venue row is
  locked first, so two people booking the same evening cannot both succeed.
- Seats: registrations are counted with the activity row locked (`select_for_update`), so two
  people taking the last seat at once get one seat and one waiting-list place. A cancellation
  promotes the head of the waiting list in the same transaction.
- Bad input raises ValidationError naming the field; nothing is half-written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from yiwang.core.photos import CheckedPhoto, check_photos
from yiwang.core import audit, crypto
from yiwang.core.scope import Action, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.registry.validators import MOBILE_RE

from .models import (
    Activity, ActivityKind, ActivityPhoto, ActivityStatus, Registration, RegistrationStatus, RosterSlot, Venue, VenueKind, Weekday,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_ACTIVITY_DAYS = 14
MAX_PHOTOS_PER_ACTIVITY = 30
# Check-in opens this long before the start (people arrive early); it closes with the record.
CHECK_IN_OPENS_BEFORE = timedelta(hours=3)
# Latecomers are signed in up to two hours after the end; later than that it is no attendance.
CHECK_IN_CLOSES_AFTER = timedelta(hours=2)
# Statuses whose activity occupies its venue.
OCCUPYING = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.FINISHED)
# An activity's life: edited until it is over, published, cancelled or finished (with its record),
# photos added once finished.
ACTIVITY_MACHINE = StateMachine([
    Transition("edit", (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED), None),
    Transition("publish", ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, stamp="published_at"),
    Transition("cancel", (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED), ActivityStatus.CANCELLED),
    Transition("finish", ActivityStatus.PUBLISHED, ActivityStatus.FINISHED, stamp="finished_at"),
    Transition("add_photos", ActivityStatus.FINISHED, None),
])


class WrongCode(PermissionDenied):
    """The phone and cancellation code do not match a registration (never says which is wrong)."""


@dataclass
class RegistrationOutcome:
    registration: Registration
    code: str  # shown once to the registrant; only its digest is stored
    position: int | None  # place on the waiting list, None when a seat was given


@dataclass
class CancelOutcome:
    registration: Registration
    promoted: list[Registration] = field(default_factory=list)


def hash_code(code: str) -> str:
    # Keyed with the field key, so a copied database does not let anyone try every code offline.
    return crypto.digest("activity-code:" + code.strip().upper())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


# Venues ------------------------------------------------------------------------------------------

VENUE_FIELDS = ("region", "name", "kind", "address", "capacity", "public", "note")


def _check_venue(values: dict, *, venue: Venue | None) -> dict:
    clean = dict(values)
    clean["name"] = (clean.get("name") or "").strip()
    if not clean["name"]:
        raise ValidationError({"name": "请填写场地名称"})
    if len(clean["name"]) > 100:
        raise ValidationError({"name": "场地名称不能超过100字"})
    if clean.get("region") is None:
        raise ValidationError({"region": "请选择所属区域"})
    if clean.get("kind") not in VenueKind.values:
        raise ValidationError({"kind": f"未知的场地类型：{clean.get('kind')}"})
    capacity = clean.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise ValidationError({"capacity": "容纳人数须为正整数，或留空"})
    clean["address"] = (clean.get("address") or "").strip()[:200]
    clean["note"] = (clean.get("note") or "").strip()
    clean["public"] = bool(clean.get("public", True))
    same_name = Venue.objects.filter(region=clean["region"], name=clean["name"])
    if venue is not None:
        same_name = same_name.exclude(pk=venue.pk)
    if same_name.exists():
        raise ValidationError({"name": f"{clean['region'].name}已有名为“{clean['name']}”的场地"})
    return clean


def create_venue(*, acting_user, region, name: str, kind: str = VenueKind.HALL, address: str = "", capacity: int | None = None,
                 public: bool = True, note: str = "") -> Venue:
    if region is not None:
        require(acting_user, Action.CHANGE, region.path)
    clean = _check_venue({"region": region, "name": name, "kind": kind, "address": address, "capacity": capacity, "public": public,
                          "note": note}, venue=None)
    with transaction.atomic():
        venue = Venue.objects.create(**clean)
        audit.record(actor=acting_user, action="activities.venue.create", target=venue, detail={"name": venue.name})
    return venue


def update_venue(venue: Venue, *, acting_user, **changes) -> Venue:
    unknown = set(changes) - set(VENUE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "不能修改此项"})
    with transaction.atomic():
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        require(acting_user, Action.CHANGE, locked.region.path)
        values = {name: getattr(locked, name) for name in VENUE_FIELDS} | changes
        if values["region"] is not None and values["region"].pk != locked.region_id:
            require(acting_user, Action.CHANGE, values["region"].path)
        clean = _check_venue(values, venue=locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(actor=acting_user, action="activities.venue.update", target=locked, detail={"fields": sorted(changes)})
    return locked


# Roster slots ------------------------------------------------------------------------------------

SLOT_FIELDS = ("group_name", "weekday", "start_time", "end_time", "valid_from", "valid_until", "contact_name", "contact_phone", "note")


def describe_slot(slot: RosterSlot) -> str:
    period = ""
    if slot.valid_from or slot.valid_until:
        period = f"（{slot.valid_from or '…'} 至 {slot.valid_until or '…'}）"
    return f"“{slot.group_name}”{Weekday(slot.weekday).label} {slot.start_time:%H:%M}–{slot.end_time:%H:%M}{period}"


def describe_activity(activity: Activity) -> str:
    start, end = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    until = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"活动“{activity.title}”{start:%Y-%m-%d %H:%M}–{until}"


def slot_clashes(*, venue: Venue, weekday: int, start_time: time, end_time: time, valid_from: date | None, valid_until: date | None,
                 exclude: int | None = None) -> list[RosterSlot]:
    """Slots of the venue on that weekday whose times and validity periods both overlap. The new
    slot's period is first narrowed to the days it can meet (its first and last such weekday), so a
    Monday slot ending on a Tuesday does not clash with one starting that Tuesday."""
    if valid_from is not None:
        valid_from += timedelta(days=(weekday - valid_from.weekday()) % 7)
    if valid_until is not None:
        valid_until -= timedelta(days=(valid_until.weekday() - weekday) % 7)
    if valid_from is not None and valid_until is not None and valid_from > valid_until:
        return []  # it never meets: nothing to clash with
    qs = RosterSlot.objects.filter(venue=venue, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time)
    if valid_until is not None:
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=valid_until))
    if valid_from is not None:
        qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    return list(qs.exclude(pk=exclude).order_by("start_time"))


def _days_of(starts_at: datetime, ends_at: datetime) -> list[date]:
    """The local dates an interval touches (its end is exclusive)."""
    first = timezone.localtime(starts_at).date()
    last = timezone.localtime(ends_at - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def slot_meets(slot: RosterSlot, starts_at: datetime, ends_at: datetime) -> bool:
    """Does the weekly slot, on some day it is valid, overlap [starts_at, ends_at)?"""
    for day in _days_of(starts_at, ends_at):
        if day.weekday() == slot.weekday and slot.valid_on(day):
            if _aware(day, slot.start_time) < ends_at and starts_at < _aware(day, slot.end_time):
                return True
    return False


def activity_clashes(*, venue: Venue, starts_at: datetime, ends_at: datetime, exclude: int | None = None) -> tuple[list[Activity], list[RosterSlot]]:
    """Activities and roster slots at the venue that overlap the interval."""
    activities = list(Activity.objects.filter(venue=venue, status__in=OCCUPYING, starts_at__lt=ends_at, ends_at__gt=starts_at)
                      .exclude(pk=exclude).order_by("starts_at"))
    weekdays = {day.weekday() for day in _days_of(starts_at, ends_at)}
    slots = [slot for slot in RosterSlot.objects.filter(venue=venue, weekday__in=weekdays).order_by("weekday", "start_time")
             if slot_meets(slot, starts_at, ends_at)]
    return activities, slots


def _upcoming_activities_meeting(slot: RosterSlot, *, now: datetime) -> list[Activity]:
    candidates = Activity.objects.filter(venue=slot.venue, status__in=(ActivityStatus.DRAFT, ActivityStatus.PUBLISHED), ends_at__gt=now)
    return [a for a in candidates.order_by("starts_at") if slot_meets(slot, a.starts_at, a.ends_at)]


def _check_slot(values: dict) -> dict:
    clean = dict(values)
    clean["group_name"] = (clean.get("group_name") or "").strip()
    if not clean["group_name"]:
        raise ValidationError({"group_name": "请填写团队名称"})
    if len(clean["group_name"]) > 100:
        raise ValidationError({"group_name": "团队名称不能超过100字"})
    if clean.get("weekday") not in Weekday.values:
        raise ValidationError({"weekday": "请选择周一至周日中的一天"})
    start, end = clean.get("start_time"), clean.get("end_time")
    if not isinstance(start, time):
        raise ValidationError({"start_time": "请填写开始时间"})
    if not isinstance(end, time):
        raise ValidationError({"end_time": "请填写结束时间"})
    if end <= start:
        raise ValidationError({"end_time": f"结束时间须晚于开始时间 {start:%H:%M}（排班不跨越午夜）"})
    valid_from, valid_until = clean.get("valid_from"), clean.get("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError({"valid_until": f"截止日期不能早于生效日期 {valid_from}"})
    clean["contact_name"] = (clean.get("contact_name") or "").strip()[:50]
    clean["contact_phone"] = (clean.get("contact_phone") or "").strip()
    if clean["contact_phone"] and not MOBILE_RE.fullmatch(clean["contact_phone"]):
        raise ValidationError({"contact_phone": "请输入11位中国大陆手机号，或留空"})
    clean["note"] = (clean.get("note") or "").strip()[:200]
    return clean


def _refuse_slot_clashes(venue: Venue, slot: RosterSlot, *, now: datetime) -> None:
    others = slot_clashes(venue=venue, weekday=slot.weekday, start_time=slot.start_time, end_time=slot.end_time,
                          valid_from=slot.valid_from, valid_until=slot.valid_until, exclude=slot.pk)
    if others:
        raise ValidationError({"start_time": f"与{venue.name}已有的排班{describe_slot(others[0])}冲突"})
    booked = _upcoming_activities_meeting(slot, now=now)
    if booked:
        raise ValidationError({"start_time": f"与{venue.name}已安排的{describe_activity(booked[0])}冲突"})


def _apply_slot(slot: RosterSlot, clean: dict) -> None:
    phone = clean.pop("contact_phone")
    for name, value in clean.items():
        setattr(slot, name, value)
    if phone:
        slot.set_phone(phone)
    else:
        slot.phone_sealed = slot.phone_digest = ""


def create_slot(*, acting_user, venue: Venue, group_name: str, weekday: int, start_time: time, end_time: time,
                valid_from: date | None = None, valid_until: date | None = None, contact_name: str = "", contact_phone: str = "",
                note: str = "", now: datetime | None = None) -> RosterSlot:
    clean = _check_slot({"group_name": group_name, "weekday": weekday, "start_time": start_time, "end_time": end_time,
                         "valid_from": valid_from, "valid_until": valid_until, "contact_name": contact_name,
                         "contact_phone": contact_phone, "note": note})
    with transaction.atomic():
        # The venue row is the lock every booking of this venue queues on.
        locked = Venue.objects.select_for_update(of=("self",)).select_related("region").get(pk=venue.pk)
        require(acting_user, Action.CHANGE, locked.region.path)
        slot = RosterSlot(venue=locked)
        _apply_slot(slot, clean)
        _refuse_slot_clashes(locked, slot, now=now or timezone.now())
        slot.save()
        audit.record(actor=acting_user, action="activities.slot.create", target=slot, detail={"venue": locked.pk, "slot": str(slot)})
    return slot


def update_slot(slot: RosterSlot, *, acting_user, now: datetime | None = None, **changes) -> RosterSlot:
    unknown = set(changes) - set(SLOT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "不能修改此项"})
    with transaction.atomic():
        venue = Venue.objects.select_for_update(of=("self",)).select_related("region").get(pk=slot.venue_id)
        require(acting_user, Action.CHANGE, venue.region.path)
        locked = RosterSlot.objects.select_for_update().get(pk=slot.pk)
        current = {name: getattr(locked, name) for name in SLOT_FIELDS if name != "contact_phone"}
        current["contact_phone"] = crypto.decrypt(locked.phone_sealed)
        clean = _check_slot(current | changes)
        _apply_slot(locked, clean)
        _refuse_slot_clashes(venue, locked, now=now or timezone.now())
        locked.save()
        audit.record(actor=acting_user, action="activities.slot.update", target=locked, detail={"fields": sorted(changes), "slot": str(locked)})
    return locked


def delete_slot(slot: RosterSlot, *, acting_user) -> None:
    with transaction.atomic():
        locked = RosterSlot.objects.select_for_update(of=("self",)).select_related("venue__region").get(pk=slot.pk)
        require(acting_user, Action.CHANGE, locked.venue.region.path)
        audit.record(actor=acting_user, action="activities.slot.delete", target=locked, detail={"venue": locked.venue_id, "slot": str(locked)})
        locked.delete()


# Activities --------------------------------------------------------------------------------------

ACTIVITY_FIELDS = ("region", "title", "kind", "venue", "place", "starts_at", "ends_at", "capacity", "registration_closes_at", "description")


def _check_activity(values: dict, *, acting_user, activity: Activity | None) -> dict:
    clean = dict(values)
    if clean.get("region") is None:
        raise ValidationError({"region": "请选择主办区域"})
    clean["title"] = (clean.get("title") or "").strip()
    if not clean["title"]:
        raise ValidationError({"title": "请填写活动名称"})
    if len(clean["title"]) > 120:
        raise ValidationError({"title": "活动名称不能超过120字"})
    if clean.get("kind") not in ActivityKind.values:
        raise ValidationError({"kind": f"未知的活动类型：{clean.get('kind')}"})
    starts_at, ends_at = clean.get("starts_at"), clean.get("ends_at")
    for name, value, label in (("starts_at", starts_at, "开始时间"), ("ends_at", ends_at, "结束时间")):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError({name: f"请填写{label}（含日期和时间）"})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": f"结束时间须晚于开始时间 {_fmt(starts_at)}"})
    if ends_at - starts_at > timedelta(days=MAX_ACTIVITY_DAYS):
        raise ValidationError({"ends_at": f"活动时长不能超过{MAX_ACTIVITY_DAYS}天"})
    venue = clean.get("venue")
    clean["place"] = (clean.get("place") or "").strip()[:200]
    if venue is None and not clean["place"]:
        raise ValidationError({"venue": "请选择场地，或填写地点"})
    if venue is not None and not Venue.objects.restrict(acting_user, Action.VIEW).filter(pk=venue.pk).exists():
        raise ValidationError({"venue": f"场地“{venue.name}”不在您的管辖范围内"})
    capacity = clean.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise ValidationError({"capacity": "报名名额须为正整数，或留空表示不限"})
    if activity is not None and capacity is not None:
        taken = activity.registrations.filter(status=RegistrationStatus.REGISTERED).count()
        if capacity < taken:
            raise ValidationError({"capacity": f"已有{taken}人报名成功，名额不能少于{taken}"})
    closes = clean.get("registration_closes_at")
    if closes is not None:
        if not isinstance(closes, datetime) or timezone.is_naive(closes):
            raise ValidationError({"registration_closes_at": "报名截止须含日期和时间"})
        if closes > starts_at:
            raise ValidationError({"registration_closes_at": f"报名截止不能晚于活动开始 {_fmt(starts_at)}"})
    clean["description"] = (clean.get("description") or "").strip()
    return clean


def _refuse_activity_clashes(clean: dict, *, exclude: int | None) -> None:
    venue = clean.get("venue")
    if venue is None:
        return
    activities, slots = activity_clashes(venue=venue, starts_at=clean["starts_at"], ends_at=clean["ends_at"], exclude=exclude)
    if activities:
        raise ValidationError({"starts_at": f"{venue.name}在该时段已有{describe_activity(activities[0])}"})
    if slots:
        raise ValidationError({"starts_at": f"{venue.name}在该时段有排班{describe_slot(slots[0])}"})


def _lock_venue(venue: Venue | None) -> None:
    if venue is not None:
        # Only the venue row: the model's ordering would join (and lock) its region too.
        list(Venue.objects.select_for_update(of=("self",)).filter(pk=venue.pk).order_by().values_list("pk"))


def _lock_venue_of(activity: Activity) -> None:
    """Lock the venue the activity is at now (as stored, not as the caller's copy says)."""
    venue_id = Activity.objects.filter(pk=activity.pk).values_list("venue", flat=True).first()
    if venue_id is not None:
        _lock_venue(Venue(pk=venue_id))


def create_activity(*, acting_user, region, title: str, kind: str, starts_at: datetime, ends_at: datetime, venue: Venue | None = None,
                    place: str = "", capacity: int | None = None, registration_closes_at: datetime | None = None,
                    description: str = "") -> Activity:
    """A draft activity; publish it to open registration."""
    if region is not None:
        require(acting_user, Action.CHANGE, region.path)
    values = {"region": region, "title": title, "kind": kind, "venue": venue, "place": place, "starts_at": starts_at,
              "ends_at": ends_at, "capacity": capacity, "registration_closes_at": registration_closes_at, "description": description}
    with transaction.atomic():
        _lock_venue(venue)
        clean = _check_activity(values, acting_user=acting_user, activity=None)
        _refuse_activity_clashes(clean, exclude=None)
        activity = Activity.objects.create(**clean, status=ActivityStatus.DRAFT, created_by=audit.account(acting_user))
        audit.record(actor=acting_user, action="activities.activity.create", target=activity, detail={"title": activity.title})
    return activity


def _locked_activity(activity: Activity | int) -> Activity:
    pk = activity.pk if isinstance(activity, Activity) else activity
    return Activity.objects.select_for_update().get(pk=pk)


def update_activity(activity: Activity, *, acting_user, **changes) -> Activity:
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "不能修改此项"})
    with transaction.atomic():
        # Venues before the activity, in that order everywhere and by id, so two bookings (or two
        # edits swapping venues) cannot deadlock.
        current_venue = Activity.objects.filter(pk=activity.pk).values_list("venue", flat=True).first()
        new_venue = changes.get("venue")
        for venue_id in sorted({v for v in (current_venue, new_venue.pk if new_venue is not None else None) if v is not None}):
            _lock_venue(Venue(pk=venue_id))
        locked = _locked_activity(activity)
        require(acting_user, Action.CHANGE, locked.region.path)
        ACTIVITY_MACHINE.move(locked, "edit", otherwise=ValidationError({"status": f"活动{locked.get_status_display()}，不能再修改"}))
        values = {name: getattr(locked, name) for name in ACTIVITY_FIELDS} | changes
        if values["region"] is not None and values["region"].pk != locked.region_id:
            require(acting_user, Action.CHANGE, values["region"].path)
        clean = _check_activity(values, acting_user=acting_user, activity=locked)
        if "starts_at" in changes and clean["starts_at"] != locked.starts_at and clean["starts_at"] <= timezone.now():
            # Moving an activity into the past would strand its registrations and its check-in.
            raise ValidationError({"starts_at": "活动不能改到已经过去的时间"})
        _refuse_activity_clashes(clean, exclude=locked.pk)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.save()
        promoted = _fill_seats(locked, now=timezone.now(), actor=acting_user)
        audit.record(actor=acting_user, action="activities.activity.update", target=locked,
                     detail={"fields": sorted(changes), "promoted": [r.pk for r in promoted]})
    return locked


def publish_activity(activity: Activity, *, acting_user, now: datetime | None = None) -> Activity:
    now = now or timezone.now()
    with transaction.atomic():
        _lock_venue_of(activity)
        locked = _locked_activity(activity)
        require(acting_user, Action.CHANGE, locked.region.path)
        publish = ACTIVITY_MACHINE.move(locked, "publish", otherwise=ValidationError(
            {"status": f"只有草稿可以发布，当前为“{locked.get_status_display()}”"}))
        if locked.starts_at <= now:
            raise ValidationError({"starts_at": f"活动已于 {_fmt(locked.starts_at)} 开始，不能发布"})
        if locked.registration_closes_at is not None and locked.registration_closes_at <= now:
            raise ValidationError({"registration_closes_at": f"报名截止时间 {_fmt(locked.registration_closes_at)} 已过，请先修改再发布"})
        _refuse_activity_clashes({"venue": locked.venue, "starts_at": locked.starts_at, "ends_at": locked.ends_at}, exclude=locked.pk)
        ACTIVITY_MACHINE.apply(locked, publish, now)
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit.record(actor=acting_user, action="activities.activity.publish", target=locked)
    return locked


def cancel_activity(activity: Activity, *, acting_user, reason: str = "") -> Activity:
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _locked_activity(activity)
        require(acting_user, Action.CHANGE, locked.region.path)
        cancel = ACTIVITY_MACHINE.move(locked, "cancel", otherwise=ValidationError({"status": f"活动{locked.get_status_display()}，不能取消"}))
        if locked.status == ActivityStatus.PUBLISHED and not reason:
            raise ValidationError({"cancel_reason": "已发布的活动取消时请说明原因（将向报名者公示）"})
        ACTIVITY_MACHINE.apply(locked, cancel)
        locked.cancel_reason = reason[:200]
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit.record(actor=acting_user, action="activities.activity.cancel", target=locked, detail={"reason": locked.cancel_reason})
    return locked


def _checked_photos(files) -> list[CheckedPhoto]:
    files = list(files or [])
    return files if all(isinstance(f, CheckedPhoto) for f in files) else check_photos(files, field="photos")


def _save_photos(activity: Activity, photos: list[CheckedPhoto], *, acting_user) -> list[ActivityPhoto]:
    existing = activity.photos.count()
    if existing + len(photos) > MAX_PHOTOS_PER_ACTIVITY:
        raise ValidationError({"photos": f"每个活动最多{MAX_PHOTOS_PER_ACTIVITY}张照片，已有{existing}张"})
    saved = []
    for i, photo in enumerate(photos, start=existing + 1):
        record = ActivityPhoto(activity=activity, content_type=photo.content_type, size=len(photo.content),
                               uploaded_by=audit.account(acting_user))
        record.image.save(f"activity-{activity.pk}-{i}.{photo.extension}", ContentFile(photo.content), save=False)
        if photo.thumbnail:
            record.thumbnail.save(f"activity-{activity.pk}-{i}-thumb.{photo.extension}", ContentFile(photo.thumbnail), save=False)
        record.save()
        saved.append(record)
    return saved


def review_photo(photo: ActivityPhoto, *, acting_user, approve: bool = True, now: datetime | None = None) -> ActivityPhoto:
    """Staff over the activity look at a record photo before public pages show it; withdrawing
    takes it off them again."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ActivityPhoto.objects.select_for_update(of=("self",)).select_related("activity__region").get(pk=photo.pk)
        require(acting_user, Action.CHANGE, locked.activity.region.path)
        locked.reviewed_at, locked.reviewed_by = (now, audit.account(acting_user)) if approve else (None, None)
        locked.save(update_fields=["reviewed_at", "reviewed_by"])
        audit.record(actor=acting_user, action="activities.activity.photo_review" if approve else "activities.activity.photo_withdraw",
                     target=locked.activity, detail={"photo": locked.pk})
    return locked


def finish_activity(activity: Activity, *, acting_user, summary: str, attendance: int | None = None, photos=(),
                    now: datetime | None = None) -> Activity:
    """The record afterwards: a short summary, how many took part (by default those checked in), photos."""
    now = now or timezone.now()
    checked = _checked_photos(photos)
    summary = (summary or "").strip()
    with transaction.atomic():
        locked = _locked_activity(activity)
        require(acting_user, Action.CHANGE, locked.region.path)
        finish = ACTIVITY_MACHINE.move(locked, "finish", otherwise=ValidationError(
            {"status": f"只有已发布的活动可以记录结束，当前为“{locked.get_status_display()}”"}))
        if locked.ends_at > now:
            raise ValidationError({"ends_at": f"活动 {_fmt(locked.ends_at)} 结束，结束后再填写记录"})
        if not summary:
            raise ValidationError({"summary": "请填写活动记录"})
        if attendance is None:
            attendance = locked.registrations.filter(checked_in_at__isnull=False).count()
        elif not isinstance(attendance, int) or attendance < 0:
            raise ValidationError({"attendance": "参加人数须为不小于0的整数"})
        ACTIVITY_MACHINE.apply(locked, finish, now)
        locked.summary, locked.attendance = summary, attendance
        locked.save(update_fields=["status", "summary", "attendance", "finished_at", "updated_at"])
        saved = _save_photos(locked, checked, acting_user=acting_user)
        audit.record(actor=acting_user, action="activities.activity.finish", target=locked,
                     detail={"attendance": attendance, "photos": len(saved)})
    return locked


def add_photos(activity: Activity, *, acting_user, photos) -> list[ActivityPhoto]:
    checked = _checked_photos(photos)
    if not checked:
        raise ValidationError({"photos": "请选择照片"})
    with transaction.atomic():
        locked = _locked_activity(activity)
        require(acting_user, Action.CHANGE, locked.region.path)
        ACTIVITY_MACHINE.move(locked, "add_photos", otherwise=ValidationError({"photos": "活动结束并填写记录后才能上传照片"}))
        saved = _save_photos(locked, checked, acting_user=acting_user)
        audit.record(actor=acting_user, action="activities.activity.photos", target=locked, detail={"photos": len(saved)})
    return saved


def delete_photo(photo: ActivityPhoto, *, acting_user) -> None:
    with transaction.atomic():
        locked = ActivityPhoto.objects.select_for_update(of=("self",)).select_related("activity__region").get(pk=photo.pk)
        require(acting_user, Action.CHANGE, locked.activity.region.path)
        audit.record(actor=acting_user, action="activities.activity.photo_delete", target=locked.activity, detail={"photo": locked.pk})
        names, storage = [f.name for f in (locked.image, locked.thumbnail) if f], locked.image.storage
        locked.delete()
        # The files go only once the row is gone for good.
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


# Registrations -----------------------------------------------------------------------------------

def waitlist_position(registration: Registration) -> int | None:
    """1 for the head of the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(activity_id=registration.activity_id, status=RegistrationStatus.WAITLISTED).filter(
        Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk))
    return ahead.count() + 1


def _refuse_closed(activity: Activity, now: datetime) -> None:
    if activity.status == ActivityStatus.DRAFT:
        raise ValidationError({"status": "活动尚未发布，暂不能报名"})
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError({"status": "活动已取消，不能报名"})
    if activity.status == ActivityStatus.FINISHED:
        raise ValidationError({"status": "活动已结束，不能报名"})
    if now >= activity.closes_at:
        raise ValidationError({"registration_closes_at": f"报名已于 {_fmt(activity.closes_at)} 截止"})


def _check_registrant(name: str, phone: str) -> tuple[str, str]:
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name:
        raise ValidationError({"name": "请填写姓名"})
    if len(name) > 50:
        raise ValidationError({"name": "姓名不能超过50字"})
    if not MOBILE_RE.fullmatch(phone):
        raise ValidationError({"phone": "请输入11位中国大陆手机号（1开头，第二位为3–9）"})
    return name, phone


def _matching_person(activity: Activity, digest: str):
    """The resident with this phone inside the activity's region, when exactly one matches."""
    from yiwang.registry.models import Person

    found = list(Person.objects.filter(phone_digest=digest, region__path__startswith=activity.region.path).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else None


def _fill_seats(activity: Activity, *, now: datetime, actor) -> list[Registration]:
    """Promote from the head of the waiting list while seats are free (activity row locked)."""
    waiting = Registration.objects.select_for_update().filter(activity=activity, status=RegistrationStatus.WAITLISTED).order_by("queued_at", "pk")
    if activity.capacity is not None:
        free = activity.capacity - activity.registrations.filter(status=RegistrationStatus.REGISTERED).count()
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    for registration in promoted:
        registration.status, registration.promoted_at = RegistrationStatus.REGISTERED, now
        registration.save(update_fields=["status", "promoted_at"])
        audit.record(actor=actor, action="activities.registration.promote", target=registration, detail={"activity": activity.pk})
    return promoted


def register(*, activity: Activity | int, name: str, phone: str, person=None, acting_user=None, now: datetime | None = None) -> RegistrationOutcome:
    """A seat if one is free, otherwise a place at the end of the waiting list.

    Without `acting_user` this is a resident registering on the public page; with it, staff
    registering someone at the desk (needs CHANGE in the activity's scope)."""
    now = now or timezone.now()
    name, phone = _check_registrant(name, phone)
    digest = crypto.digest(phone)
    code = new_code()
    with transaction.atomic():
        locked = _locked_activity(activity)
        if acting_user is not None:
            require(acting_user, Action.CHANGE, locked.region.path)
        _refuse_closed(locked, now)
        registration = Registration.objects.select_for_update().filter(activity=locked, phone_digest=digest).order_by("pk").first()
        if registration is not None and registration.status != RegistrationStatus.CANCELLED:
            raise ValidationError({"phone": "该手机号已报名本活动；如需查询或取消，请使用报名时获得的取消码"})
        registration = registration or Registration(activity=locked)
        # Someone already waiting keeps their place: a newcomer never takes a seat ahead of them.
        queue_empty = not locked.registrations.filter(status=RegistrationStatus.WAITLISTED).exists()
        taken = locked.registrations.filter(status=RegistrationStatus.REGISTERED).count()
        seat = locked.capacity is None or (taken < locked.capacity and queue_empty)
        registration.name = name
        registration.set_phone(phone)
        registration.person_id = person.pk if person is not None else _matching_person(locked, digest)
        registration.status = RegistrationStatus.REGISTERED if seat else RegistrationStatus.WAITLISTED
        # The queue follows the order in which people got the lock, not the clock each request read
        # before waiting for it: never earlier than anyone already queued.
        last = locked.registrations.aggregate(last=Max("queued_at"))["last"]
        registration.queued_at = max(now, last + timedelta(microseconds=1)) if last else now
        registration.promoted_at = registration.cancelled_at = registration.checked_in_at = None
        registration.checked_in_by = None
        registration.code_hash = hash_code(code)
        registration.save()
        position = waitlist_position(registration)
        audit.record(actor=acting_user, action="activities.registration.create", target=registration,
                     detail={"activity": locked.pk, "status": registration.status, "position": position,
                             "channel": "desk" if acting_user is not None else "public"})
    return RegistrationOutcome(registration=registration, code=code, position=position)


def _cancel(locked: Activity, registration: Registration, *, now: datetime, actor) -> CancelOutcome:
    if registration.status == RegistrationStatus.CANCELLED:
        raise ValidationError({"status": "该报名已经取消"})
    if locked.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise ValidationError({"status": f"活动{locked.get_status_display()}，无需取消报名"})
    if registration.checked_in_at is not None:
        raise ValidationError({"checked_in_at": "已签到的报名不能取消"})
    if now >= locked.starts_at:
        raise ValidationError({"starts_at": f"活动已于 {_fmt(locked.starts_at)} 开始，不能再取消报名"})
    held_seat = registration.status == RegistrationStatus.REGISTERED
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    registration.save(update_fields=["status", "cancelled_at"])
    audit.record(actor=actor, action="activities.registration.cancel", target=registration, detail={"activity": locked.pk})
    promoted = _fill_seats(locked, now=now, actor=actor) if held_seat else []
    return CancelOutcome(registration=registration, promoted=promoted)


def cancel_registration(registration: Registration, *, acting_user, now: datetime | None = None) -> CancelOutcome:
    """Staff cancel a registration (the person called in); the freed seat goes to the waiting list."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_activity(registration.activity_id)
        require(acting_user, Action.CHANGE, locked.region.path)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        return _cancel(locked, current, now=now, actor=acting_user)


def find_own(*, activity: Activity | int, phone: str, code: str) -> Registration:
    """The registrant's own registration, by phone and the code they were given; WrongCode otherwise."""
    phone, code = (phone or "").strip(), (code or "").strip()
    if not MOBILE_RE.fullmatch(phone):
        raise ValidationError({"phone": "请输入报名时填写的11位手机号"})
    if not code:
        raise ValidationError({"code": "请输入报名时获得的取消码"})
    pk = activity.pk if isinstance(activity, Activity) else activity
    registration = Registration.objects.filter(activity_id=pk, phone_digest=crypto.digest(phone)).first()
    # Compare against something even when the phone is unknown, so timing does not tell.
    stored = registration.code_hash if registration is not None else hash_code("-")
    if not secrets.compare_digest(hash_code(code), stored) or registration is None:
        raise WrongCode("手机号或取消码不正确")
    return registration


def cancel_own(*, activity: Activity | int, phone: str, code: str, now: datetime | None = None) -> CancelOutcome:
    """A resident cancels with their phone and cancellation code."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_activity(activity)
        registration = find_own(activity=locked, phone=phone, code=code)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        return _cancel(locked, current, now=now, actor=None)


def check_in(registration: Registration, *, acting_user, now: datetime | None = None) -> Registration:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_activity(registration.activity_id)
        require(acting_user, Action.CHANGE, locked.region.path)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status != ActivityStatus.PUBLISHED:
            raise ValidationError({"status": f"活动{locked.get_status_display()}，不能签到"})
        if now > locked.ends_at + CHECK_IN_CLOSES_AFTER:
            raise ValidationError({"checked_in_at": f"活动已于 {_fmt(locked.ends_at)} 结束，签到已关闭"})
        if now < locked.starts_at - CHECK_IN_OPENS_BEFORE:
            hours = int(CHECK_IN_OPENS_BEFORE.total_seconds() // 3600)
            raise ValidationError({"checked_in_at": f"签到在活动开始前{hours}小时开放（{_fmt(locked.starts_at - CHECK_IN_OPENS_BEFORE)}）"})
        if current.status != RegistrationStatus.REGISTERED:
            raise ValidationError({"status": f"{current.get_status_display()}的报名不能签到，只有报名成功的可以签到"})
        if current.checked_in_at is not None:
            raise ValidationError({"checked_in_at": f"已于 {_fmt(current.checked_in_at)} 签到"})
        current.checked_in_at, current.checked_in_by = now, audit.account(acting_user)
        current.save(update_fields=["checked_in_at", "checked_in_by"])
        audit.record(actor=acting_user, action="activities.registration.check_in", target=current, detail={"activity": locked.pk})
    return current


def may_change(user, activity_or_venue) -> bool:
    """For pages: show the buttons only to those whose scope lets them act."""
    try:
        require(user, Action.CHANGE, activity_or_venue.region.path)
    except PermissionDenied:
        return False
    return True
