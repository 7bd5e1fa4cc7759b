"""Every write of micro-wishes: post, review (approve and publish, or reject), claim, give back,
fulfil with photos, confirm, withdraw.

Rules kept here:
- Each step is allowed only from the statuses in `MACHINE`; anything else raises
  `WishStateError` (a ValidationError on "status") and writes nothing.
- Claiming locks the wish row (`select_for_update`) and re-reads its status, so when two claimants
  click at once exactly one wins; the other gets `AlreadyClaimed` with a clear message. On SQLite
  the IMMEDIATE transaction mode serialises the two writers the same way.
- Who may act: the wisher (the logged-in resident whose `user.person` is the wish's person), the
  claimant (a party member or volunteer through the logged-in user's person, an alliance unit
  through its members' accounts), and staff with CHANGE in the wish's scope acting for them.
  Reviewing is the community's: community, street and district roles.
- A claimant claims inside the communities they belong to (where they live, their party
  organisation, their volunteer team, the unit's service areas).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core.photos import CheckedPhoto, check_photos
from yiwang.core import audit
from yiwang.core.scope import Action, Role, require, role_allows, scope_path
from yiwang.core.statemachine import IllegalTransition, StateMachine, Transition

from .claimants import Claimant, claimant_for, claimant_identities
from .models import EVENT_LABELS, ConfirmedVia, PostedVia, Wish, WishCategory, WishEvent, WishPhoto, WishStatus

# A resident may have this many wishes open at once (not yet fulfilled, rejected or withdrawn):
# a wish is a small, concrete need, not a wish list.
MAX_OPEN_WISHES_PER_PERSON = 3
OPEN_STATUSES = (WishStatus.SUBMITTED, WishStatus.PUBLISHED, WishStatus.CLAIMED)
REVIEW_ROLES = (Role.COMMUNITY, Role.STREET, Role.DISTRICT)

MACHINE = StateMachine([
    Transition("approve", WishStatus.SUBMITTED, WishStatus.PUBLISHED),
    Transition("reject", WishStatus.SUBMITTED, WishStatus.REJECTED),
    Transition("claim", WishStatus.PUBLISHED, WishStatus.CLAIMED),
    Transition("release", WishStatus.CLAIMED, WishStatus.PUBLISHED),
    Transition("fulfil", WishStatus.CLAIMED, WishStatus.FULFILLED),
    Transition("confirm", WishStatus.FULFILLED, WishStatus.CONFIRMED),
    Transition("withdraw", (WishStatus.SUBMITTED, WishStatus.PUBLISHED), WishStatus.WITHDRAWN),
])
ACTION_LABELS = EVENT_LABELS


class WishStateError(ValidationError):
    """The step does not apply to the wish's current status."""

    def __init__(self, message: str):
        super().__init__({"status": message})


class AlreadyClaimed(WishStateError):
    """Someone else claimed the wish first."""


def _is_staff_for(user, wish: Wish) -> bool:
    """Staff (not residents) with CHANGE in the wish's scope."""
    if user is None or not user.is_authenticated or (user.role == Role.RESIDENT and not user.is_superuser):
        return False
    prefix = scope_path(user)
    return prefix is not None and role_allows(user, Action.CHANGE) and wish.region.path.startswith(prefix)


def _is_wisher(user, wish: Wish) -> bool:
    return user is not None and user.is_authenticated and getattr(user, "person_id", None) == wish.person_id


def _matches_claimant(user, wish: Wish) -> bool:
    if not wish.claimant_kind:
        return False
    key = (wish.claimant_kind, wish.claimant_unit_id or wish.claimant_person_id)
    return any(c.key == key for c in claimant_identities(user))


def _check_transition(wish: Wish, action: str) -> str:
    """The status `action` leads to; a refused move is a form error on "status", as it always was."""
    try:
        return MACHINE.move(wish, action).target
    except IllegalTransition:
        if action == "claim" and wish.status in (WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.CONFIRMED):
            raise AlreadyClaimed("该心愿已被其他人认领，请选择其他心愿") from None
        raise WishStateError(f"心愿当前为“{wish.get_status_display()}”，不能{ACTION_LABELS[action]}") from None


def _locked(wish: Wish | int) -> Wish:
    pk = wish.pk if isinstance(wish, Wish) else wish
    return Wish.objects.select_for_update().get(pk=pk)


def _event(wish: Wish, action: str, before: str, *, actor, at: datetime, note: str = "") -> WishEvent:
    return WishEvent.objects.create(wish=wish, at=at, actor=audit.account(actor), action=action, from_status=before,
                                    to_status=wish.status, note=note[:300])


def _audit(actor, action: str, wish: Wish, **detail) -> None:
    audit.record(actor=actor, action=f"wishes.{action}", target=wish, detail=detail)


def _text(value, *, field_name: str, label: str, max_length: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field_name: f"请填写{label}"})
    if len(text) > max_length:
        raise ValidationError({field_name: f"{label}不能超过{max_length}字"})
    return text


# Post and review ---------------------------------------------------------------------------------

def post_wish(*, acting_user, title: str, content: str = "", category: str = WishCategory.DAILY_HELP, person=None,
              now: datetime | None = None) -> Wish:
    """A resident posts their own wish (`person` is theirs); staff post one for the named person."""
    now = now or timezone.now()
    if acting_user is None or not acting_user.is_authenticated:
        raise PermissionDenied(gettext("请先登录"))
    if acting_user.role == Role.RESIDENT and not acting_user.is_superuser:
        own = acting_user.person
        if own is None:
            raise ValidationError({"person": "请先到社区登记本人信息"})
        if person is not None and person.pk != own.pk:
            raise PermissionDenied(gettext("居民只能提交本人的心愿"))
        person, via = own, PostedVia.RESIDENT
    else:
        if person is None:
            raise ValidationError({"person": "请选择心愿人"})
        require(acting_user, Action.CHANGE, person.region.path)
        via = PostedVia.STAFF
    title = _text(title, field_name="title", label="心愿内容", max_length=100, required=True)
    content = _text(content, field_name="content", label="详细说明", max_length=1000, required=False)
    if category not in WishCategory.values:
        raise ValidationError({"category": f"未知的心愿类别：{category}"})
    with transaction.atomic():
        # The person row is locked so two posts at once cannot both pass the open-wish limit.
        type(person).objects.select_for_update().filter(pk=person.pk).first()
        open_count = Wish.objects.filter(person=person, status__in=OPEN_STATUSES).count()
        if open_count >= MAX_OPEN_WISHES_PER_PERSON:
            raise ValidationError({"title": f"每人同时最多{MAX_OPEN_WISHES_PER_PERSON}个未完成的心愿，请等现有心愿完成后再提交"})
        wish = Wish.objects.create(region=person.region, person=person, title=title, content=content, category=category,
                                   status=WishStatus.SUBMITTED, posted_at=now, posted_by=acting_user, posted_via=via)
        _event(wish, "post", "", actor=acting_user, at=now, note=PostedVia(via).label)
        _audit(acting_user, "post", wish, person=person.pk, via=via)
    return wish


def _require_reviewer(user, wish: Wish) -> None:
    if not (user.is_superuser or user.role in REVIEW_ROLES):
        raise PermissionDenied(gettext("心愿由社区审核"))
    require(user, Action.CHANGE, wish.region.path)


def approve_wish(wish: Wish | int, *, acting_user, deadline: date | None = None, note: str = "", now: datetime | None = None) -> Wish:
    """Approve and publish, optionally with a deadline for claiming."""
    now = now or timezone.now()
    note = _text(note, field_name="note", label="审核意见", max_length=200, required=False)
    if deadline is not None and deadline < timezone.localdate(now):
        raise ValidationError({"deadline": "认领截止日期不能早于今天"})
    with transaction.atomic():
        locked = _locked(wish)
        _require_reviewer(acting_user, locked)
        before, locked.status = locked.status, _check_transition(locked, "approve")
        locked.reviewed_at = locked.published_at = now
        locked.reviewed_by = acting_user
        locked.deadline = deadline
        locked.save(update_fields=["status", "reviewed_at", "published_at", "reviewed_by", "deadline"])
        _event(locked, "approve", before, actor=acting_user, at=now, note=note or (f"截止 {deadline:%Y-%m-%d}" if deadline else ""))
        _audit(acting_user, "approve", locked, deadline=deadline.isoformat() if deadline else None)
    return locked


def reject_wish(wish: Wish | int, *, acting_user, reason: str, now: datetime | None = None) -> Wish:
    now = now or timezone.now()
    reason = _text(reason, field_name="reason", label="不通过原因", max_length=200, required=True)
    with transaction.atomic():
        locked = _locked(wish)
        _require_reviewer(acting_user, locked)
        before, locked.status = locked.status, _check_transition(locked, "reject")
        locked.reviewed_at, locked.reviewed_by, locked.reject_reason = now, acting_user, reason
        locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "reject_reason"])
        _event(locked, "reject", before, actor=acting_user, at=now, note=reason)
        _audit(acting_user, "reject", locked, reason=reason)
    return locked


def review_wish(wish: Wish | int, *, acting_user, decision: str, deadline: date | None = None, reason: str = "",
                now: datetime | None = None) -> Wish:
    """One entry for forms and the API: decision "approve" (with an optional deadline) or "reject" (with a reason)."""
    if decision == "approve":
        return approve_wish(wish, acting_user=acting_user, deadline=deadline, note=reason, now=now)
    if decision == "reject":
        return reject_wish(wish, acting_user=acting_user, reason=reason, now=now)
    raise ValidationError({"decision": "请选择通过或不通过"})


# Claim and give back -----------------------------------------------------------------------------

def _pick_own_identity(acting_user, kind: str | None) -> Claimant:
    identities = claimant_identities(acting_user)
    if kind:
        identities = [c for c in identities if c.kind == kind]
    if not identities:
        if getattr(acting_user, "person", None) is None and acting_user.role == Role.RESIDENT:
            raise ValidationError({"person": "请先到社区登记本人信息"})
        raise PermissionDenied(gettext("只有党员、志愿者和共建单位可以认领心愿"))
    return identities[0]


def claim_wish(wish: Wish | int, *, acting_user, kind: str | None = None, person=None, unit=None, now: datetime | None = None) -> Wish:
    """Claim a published wish. Without `person`/`unit` the acting user claims as themselves (as
    `kind` when they are several kinds); with one, staff in scope claim on that claimant's behalf."""
    now = now or timezone.now()
    if acting_user is None or not acting_user.is_authenticated:
        raise PermissionDenied(gettext("请先登录"))
    on_behalf = person is not None or unit is not None
    # Staff first: naming someone else must not tell a resident who that person is.
    if on_behalf and not _is_staff_for(acting_user, wish if isinstance(wish, Wish) else Wish.objects.get(pk=wish)):
        raise PermissionDenied(gettext("只有社区工作人员可以代为认领"))
    claimant = claimant_for(person=person, unit=unit) if on_behalf else _pick_own_identity(acting_user, kind)
    with transaction.atomic():
        locked = _locked(wish)
        if on_behalf and not _is_staff_for(acting_user, locked):
            raise PermissionDenied(gettext("只有社区工作人员可以代为认领"))
        before = locked.status
        locked.status = _check_transition(locked, "claim")
        if not claimant.may_claim_at(locked.region.path):
            raise PermissionDenied(gettext("该心愿不在您可认领的社区"))
        if claimant.person is not None and claimant.person.pk == locked.person_id:
            raise ValidationError({"claimant": "不能认领本人的心愿"})
        if locked.deadline is not None and timezone.localdate(now) > locked.deadline:
            raise ValidationError({"deadline": f"该心愿的认领截止日期（{locked.deadline:%Y-%m-%d}）已过"})
        locked.claimant_kind = claimant.kind
        locked.claimant_person = claimant.person
        locked.claimant_unit = claimant.unit
        locked.claimed_at, locked.claimed_by = now, acting_user
        locked.save(update_fields=["status", "claimant_kind", "claimant_person", "claimant_unit", "claimed_at", "claimed_by"])
        _event(locked, "claim", before, actor=acting_user, at=now, note=claimant.label + ("（社区派单）" if on_behalf else ""))
        _audit(acting_user, "claim", locked, claimant=list(claimant.key), on_behalf=on_behalf)
    return locked


def _require_claimant_or_staff(user, wish: Wish, what: str) -> None:
    if not (_matches_claimant(user, wish) or wish.claimed_by_id == getattr(user, "pk", None) or _is_staff_for(user, wish)):
        raise PermissionDenied(gettext("只有认领方或社区工作人员可以%(what)s") % {"what": what})


def release_wish(wish: Wish | int, *, acting_user, note: str = "", now: datetime | None = None) -> Wish:
    """The claimant gives the wish back before fulfilling it; it is open to claim again."""
    now = now or timezone.now()
    note = _text(note, field_name="note", label="退回原因", max_length=200, required=False)
    with transaction.atomic():
        locked = _locked(wish)
        before, target = locked.status, _check_transition(locked, "release")
        _require_claimant_or_staff(acting_user, locked, gettext("退回认领"))
        previous = locked.claimant_label
        locked.status = target
        locked.claimant_kind, locked.claimant_person, locked.claimant_unit = "", None, None
        locked.claimed_at = locked.claimed_by = None
        locked.save(update_fields=["status", "claimant_kind", "claimant_person", "claimant_unit", "claimed_at", "claimed_by"])
        _event(locked, "release", before, actor=acting_user, at=now, note=f"{previous}退回" + (f"：{note}" if note else ""))
        _audit(acting_user, "release", locked, previous=previous, note=note)
    return locked


# Fulfil, confirm, withdraw -----------------------------------------------------------------------

def _checked_photos(files) -> list[CheckedPhoto]:
    files = list(files or [])
    return files if files and all(isinstance(f, CheckedPhoto) for f in files) else check_photos(files, field="photos")


def fulfil_wish(wish: Wish | int, *, acting_user, photos, note: str = "", now: datetime | None = None) -> Wish:
    """Record the fulfilment with at least one photo; the resident then confirms."""
    now = now or timezone.now()
    note = _text(note, field_name="note", label="圆梦情况", max_length=500, required=False)
    checked = _checked_photos(photos)  # checked before any lock: a wrong file writes nothing
    if not checked:
        raise ValidationError({"photos": "请上传至少一张圆梦照片"})
    with transaction.atomic():
        locked = _locked(wish)
        before, target = locked.status, _check_transition(locked, "fulfil")
        _require_claimant_or_staff(acting_user, locked, gettext("登记圆梦"))
        locked.status = target
        locked.fulfilled_at, locked.fulfilled_by, locked.fulfilment_note = now, acting_user, note
        locked.save(update_fields=["status", "fulfilled_at", "fulfilled_by", "fulfilment_note"])
        for i, photo in enumerate(checked, start=1):
            record = WishPhoto(wish=locked, content_type=photo.content_type, size=len(photo.content))
            record.image.save(f"wish-{locked.pk}-{i}.{photo.extension}", ContentFile(photo.content), save=False)
            record.save()
        _event(locked, "fulfil", before, actor=acting_user, at=now, note=note)
        _audit(acting_user, "fulfil", locked, photos=len(checked))
    return locked


def person_has_account(person) -> bool:
    from yiwang.accounts.models import User

    return User.objects.filter(person=person).exists()


def confirm_wish(wish: Wish | int, *, acting_user, feedback: str = "", now: datetime | None = None) -> Wish:
    """The wisher confirms the fulfilment; community staff confirm for a wisher without an account
    (recorded as such), never for one who has their own."""
    now = now or timezone.now()
    feedback = _text(feedback, field_name="feedback", label="评价", max_length=200, required=False)
    with transaction.atomic():
        locked = _locked(wish)
        before, target = locked.status, _check_transition(locked, "confirm")
        if _is_wisher(acting_user, locked):
            via = ConfirmedVia.RESIDENT
        elif _is_staff_for(acting_user, locked):
            if person_has_account(locked.person):
                raise PermissionDenied(gettext("该居民有自己的账号，应由本人确认"))
            via = ConfirmedVia.STAFF_FOR_RESIDENT
        else:
            raise PermissionDenied(gettext("只有心愿人本人可以确认"))
        locked.status = target
        locked.confirmed_at, locked.confirmed_by, locked.confirmed_via, locked.feedback = now, acting_user, via, feedback
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by", "confirmed_via", "feedback"])
        _event(locked, "confirm", before, actor=acting_user, at=now, note=ConfirmedVia(via).label + (f"：{feedback}" if feedback else ""))
        _audit(acting_user, "confirm", locked, via=via)
    return locked


def withdraw_wish(wish: Wish | int, *, acting_user, now: datetime | None = None) -> Wish:
    """The wisher (or staff in scope, at their request) withdraws a wish nobody has claimed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(wish)
        if not (_is_wisher(acting_user, locked) or _is_staff_for(acting_user, locked)):
            raise PermissionDenied(gettext("只有心愿人本人可以撤回"))
        if locked.status == WishStatus.CLAIMED:
            raise WishStateError("心愿已被认领，不能撤回；请联系认领方或社区")
        before, locked.status = locked.status, _check_transition(locked, "withdraw")
        locked.withdrawn_at = now
        locked.save(update_fields=["status", "withdrawn_at"])
        _event(locked, "withdraw", before, actor=acting_user, at=now, note="本人撤回" if _is_wisher(acting_user, locked) else "社区代为撤回")
        _audit(acting_user, "withdraw", locked)
    return locked
