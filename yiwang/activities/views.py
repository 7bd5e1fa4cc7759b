"""Pages of activities and venues.

Public (no login): upcoming activities with seats left and the waiting list's length, an
activity's page with its registration form, the registrant's own status and cancellation (phone
plus the code shown at registration), the venues and each public venue's weekly timetable.
Nothing personal is shown there: no names, no phones, no counts beyond seats.

Staff (login, scoped): activities in scope, create/edit, publish/cancel/finish with the record and
photos, registrations and the waiting list with check-in (phones masked), venues and their roster.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import date_param, int_param
from yiwang.accounts.services import client_address
from yiwang.core import crypto, throttle
from yiwang.core.scope import Action, get_in_scope
from yiwang.regions.models import Level, Region

from . import forms, selectors, services
from .models import Activity, ActivityPhoto, ActivityStatus, Registration, RegistrationStatus, RosterSlot, Venue

# A client address may register this many times an hour on the public pages (seats are scarce;
# one script must not fill them). Counted in the database (core/throttle.py), like the resident reports' limit.
REGISTRATIONS_PER_HOUR = getattr(settings, "YIWANG_ACTIVITY_REGISTRATIONS_PER_HOUR", 20)
# Wrong cancellation codes tolerated per activity and phone within an hour.
CODE_ATTEMPTS = 5
PAGE_SIZE = 50


# Public ------------------------------------------------------------------------------------------

def _communities_with_activities(now):
    paths = set(Activity.objects.filter(status=ActivityStatus.PUBLISHED, ends_at__gt=now).values_list("region__path", flat=True))
    communities = Region.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]).filter(
        path__in={p for path in paths for p in _prefixes(path)})
    return communities.order_by("path")


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@never_cache
def public(request):
    """/activities/public/: published activities not yet over, with seats left and the waiting list."""
    now = timezone.now()
    code = request.GET.get("region", "").strip()
    region = Region.objects.filter(code=code).first() if code else None
    path = region.path if region else ""
    rows = [{"activity": a, "seats_left": selectors.seats_left(a)} for a in selectors.public_activities(now=now, region_path=path)]
    return render(request, "activities/public_list.html", {
        "rows": rows, "records": selectors.public_records(region_path=path), "regions": _communities_with_activities(now),
        "region": region,
    })


def _public_activity_or_404(pk: int) -> Activity:
    activity = selectors.public_activity(pk)
    if activity is None:
        raise Http404(_("没有这个活动"))
    return activity


def _address_key(address: str) -> str:
    return throttle.key_for("activity-registrations", address)


def _public_context(activity: Activity, now, **extra) -> dict:
    open_now = activity.status == ActivityStatus.PUBLISHED and now < activity.closes_at
    return {"activity": activity, "seats_left": selectors.seats_left(activity), "open": open_now,
            # Only photos staff reviewed reach the public page.
            "photos": activity.photos.filter(reviewed_at__isnull=False).order_by("id") if activity.status == ActivityStatus.FINISHED else [],
            "own_form": extra.pop("own_form", None) or forms.OwnRegistrationForm(), **extra}


@never_cache
def public_activity(request, pk: int):
    """An activity's public page; POST registers (name + phone)."""
    activity = _public_activity_or_404(pk)
    now = timezone.now()
    form = forms.RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        address = client_address(request)
        key = _address_key(address)
        too_many = _("您的网络一小时内已报名 %(n)s 次，请稍后再试，或到社区报名。") % {"n": REGISTRATIONS_PER_HOUR}
        if address and throttle.reached(key, limit=REGISTRATIONS_PER_HOUR, now=now):
            form.add_error(None, too_many)
            status = 429
        elif form.is_valid():
            # The place is taken before registering (one atomic count shared by every server) and given
            # back when the registration is refused.
            if address and not throttle.take(key, limit=REGISTRATIONS_PER_HOUR, window=timedelta(hours=1), now=now):
                form.add_error(None, too_many)
                status = 429
            else:
                try:
                    outcome = services.register(activity=activity, name=form.cleaned_data["name"], phone=form.cleaned_data["phone"], now=now)
                except ValidationError as exc:
                    if address:
                        throttle.give_back(key, now=now)
                    forms.apply_errors(form, exc)
                else:
                    return render(request, "activities/public_done.html", {
                        "activity": activity, "outcome": outcome, "registered": outcome.position is None})
        activity = _public_activity_or_404(pk)
    return render(request, "activities/public_activity.html",
                  _public_context(activity, now, form=form, own_open=bool(request.GET.get("mine"))), status=status)


def _code_key(activity: Activity, phone: str) -> str:
    return throttle.key_for("activity-code-failures", activity.pk, crypto.digest(phone))


@require_POST
@never_cache
def public_mine(request, pk: int):
    """The registrant's own registration by phone and code: its status (and waiting-list place), or cancel it."""
    activity = _public_activity_or_404(pk)
    now = timezone.now()
    own_form = forms.OwnRegistrationForm(request.POST)
    what = request.POST.get("what", "status")
    context: dict = {"form": forms.RegistrationForm(), "own_open": True}
    status = 400
    if own_form.is_valid():
        phone, code = own_form.cleaned_data["phone"].strip(), own_form.cleaned_data["code"]
        key = _code_key(activity, phone)
        # A place is taken for every try and given back unless the code was wrong: only wrong codes
        # stay counted, however many servers the tries reach at once.
        if not throttle.take(key, limit=CODE_ATTEMPTS, window=timedelta(hours=1), now=now):
            own_form.add_error(None, _("取消码错误次数过多，请一小时后再试，或联系社区。"))
            status = 429
        else:
            try:
                if what == "cancel":
                    outcome = services.cancel_own(activity=activity, phone=phone, code=code, now=now)
                    context["own"] = {"registration": outcome.registration, "cancelled": True}
                else:
                    registration = services.find_own(activity=activity, phone=phone, code=code)
                    context["own"] = {"registration": registration, "position": services.waitlist_position(registration)}
                status = 200
            except services.WrongCode:
                own_form.add_error("code", _("手机号或取消码不正确"))
                status = 403
            except ValidationError as exc:
                throttle.give_back(key, now=now)
                forms.apply_errors(own_form, exc)
            else:
                throttle.give_back(key, now=now)
    activity = _public_activity_or_404(pk)
    return render(request, "activities/public_activity.html", _public_context(activity, now, own_form=own_form, **context), status=status)


def public_venues(request):
    """/activities/venues/: venues whose weekly roster is public."""
    venues = Venue.objects.filter(public=True).select_related("region").order_by("region__path", "name")
    return render(request, "activities/public_venues.html", {"venues": venues})


def _week(request) -> date:
    return selectors.week_start(date_param(request.GET.get("week"), timezone.localdate()))


def timetable(request, pk: int):
    """A venue's week, Monday to Sunday: roster slots and activities. Public venues for anyone;
    the others for staff whose scope holds them."""
    venue = Venue.objects.filter(pk=pk, public=True).select_related("region").first()
    if venue is None:
        venue = Venue.objects.restrict(request.user, Action.VIEW).filter(pk=pk).select_related("region").first()
    if venue is None:
        raise Http404(_("没有这个场地"))
    monday = _week(request)
    return render(request, "activities/timetable.html", {
        "venue": venue, "days": selectors.timetable(venue, monday), "monday": monday, "sunday": monday + timedelta(days=6),
        "previous": monday - timedelta(days=7), "next": monday + timedelta(days=7),
        "this_week": selectors.week_start(timezone.localdate()),
    })


def photo(request, pk: int, size: str = "full"):
    """A record photo: public once the activity is finished and staff reviewed the photo, else staff
    in scope. `thumb` is the small copy lists show (the full image when an old photo has none)."""
    found = ActivityPhoto.objects.restrict(request.user).filter(pk=pk).first()
    if found is None:
        found = ActivityPhoto.objects.filter(pk=pk, activity__status=ActivityStatus.FINISHED, reviewed_at__isnull=False).first()
    if found is None:
        raise Http404(_("照片不存在"))
    file = found.thumbnail if size == "thumb" and found.thumbnail else found.image
    response = FileResponse(file.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def photo_review(request, pk: int, action: str):
    """Staff release a record photo to the public page (approve) or take it off (withdraw)."""
    found = get_in_scope(request.user, ActivityPhoto, Action.VIEW, pk=pk)
    if action not in ("approve", "withdraw"):
        raise Http404
    return run_action(request, lambda: services.review_photo(found, acting_user=request.user, approve=action == "approve"),
                      success=_("照片已审核通过，公开页面可见。") if action == "approve" else _("照片已从公开页面撤下。"),
                      denied=_("您无权对该活动执行此操作。"), label=forms.label_of, redirect_to=("activities:detail", found.activity_id))


# Staff: activities -------------------------------------------------------------------------------

@staff_required
def index(request):
    """/activities/: activities in scope with their seats and waiting lists."""
    status = request.GET.get("status", "")
    when = request.GET.get("when", "upcoming")
    now = timezone.now()
    qs = Activity.objects.restrict(request.user).select_related("region", "venue")
    if status in ActivityStatus.values:
        qs = qs.filter(status=status)
    if when == "upcoming":
        qs = qs.filter(ends_at__gt=now).order_by("starts_at", "id")
    elif when == "past":
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "id")
    else:
        qs = qs.order_by("-starts_at", "id")
    page = Paginator(selectors.with_counts(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"activity": a, "seats_left": selectors.seats_left(a)} for a in page]
    query = urlencode({"status": status, "when": when})
    return render(request, "activities/index.html", {
        "rows": rows, "page": page, "query": query, "statuses": ActivityStatus.choices,
        "status": status, "when": when, "can_create": forms.region_choices(request.user).exists(),
        "venues": Venue.objects.restrict(request.user).count(),
    })


def _activity_initial(activity: Activity) -> dict:
    initial = {name: getattr(activity, name) for name in services.ACTIVITY_FIELDS}
    for name in ("starts_at", "ends_at", "registration_closes_at"):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name])
    return initial


@staff_required
@never_cache
def activity_new(request):
    initial = {}
    venue = Venue.objects.restrict(request.user).filter(pk=int_param(request.GET.get("venue"))).first()
    if venue is not None:
        initial = {"venue": venue, "region": venue.region}
    form = forms.ActivityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.create_activity(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied:
            form.add_error("region", _("您无权在该区域创建活动"))
        else:
            messages.success(request, _("已保存为草稿，发布后居民即可报名。"))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": None}, status=400 if form.errors else 200)


@staff_required
@never_cache
def activity_edit(request, pk: int):
    activity = get_in_scope(request.user, Activity, Action.CHANGE, pk=pk)
    form = forms.ActivityForm(request.POST or None, user=request.user, initial=_activity_initial(activity))
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if value != getattr(activity, name)}
        try:
            services.update_activity(activity, acting_user=request.user, **changes)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied:
            form.add_error("region", _("您无权把活动移到该区域"))
        else:
            messages.success(request, _("活动已更新。"))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": activity}, status=400 if form.errors else 200)


@staff_required
@never_cache
def activity_detail(request, pk: int):
    activity = get_in_scope(request.user, Activity, Action.VIEW, pk=pk)
    activity = selectors.with_counts(Activity.objects.filter(pk=activity.pk)).select_related("region", "venue", "created_by").get()
    return render(request, "activities/activity_detail.html", _detail_context(request, activity))


def _detail_context(request, activity: Activity, **extra) -> dict:
    now = timezone.now()
    groups = selectors.queue(activity)
    can_change = services.may_change(request.user, activity)
    return {
        "activity": activity, "seats_left": selectors.seats_left(activity), "registered": groups[RegistrationStatus.REGISTERED],
        "waitlisted": groups[RegistrationStatus.WAITLISTED], "cancelled": groups[RegistrationStatus.CANCELLED],
        "can_change": can_change, "photos": activity.photos.order_by("id"),
        "check_in_open": activity.status == ActivityStatus.PUBLISHED and now >= activity.starts_at - services.CHECK_IN_OPENS_BEFORE,
        "registration_open": activity.status == ActivityStatus.PUBLISHED and now < activity.closes_at,
        "may_finish": activity.status == ActivityStatus.PUBLISHED and now >= activity.starts_at,
        "desk_form": extra.pop("desk_form", None) or forms.RegistrationForm(),
        "finish_form": extra.pop("finish_form", None) or forms.FinishForm(),
        "cancel_form": extra.pop("cancel_form", None) or forms.CancelActivityForm(),
        "photos_form": extra.pop("photos_form", None) or forms.PhotosForm(),
        "checked_in": sum(1 for r in groups[RegistrationStatus.REGISTERED] if r.checked_in_at),
        **extra,
    }


@staff_required
@require_POST
def activity_action(request, pk: int, action: str):
    """publish, cancel, finish (record and photos), photos (more photos), register (at the desk)."""
    activity = get_in_scope(request.user, Activity, Action.VIEW, pk=pk)
    if action not in ("publish", "cancel", "finish", "photos", "register"):
        raise Http404
    extra: dict = {}
    try:
        if action == "publish":
            services.publish_activity(activity, acting_user=request.user)
            messages.success(request, _("活动已发布，居民可在公开页面报名。"))
        elif action == "cancel":
            form = extra["cancel_form"] = forms.CancelActivityForm(request.POST)
            if not form.is_valid():
                raise ValidationError({key: errors for key, errors in form.errors.items()})
            services.cancel_activity(activity, acting_user=request.user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("活动已取消。"))
        elif action == "finish":
            form = extra["finish_form"] = forms.FinishForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError({key: errors for key, errors in form.errors.items()})
            data = form.cleaned_data
            services.finish_activity(activity, acting_user=request.user, summary=data["summary"], attendance=data["attendance"],
                                     photos=data["photos"])
            messages.success(request, _("活动记录已保存。"))
        elif action == "photos":
            form = extra["photos_form"] = forms.PhotosForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError({key: errors for key, errors in form.errors.items()})
            saved = services.add_photos(activity, acting_user=request.user, photos=form.cleaned_data["photos"])
            messages.success(request, _("已上传 %(n)s 张照片。") % {"n": len(saved)})
        else:
            form = extra["desk_form"] = forms.RegistrationForm(request.POST)
            if not form.is_valid():
                raise ValidationError({key: errors for key, errors in form.errors.items()})
            outcome = services.register(activity=activity, acting_user=request.user, **form.cleaned_data)
            if outcome.position is None:
                text = _("已为 %(name)s 报名成功，取消码 %(code)s（请告知本人）。")
            else:
                text = _("名额已满，%(name)s 已进入候补名单第 %(position)s 位，取消码 %(code)s（请告知本人）。")
            messages.success(request, text % {"name": outcome.registration.name, "code": outcome.code, "position": outcome.position})
    except PermissionDenied:
        messages.error(request, _("您无权对该活动执行此操作。"))
    except ValidationError as exc:
        messages.error(request, forms.describe_error(exc))
        activity = selectors.with_counts(Activity.objects.filter(pk=activity.pk)).select_related("region", "venue", "created_by").get()
        return render(request, "activities/activity_detail.html", _detail_context(request, activity, **extra), status=400)
    return redirect("activities:detail", pk=activity.pk)


@staff_required
@require_POST
def registration_action(request, pk: int, action: str):
    """check_in or cancel one registration."""
    registration = get_in_scope(request.user, Registration, Action.VIEW, pk=pk)
    if action not in ("check_in", "cancel"):
        raise Http404

    def cancelled(outcome) -> str:
        text = _("已取消 %(name)s 的报名。") % {"name": registration.name}
        if outcome.promoted:
            text += _("候补的 %(names)s 已转为报名成功。") % {"names": "、".join(r.name for r in outcome.promoted)}
        return text

    back = reverse("activities:detail", args=[registration.activity_id]) + "#registrations"
    refused = _("您无权对该活动执行此操作。")
    if action == "check_in":
        return run_action(request, lambda: services.check_in(registration, acting_user=request.user),
                          success=_("%(name)s 已签到。") % {"name": registration.name}, denied=refused, label=forms.label_of, redirect_to=back)
    return run_action(request, lambda: services.cancel_registration(registration, acting_user=request.user),
                      success=cancelled, denied=refused, label=forms.label_of, redirect_to=back)


# Staff: venues and roster ------------------------------------------------------------------------

@staff_required
@never_cache
def venues(request):
    """Venues in scope, and a form for a new one."""
    form = forms.VenueForm(request.POST or None, user=request.user, initial={"public": True})
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.create_venue(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied:
            form.add_error("region", _("您无权在该区域登记场地"))
        else:
            messages.success(request, _("场地已登记，可以添加排班。"))
            return redirect("activities:venue", pk=venue.pk)
    qs = Venue.objects.restrict(request.user).select_related("region").annotate(slot_count=Count("slots")).order_by("region__path", "name")
    return render(request, "activities/venues.html", {"venues": qs, "form": form, "can_create": forms.region_choices(request.user).exists()},
                  status=400 if form.errors else 200)


def _slot_initial(slot: RosterSlot) -> dict:
    initial = {name: getattr(slot, name) for name in services.SLOT_FIELDS if name != "contact_phone"}
    # The contact's phone is kept sealed; editors see it masked and type it again to change it.
    return initial


@staff_required
@never_cache
def venue_detail(request, pk: int):
    """A venue: its details, its weekly roster and a form for a new slot (clashes named on the form)."""
    venue = get_in_scope(request.user, Venue, Action.VIEW, pk=pk)
    can_change = services.may_change(request.user, venue)
    what = request.POST.get("what", "")
    venue_form = forms.VenueForm(request.POST if what == "venue" else None, user=request.user,
                                 initial={name: getattr(venue, name) for name in services.VENUE_FIELDS})
    slot_form = forms.SlotForm(request.POST if what == "slot" else None)
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        status = 400
        if what == "venue" and venue_form.is_valid():
            try:
                services.update_venue(venue, acting_user=request.user, **venue_form.cleaned_data)
            except ValidationError as exc:
                forms.apply_errors(venue_form, exc)
            except PermissionDenied:
                venue_form.add_error("region", _("您无权把场地移到该区域"))
            else:
                messages.success(request, _("场地信息已更新。"))
                return redirect("activities:venue", pk=venue.pk)
        elif what == "slot" and slot_form.is_valid():
            try:
                services.create_slot(acting_user=request.user, venue=venue, **slot_form.cleaned_data)
            except ValidationError as exc:
                forms.apply_errors(slot_form, exc)
            else:
                messages.success(request, _("排班已添加。"))
                return redirect(reverse("activities:venue", args=[venue.pk]) + "#roster")
    slots = venue.slots.order_by("weekday", "start_time", "valid_from")
    # Another unit's activity at this venue shows only once published (its draft is theirs).
    visible = Activity.objects.restrict(request.user) | Activity.objects.filter(status=ActivityStatus.PUBLISHED)
    upcoming = (visible.filter(venue=venue, ends_at__gt=timezone.now()).exclude(status=ActivityStatus.CANCELLED)
                .distinct().order_by("starts_at")[:20])
    return render(request, "activities/venue_detail.html", {
        "venue": venue, "venue_form": venue_form, "slot_form": slot_form, "slots": slots, "can_change": can_change,
        "upcoming": upcoming, "what": what,
    }, status=status)


@staff_required
@never_cache
def slot_edit(request, pk: int):
    slot = get_in_scope(request.user, RosterSlot, Action.CHANGE, pk=pk)
    form = forms.SlotForm(request.POST or None, initial=_slot_initial(slot))
    if request.method == "POST":
        if request.POST.get("what") == "delete":
            services.delete_slot(slot, acting_user=request.user)
            messages.success(request, _("排班已删除。"))
            return redirect(reverse("activities:venue", args=[slot.venue_id]) + "#roster")
        if form.is_valid():
            changes = dict(form.cleaned_data)
            if not changes["contact_phone"] and slot.phone_sealed and not request.POST.get("clear_phone"):
                changes.pop("contact_phone")  # left empty: keep the sealed number
            try:
                services.update_slot(slot, acting_user=request.user, **changes)
            except ValidationError as exc:
                forms.apply_errors(form, exc)
            else:
                messages.success(request, _("排班已更新。"))
                return redirect(reverse("activities:venue", args=[slot.venue_id]) + "#roster")
    return render(request, "activities/slot_form.html", {"form": form, "slot": slot}, status=400 if form.errors else 200)

