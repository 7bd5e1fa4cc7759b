"""Activities, registrations (phones masked), venues and roster slots, within the caller's scope.
Writes go through the services: clash detection, seats and the waiting list hold here as on the pages."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Count, Day, Id, IdQuery, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.regions.models import Region

from . import selectors, services
from .models import Activity, ActivityStatus, Registration, RosterSlot, Venue

router = Router(tags=["activities"])


# Schemas -----------------------------------------------------------------------------------------

class VenueOut(Schema):
    id: int
    region_code: RegionCode
    region_name: str
    name: str
    kind: str
    address: str
    capacity: int | None
    public: bool
    note: str

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name


class VenueIn(Schema):
    region: str
    name: str
    kind: str = "hall"
    address: str = ""
    capacity: Count | None = None
    public: bool = True
    note: str = ""


class SlotOut(Schema):
    id: int
    venue_id: int
    venue_name: str
    group_name: str
    weekday: int
    weekday_label: str
    start_time: time
    end_time: time
    valid_from: date | None
    valid_until: date | None
    contact_name: str
    contact_phone_masked: str
    note: str

    @staticmethod
    def resolve_venue_name(obj):
        return obj.venue.name

    @staticmethod
    def resolve_weekday_label(obj):
        return obj.get_weekday_display()

    @staticmethod
    def resolve_contact_phone_masked(obj):
        return obj.phone_masked


class SlotIn(Schema):
    venue_id: Id
    group_name: str
    weekday: Count
    start_time: time
    end_time: time
    valid_from: Day | None = None
    valid_until: Day | None = None
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""


class SlotPatch(Schema):
    group_name: str | None = None
    weekday: Count | None = None
    start_time: time | None = None
    end_time: time | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    note: str | None = None


class ActivityOut(Schema):
    id: int
    region_code: RegionCode
    region_name: str
    title: str
    kind: str
    status: str
    venue_id: int | None
    venue_name: str | None
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    registration_closes_at: datetime | None  # as stored: empty means "until the start"
    registration_closes_effective: datetime
    registered: int
    waitlisted: int
    seats_left: int | None
    description: str
    summary: str
    attendance: int | None
    cancel_reason: str
    photos: int

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_venue_name(obj):
        return obj.venue.name if obj.venue_id else None

    @staticmethod
    def resolve_registration_closes_effective(obj):
        return obj.closes_at

    @staticmethod
    def resolve_seats_left(obj):
        return selectors.seats_left(obj)

    @staticmethod
    def resolve_photos(obj):
        return obj.photos.count()


class ActivityIn(Schema):
    region: str
    title: str
    kind: str = "other"
    venue_id: Id | None = None
    place: str = ""
    starts_at: Moment
    ends_at: Moment
    capacity: Count | None = None
    registration_closes_at: Moment | None = None
    description: str = ""


class ActivityPatch(Schema):
    region: str | None = None
    title: str | None = None
    kind: str | None = None
    venue_id: Id | None = None
    place: str | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    capacity: Count | None = None
    registration_closes_at: Moment | None = None
    description: str | None = None


class CancelIn(Schema):
    reason: str = ""


class FinishIn(Schema):
    summary: str
    attendance: Count | None = None


class RegistrationOut(Schema):
    id: int
    activity_id: int
    name: str
    phone_masked: str
    status: str
    position: int | None
    person_id: int | None
    queued_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None

    @staticmethod
    def resolve_position(obj):
        return services.waitlist_position(obj)


class RegistrationIn(Schema):
    name: str
    phone: str


class RegisteredOut(Schema):
    registration: RegistrationOut
    code: str
    position: int | None


class ActivityFilter(Schema):
    region: str | None = None
    status: str | None = None
    upcoming: bool | None = None


# Helpers -----------------------------------------------------------------------------------------

def _region(request, code: str) -> Region:
    region = Region.objects.restrict(acting_user(request)).filter(code=code).first()
    if region is None:
        raise ValidationError({"region": gettext("没有区域“%(region)s”，或不在您的数据范围内") % {"region": code}})
    return region


def _venue(request, venue_id: int | None) -> Venue | None:
    if venue_id is None:
        return None
    venue = scoped(request, Venue).filter(pk=venue_id).first()
    if venue is None:
        raise ValidationError({"venue_id": gettext("没有编号为%(id)s的场地，或不在您的数据范围内") % {"id": venue_id}})
    return venue


def _aware(value):
    # A time without an offset is read in the installation's time zone.
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _activity_out(pk: int) -> Activity:
    return selectors.with_counts(Activity.objects.filter(pk=pk)).select_related("region", "venue").get()


# Venues ------------------------------------------------------------------------------------------

@router.get("/venues", response=list[VenueOut])
@paginate(Page)
def list_venues(request, region: str | None = None):
    return under_region(scoped(request, Venue).select_related("region").order_by("region__path", "name"), region)


@router.get("/venues/{int:venue_id}", response=VenueOut)
def get_venue(request, venue_id: int):
    return get_scoped(request, Venue, pk=venue_id)


@router.get("/venues/{int:venue_id}/timetable")
def venue_timetable(request, venue_id: int, week: date | None = None):
    """The venue's week (Monday to Sunday): roster slots and activities per day."""
    venue = get_scoped(request, Venue, pk=venue_id)
    monday = selectors.week_start(week or timezone.localdate())
    # Drafts only of the caller's own scope; other units' activities once published.
    mine = set(scoped(request, Activity).filter(venue=venue).values_list("pk", flat=True))
    days = selectors.timetable(venue, monday, statuses=(ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.FINISHED))
    for day in days:
        day.entries = [e for e in day.entries if e.kind != "activity" or e.obj.pk in mine or e.obj.status != ActivityStatus.DRAFT]
    return {"venue_id": venue.pk, "week_start": monday.isoformat(), "days": [
        {"date": d.day.isoformat(), "weekday": d.day.weekday(), "entries": [
            {"kind": e.kind, "title": e.title, "starts": e.starts.strftime("%H:%M"), "ends": e.ends.strftime("%H:%M") if e.ends else None,
             "id": e.obj.pk} for e in d.entries]} for d in days]}


@router.post("/venues", response={201: VenueOut})
def create_venue(request, payload: VenueIn):
    data = payload.dict()
    data["region"] = _region(request, data["region"])
    return Status(201, services.create_venue(acting_user=acting_user(request), **data))


# Roster slots ------------------------------------------------------------------------------------

@router.get("/slots", response=list[SlotOut])
@paginate(Page)
def list_slots(request, venue: int | None = IdQuery(), weekday: int | None = Query(None, ge=0, le=6)):
    qs = scoped(request, RosterSlot).select_related("venue").order_by("venue", "weekday", "start_time")
    if venue is not None:
        qs = qs.filter(venue_id=venue)
    if weekday is not None:
        qs = qs.filter(weekday=weekday)
    return qs


@router.get("/slots/{int:slot_id}", response=SlotOut)
def get_slot(request, slot_id: int):
    return get_scoped(request, RosterSlot, pk=slot_id)


@router.post("/slots", response={201: SlotOut})
def create_slot(request, payload: SlotIn):
    data = payload.dict()
    data["venue"] = _venue(request, data.pop("venue_id"))
    return Status(201, services.create_slot(acting_user=acting_user(request), **data))


@router.patch("/slots/{int:slot_id}", response=SlotOut)
def update_slot(request, slot_id: int, payload: SlotPatch):
    slot = get_scoped(request, RosterSlot, Action.CHANGE, pk=slot_id)
    return services.update_slot(slot, acting_user=acting_user(request), **payload.dict(exclude_unset=True))


@router.delete("/slots/{int:slot_id}", response={204: None})
def delete_slot(request, slot_id: int):
    slot = get_scoped(request, RosterSlot, Action.CHANGE, pk=slot_id)
    services.delete_slot(slot, acting_user=acting_user(request))
    return Status(204, None)


# Activities --------------------------------------------------------------------------------------

@router.get("", response=list[ActivityOut])
@paginate(Page)
def list_activities(request, filters: Query[ActivityFilter]):
    qs = under_region(scoped(request, Activity).select_related("region", "venue"), filters.region)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.upcoming is True:
        qs = qs.filter(ends_at__gt=timezone.now())
    elif filters.upcoming is False:
        qs = qs.filter(ends_at__lte=timezone.now())
    return selectors.with_counts(qs).order_by("starts_at", "id")


@router.get("/{int:activity_id}", response=ActivityOut)
def get_activity(request, activity_id: int):
    return _activity_out(get_scoped(request, Activity, pk=activity_id).pk)


@router.post("", response={201: ActivityOut})
def create_activity(request, payload: ActivityIn):
    data = payload.dict()
    data["region"] = _region(request, data["region"])
    data["venue"] = _venue(request, data.pop("venue_id"))
    for name in ("starts_at", "ends_at", "registration_closes_at"):
        data[name] = _aware(data[name])
    activity = services.create_activity(acting_user=acting_user(request), **data)
    return Status(201, _activity_out(activity.pk))


@router.patch("/{int:activity_id}", response=ActivityOut)
def update_activity(request, activity_id: int, payload: ActivityPatch):
    activity = get_scoped(request, Activity, Action.CHANGE, pk=activity_id)
    changes = payload.dict(exclude_unset=True)
    if "region" in changes:
        changes["region"] = _region(request, changes["region"])
    if "venue_id" in changes:
        changes["venue"] = _venue(request, changes.pop("venue_id"))
    for name in ("starts_at", "ends_at", "registration_closes_at"):
        if name in changes:
            changes[name] = _aware(changes[name])
    services.update_activity(activity, acting_user=acting_user(request), **changes)
    return _activity_out(activity.pk)


@router.post("/{int:activity_id}/publish", response=ActivityOut)
def publish_activity(request, activity_id: int):
    activity = get_scoped(request, Activity, pk=activity_id)
    services.publish_activity(activity, acting_user=acting_user(request))
    return _activity_out(activity.pk)


@router.post("/{int:activity_id}/cancel", response=ActivityOut)
def cancel_activity(request, activity_id: int, payload: CancelIn):
    activity = get_scoped(request, Activity, pk=activity_id)
    services.cancel_activity(activity, acting_user=acting_user(request), reason=payload.reason)
    return _activity_out(activity.pk)


@router.post("/{int:activity_id}/finish", response=ActivityOut)
def finish_activity(request, activity_id: int, payload: FinishIn):
    """The record afterwards (photos are uploaded on the activity's page)."""
    activity = get_scoped(request, Activity, pk=activity_id)
    services.finish_activity(activity, acting_user=acting_user(request), summary=payload.summary, attendance=payload.attendance)
    return _activity_out(activity.pk)


@router.post("/{int:activity_id}/registrations", response={201: RegisteredOut})
def register(request, activity_id: int, payload: RegistrationIn):
    """Register someone at the desk or by phone; the answer carries the code to give them."""
    activity = get_scoped(request, Activity, pk=activity_id)
    outcome = services.register(activity=activity, name=payload.name, phone=payload.phone, acting_user=acting_user(request))
    return Status(201, {"registration": outcome.registration, "code": outcome.code, "position": outcome.position})


# Registrations -----------------------------------------------------------------------------------

@router.get("/registrations", response=list[RegistrationOut])
@paginate(Page)
def list_registrations(request, activity: int | None = IdQuery(), status: str | None = None):
    qs = scoped(request, Registration).order_by("activity", "queued_at", "id")
    if activity is not None:
        qs = qs.filter(activity_id=activity)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get("/registrations/{int:registration_id}", response=RegistrationOut)
def get_registration(request, registration_id: int):
    return get_scoped(request, Registration, pk=registration_id)


@router.post("/registrations/{int:registration_id}/check-in", response=RegistrationOut)
def check_in(request, registration_id: int):
    registration = get_scoped(request, Registration, pk=registration_id)
    return services.check_in(registration, acting_user=acting_user(request))


@router.post("/registrations/{int:registration_id}/cancel", response=RegistrationOut)
def cancel_registration(request, registration_id: int):
    registration = get_scoped(request, Registration, pk=registration_id)
    return services.cancel_registration(registration, acting_user=acting_user(request)).registration
