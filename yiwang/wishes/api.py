"""Micro-wishes over JSON.

GET  /api/wishes                 wishes in the caller's staff scope (paginated; filters status, region)
GET  /api/wishes/{id}            one wish the caller may see (staff scope, own, claimable, claimed)
GET  /api/wishes/mine            the logged-in resident's own wishes
GET  /api/wishes/claimable       published wishes the caller may claim, and the identities they may claim as
GET  /api/wishes/claimed         wishes the caller (as party member, volunteer or unit) has claimed
GET  /api/wishes/counts          counts by community and by claimant, in scope
POST /api/wishes                 post (residents for themselves; staff name `person_id`)
POST /api/wishes/{id}/review     approve (optional deadline) or reject (reason)
POST /api/wishes/{id}/claim      claim as oneself (optional `kind`) or, staff, for `person_id` / `unit_id`
POST /api/wishes/{id}/release    give a claimed wish back
POST /api/wishes/{id}/fulfil     multipart: `note` and one or more `photos`
POST /api/wishes/{id}/confirm    the wisher confirms (staff for a wisher without an account)
POST /api/wishes/{id}/withdraw   withdraw before anyone claims
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from yiwang.api.common import acting_user
from yiwang.regions.selectors import under_region
from yiwang.api.params import Day, Id, Page
from yiwang.core.scope import Action
from yiwang.matters.models import Department
from yiwang.registry.models import Person

from . import claimants, selectors, services
from .models import Wish

router = Router(tags=["wishes"])


class WishOut(Schema):
    id: int
    title: str
    content: str
    category: str
    category_label: str
    status: str
    status_label: str
    region_code: str
    region_name: str
    person: str
    posted_at: datetime
    posted_via: str
    deadline: date | None
    published_at: datetime | None
    reject_reason: str
    claimant_kind: str
    claimant: str
    claimed_at: datetime | None
    fulfilled_at: datetime | None
    fulfilment_note: str
    photos: list[str]
    confirmed_at: datetime | None
    confirmed_via: str
    feedback: str


class IdentityOut(Schema):
    kind: str
    label: str


class ClaimableOut(Schema):
    identities: list[IdentityOut]
    items: list[WishOut]


class CommunityCountOut(Schema):
    community_code: str
    community_name: str
    total: int
    submitted: int
    published: int
    rejected: int
    claimed: int
    fulfilled: int
    confirmed: int
    withdrawn: int


class ClaimantCountOut(Schema):
    kind: str
    id: int
    name: str
    claimed: int
    fulfilled: int
    confirmed: int


class CountsOut(Schema):
    by_community: list[CommunityCountOut]
    by_claimant: list[ClaimantCountOut]


class PostIn(Schema):
    title: str
    content: str = ""
    category: str = "daily_help"
    person_id: Id | None = None


class ReviewIn(Schema):
    decision: str
    deadline: Day | None = None
    reason: str = ""


class ClaimIn(Schema):
    kind: str | None = None
    person_id: Id | None = None
    unit_id: Id | None = None


class NoteIn(Schema):
    note: str = ""


class ConfirmIn(Schema):
    feedback: str = ""


def _out(wish: Wish, user, *, detailed: bool | None = None) -> dict:
    """The wisher's full name and the photos only for those who may see them (selectors.sees_details)."""
    from django.urls import reverse

    detailed = selectors.sees_details(user, wish) if detailed is None else detailed
    return {
        "id": wish.pk, "title": wish.title, "content": wish.content, "category": wish.category, "category_label": wish.get_category_display(),
        "status": wish.status, "status_label": wish.get_status_display(), "region_code": wish.region.code, "region_name": wish.region.name,
        "person": wish.person.name if detailed else wish.person_masked, "posted_at": wish.posted_at, "posted_via": wish.posted_via,
        "deadline": wish.deadline, "published_at": wish.published_at, "reject_reason": wish.reject_reason,
        "claimant_kind": wish.claimant_kind, "claimant": wish.claimant_label, "claimed_at": wish.claimed_at, "fulfilled_at": wish.fulfilled_at,
        "fulfilment_note": wish.fulfilment_note,
        "photos": [reverse("wishes:photo", args=[p.pk]) for p in wish.photos.all()] if detailed else [],
        "confirmed_at": wish.confirmed_at, "confirmed_via": wish.confirmed_via, "feedback": wish.feedback,
    }


def _visible(request, wish_id: int) -> Wish:
    wish = selectors.visible_to(acting_user(request)).select_related("region", "person", "claimant_person", "claimant_unit").filter(pk=wish_id).first()
    if wish is None:
        raise Http404(gettext("没有这个心愿"))
    return wish


def _fresh(request, wish: Wish) -> dict:
    wish = Wish.objects.select_related("region", "person", "claimant_person", "claimant_unit").get(pk=wish.pk)
    return _out(wish, acting_user(request))


@router.get("", response=list[WishOut])
@paginate(Page)
def list_wishes(request, status: str | None = None, region: str | None = None):
    qs = under_region(selectors.staff_wishes(acting_user(request)), region).prefetch_related("photos").order_by("-posted_at", "-id")
    if status:
        qs = qs.filter(status=status)
    user = acting_user(request)
    return _LazyOut(qs, user)


class _LazyOut:
    """A queryset that pagination can count and slice, rendering each item for the caller."""

    def __init__(self, qs, user):
        self.qs, self.user = qs, user

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        # Staff list rows are all inside the caller's scope, so details are shown.
        return [_out(w, self.user, detailed=True) for w in self.qs[item]]


@router.get("/mine", response=list[WishOut])
def my_wishes(request):
    user = acting_user(request)
    return [_out(w, user) for w in selectors.own_wishes(user).prefetch_related("photos")]


@router.get("/claimable", response=ClaimableOut)
def claimable_wishes(request):
    user = acting_user(request)
    identities = claimants.claimant_identities(user)
    return {"identities": [{"kind": c.kind, "label": c.label} for c in identities],
            "items": [_out(w, user) for w in selectors.claimable(identities)[:200]]}


@router.get("/claimed", response=list[WishOut])
def claimed_wishes(request):
    user = acting_user(request)
    return [_out(w, user) for w in selectors.claimed_by(claimants.claimant_identities(user)).prefetch_related("photos")[:200]]


@router.get("/counts", response=CountsOut)
def counts(request, region: str | None = None, since: date | None = None, until: date | None = None):
    """Counts in the caller's scope; `since`/`until` (dates, until exclusive) filter on the posting date."""
    wishes = under_region(selectors.in_scope(acting_user(request)), region)
    if since:
        wishes = wishes.filter(posted_at__date__gte=since)
    if until:
        wishes = wishes.filter(posted_at__date__lt=until)
    by_community = [{"community_code": e["community"].code, "community_name": e["community"].name,
                     **{k: e[k] for k in ("total", "submitted", "published", "rejected", "claimed", "fulfilled", "confirmed", "withdrawn")}}
                    for e in selectors.counts_by_community(wishes)]
    return {"by_community": by_community, "by_claimant": selectors.counts_by_claimant_rows(wishes)}


@router.get("/{int:wish_id}", response=WishOut)
def get_wish(request, wish_id: int):
    return _out(_visible(request, wish_id), acting_user(request))


@router.post("", response={201: WishOut})
def post_wish(request, payload: PostIn):
    user = acting_user(request)
    person = None
    if payload.person_id is not None:
        person = Person.objects.restrict(user, Action.CHANGE).filter(pk=payload.person_id).first()
        if person is None and getattr(user, "person_id", None) == payload.person_id:
            person = user.person
        if person is None:
            raise Http404(gettext("没有这个人员"))
    wish = services.post_wish(acting_user=user, title=payload.title, content=payload.content, category=payload.category, person=person)
    return Status(201, _fresh(request, wish))


@router.post("/{int:wish_id}/review", response=WishOut)
def review(request, wish_id: int, payload: ReviewIn):
    wish = _visible(request, wish_id)
    services.review_wish(wish, acting_user=acting_user(request), decision=payload.decision, deadline=payload.deadline, reason=payload.reason)
    return _fresh(request, wish)


@router.post("/{int:wish_id}/claim", response=WishOut)
def claim(request, wish_id: int, payload: ClaimIn):
    wish = _visible(request, wish_id)
    user = acting_user(request)
    # Only people in the caller's scope can be named (residents have none, so they claim as themselves).
    person = get_object_or_404(Person.objects.restrict(user), pk=payload.person_id) if payload.person_id else None
    unit = get_object_or_404(Department, pk=payload.unit_id) if payload.unit_id else None
    services.claim_wish(wish, acting_user=acting_user(request), kind=payload.kind, person=person, unit=unit)
    return _fresh(request, wish)


@router.post("/{int:wish_id}/release", response=WishOut)
def release(request, wish_id: int, payload: NoteIn):
    wish = _visible(request, wish_id)
    services.release_wish(wish, acting_user=acting_user(request), note=payload.note)
    return _fresh(request, wish)


@router.post("/{int:wish_id}/fulfil", response=WishOut)
def fulfil(request, wish_id: int, note: Form[str] = "", photos: File[list[UploadedFile]] = None):
    wish = _visible(request, wish_id)
    services.fulfil_wish(wish, acting_user=acting_user(request), note=note, photos=photos or [])
    return _fresh(request, wish)


@router.post("/{int:wish_id}/confirm", response=WishOut)
def confirm(request, wish_id: int, payload: ConfirmIn):
    wish = _visible(request, wish_id)
    services.confirm_wish(wish, acting_user=acting_user(request), feedback=payload.feedback)
    return _fresh(request, wish)


@router.post("/{int:wish_id}/withdraw", response=WishOut)
def withdraw(request, wish_id: int):
    wish = _visible(request, wish_id)
    services.withdraw_wish(wish, acting_user=acting_user(request))
    return _fresh(request, wish)
