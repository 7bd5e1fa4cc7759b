"""What of a case the public may see, and who decides.

A case is public only through its `CasePublication` in state released:
- a resident (/report/, Open311) ticked 公开显示 and a moderator released it, after editing out what
  `find_hits` flags (phones, ID numbers, flats, names of the community's residents); or
- a coordinator published a redacted public version of a staff-recorded case.
Household matters (campaign and patrol/home-visit findings, disputes, care) are never public.
A banned phone's reports are taken as usual but never offered for publication (state withheld).
Every change keeps a `PublicationChange` (who, when, why, what it found) and an audit row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit, crypto
from yiwang.core.audit import account
from yiwang.core.scope import Role, scope_path

from .models import Case, CasePhoto, CasePublication, Channel, PublicationChange, PublicationSource, PublicationState, ReporterBan

# Cases opened by campaign checks and by patrols and home visits describe households.
HOUSEHOLD_SOURCES = frozenset({"campaign", "gridwork"})
# Channels where the reporter makes the choice themselves; the others are staff-recorded.
REPORTER_CHANNELS = frozenset({Channel.RESIDENT, Channel.OPEN311})
MODERATOR_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})

HIT_KINDS = {"phone": gettext_lazy("电话号码"), "id_number": gettext_lazy("身份证号"), "flat": gettext_lazy("门牌房号"),
             "name": gettext_lazy("居民姓名")}
PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_N = r"[0-9一二三四五六七八九十〇零两]+"
FLAT = re.compile(
    rf"{_N}\s*(?:栋|幢|号楼|座|楼)\s*(?:{_N}\s*单元\s*)?\d{{1,4}}\s*(?:室|号|户)?"  # 1栋501, 2号楼3单元402室
    rf"|{_N}\s*单元\s*\d{{2,4}}\s*(?:室|号|户)?"  # 3单元402室
    r"|(?<!\d)\d{1,3}-\d{1,2}-\d{3,4}(?!\d)"  # 3-2-402
    r"|(?<!\d)\d{3,4}\s*室"  # 402室
)


def private_categories() -> frozenset[str]:
    return frozenset(getattr(settings, "YIWANG_PRIVATE_MATTER_CATEGORIES", ("矛盾纠纷", "民生关爱")))


def never_public(case: Case) -> str:
    """Why this case may never be published ("" when it may, after moderation)."""
    if case.external_source in HOUSEHOLD_SOURCES:
        return _("专项排查、巡查走访发现的事件涉及住户，不公开")
    if case.matter.category in private_categories():
        return _("“%(category)s”类事项涉及住户，不公开") % {"category": case.matter.category}
    if not case.matter.public:
        return _("事项“%(matter)s”不对外公开") % {"matter": case.matter.name}
    return ""


def rounded(value: float | None) -> float | None:
    """Coordinates as published: rounded (3 decimals ≈ 100 m) so a report does not point at a door."""
    if value is None:
        return None
    return round(value, getattr(settings, "YIWANG_PUBLIC_COORD_DECIMALS", 3))


# Hits ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    kind: str
    text: str
    start: int

    @property
    def label(self) -> str:
        return str(HIT_KINDS[self.kind])

    def as_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "start": self.start}


def _id_number_valid(candidate: str) -> bool:
    from yiwang.registry.validators import id_check_char

    return id_check_char(candidate[:17]) == candidate[17].upper()


def community_names(case: Case) -> set[str]:
    """Names of the registry's residents in the case's community, and the reporter's own."""
    from yiwang.registry.models import Person

    path = case.region.path
    community = case.region.parent.path if case.region.parent_id else path
    names = set(Person.objects.filter(region__path__startswith=community).values_list("name", flat=True).distinct())
    if case.reporter_name:
        names.add(case.reporter_name)
    return {n.strip() for n in names if len(n.strip()) >= 2}


def find_hits(text: str, *, case: Case | None = None, names: set[str] | None = None) -> list[Hit]:
    """What in `text` looks like personal data, in order of appearance."""
    text = text or ""
    hits = [Hit("id_number", m.group(), m.start()) for m in ID_NUMBER.finditer(text) if _id_number_valid(m.group())]
    taken = [(h.start, h.start + len(h.text)) for h in hits]

    def free(m) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    for kind, pattern in (("phone", PHONE), ("flat", FLAT)):
        for m in pattern.finditer(text):
            if free(m) and m.group().strip():
                hits.append(Hit(kind, m.group().strip(), m.start()))
                taken.append((m.start(), m.end()))
    if names is None and case is not None:
        names = community_names(case)
    for name in sorted(names or (), key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            if free(m):
                hits.append(Hit("name", name, m.start()))
                taken.append((m.start(), m.end()))
    return sorted(hits, key=lambda h: h.start)


def describe_hits(hits: list[Hit]) -> str:
    return "；".join(f"{h.label}“{h.text}”" for h in hits)


# Who moderates ------------------------------------------------------------------------------------

def may_moderate(user, case: Case) -> bool:
    """Street, community (and district) staff over the case's region."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_superuser or user.role in MODERATOR_ROLES):
        return False
    return scope_path(user) is not None and Case.objects.restrict(user, "change").filter(pk=case.pk).exists()


def _require(user, case: Case) -> None:
    if not may_moderate(user, case):
        raise PermissionDenied(_("只有该事件所在街道、社区的工作人员可以审核公开"))


def is_banned(phone_digest: str) -> bool:
    return bool(phone_digest) and ReporterBan.objects.filter(phone_digest=phone_digest, lifted_at__isnull=True).exists()


# Intake -------------------------------------------------------------------------------------------

def offer(case: Case, *, requested: bool, now) -> CasePublication | None:
    """Called by the intake, inside its transaction: a reporter who chose 公开显示 puts the case in
    the queue, unless the case may never be public or their phone is banned (then withheld)."""
    if not requested or case.channel not in REPORTER_CHANNELS or never_public(case):
        return None
    state = PublicationState.WITHHELD if is_banned(case.phone_digest) else PublicationState.PENDING
    return CasePublication.objects.create(case=case, source=PublicationSource.REPORTER, state=state, text=case.description,
                                          lon=rounded(case.lon), lat=rounded(case.lat), created_at=now)


# Moderation ---------------------------------------------------------------------------------------

def _record(publication: CasePublication, *, acting_user, action: str, before: str, reason: str, hits: list[Hit], now) -> None:
    PublicationChange.objects.create(publication=publication, at=now, actor=account(acting_user), action=action, text_before=before,
                                     text_after=publication.text, reply_after=publication.reply, reason=reason[:200],
                                     hits=[h.as_dict() for h in hits])
    audit.record(actor=acting_user, action=f"cases.publication.{action}", target=publication.case,
                 detail={"state": publication.state, "reason": reason[:200], "hits": len(hits)})


def _check_text(case: Case, *, text: str, reply: str, address: str, confirm_names: bool) -> list[Hit]:
    """Refuses while phones, ID numbers or flats remain; names only with the moderator's confirmation
    (a street or shop may share a resident's name)."""
    names = community_names(case)
    found = {field: find_hits(value, names=names) for field, value in (("text", text), ("reply", reply), ("address", address))}
    errors = {}
    for field, hits in found.items():
        blocking = [h for h in hits if h.kind != "name" or not confirm_names]
        if blocking:
            errors[field] = _("仍含个人信息：%(hits)s。请修改后再公开") % {"hits": describe_hits(blocking)}
    if errors:
        raise ValidationError(errors)
    return [h for hits in found.values() for h in hits]


def release(publication: CasePublication | int, *, acting_user, text: str, reply: str = "", address: str = "", reason: str = "",
            confirm_names: bool = False, now=None) -> CasePublication:
    """Release (or re-release after an edit) the public version with the moderator's text."""
    now = now or timezone.now()
    text, reply, address = (text or "").strip(), (reply or "").strip(), (address or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写公开描述")})
    if len(text) > 2000 or len(reply) > 2000 or len(address) > 200:
        raise ValidationError({"text": _("公开描述、答复最多 2000 字，地址最多 200 字")})
    with transaction.atomic():
        pk = publication.pk if isinstance(publication, CasePublication) else publication
        locked = CasePublication.objects.select_for_update().select_related("case__matter", "case__region").get(pk=pk)
        case = locked.case
        _require(acting_user, case)
        why_not = never_public(case)
        if why_not:
            raise ValidationError({"case": why_not})
        if locked.state == PublicationState.WITHHELD:
            raise ValidationError({"case": _("反映人已被禁止公开，此事件不能公开")})
        hits = _check_text(case, text=text, reply=reply, address=address, confirm_names=confirm_names)
        before = locked.text
        action = "edit" if locked.state == PublicationState.RELEASED else "release"
        locked.text, locked.reply, locked.address = text, reply, address
        locked.state = PublicationState.RELEASED
        locked.released_at, locked.released_by = now, account(acting_user)
        locked.save()
        _record(locked, acting_user=acting_user, action=action, before=before, reason=reason, hits=hits, now=now)
    return locked


def hide(publication: CasePublication | int, *, acting_user, reason: str, now=None) -> CasePublication:
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请写明不公开的理由")})
    with transaction.atomic():
        pk = publication.pk if isinstance(publication, CasePublication) else publication
        locked = CasePublication.objects.select_for_update().select_related("case").get(pk=pk)
        _require(acting_user, locked.case)
        locked.state = PublicationState.HIDDEN
        locked.save(update_fields=["state"])
        _record(locked, acting_user=acting_user, action="hide", before=locked.text, reason=reason.strip(), hits=[], now=now)
    return locked


def publish_staff_version(case: Case, *, acting_user, text: str, reply: str = "", address: str = "", reason: str = "",
                          confirm_names: bool = False, now=None) -> CasePublication:
    """A coordinator publishes a redacted public version of a staff-recorded case."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("matter", "region").get(pk=case.pk)
        _require(acting_user, locked)
        if locked.channel in REPORTER_CHANNELS:
            raise ValidationError({"case": _("居民上报的事件只有在反映人选择公开后才能公开")})
        why_not = never_public(locked)
        if why_not:
            raise ValidationError({"case": why_not})
        publication, _created = CasePublication.objects.get_or_create(
            case=locked, defaults={"source": PublicationSource.STAFF, "state": PublicationState.HIDDEN, "created_at": now,
                                   "lon": rounded(locked.lon), "lat": rounded(locked.lat)})
        return release(publication, acting_user=acting_user, text=text, reply=reply, address=address, reason=reason,
                       confirm_names=confirm_names, now=now)


def ban_reporter(case: Case, *, acting_user, reason: str, now=None) -> ReporterBan:
    """Ban the case's reporter from publication, by their phone's keyed digest (never in clear). Their
    reports waiting for moderation are withheld; released ones stay until a moderator hides them."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请写明禁止公开的理由")})
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("region").get(pk=case.pk)
        _require(acting_user, locked)
        if not locked.phone_digest:
            raise ValidationError({"case": _("此事件没有反映人手机号，无法禁止")})
        ban = ReporterBan.objects.filter(phone_digest=locked.phone_digest, lifted_at__isnull=True).first()
        if ban is None:
            ban = ReporterBan.objects.create(phone_digest=locked.phone_digest, region=acting_user.scope_region or locked.region,
                                             reason=reason.strip()[:200], banned_by=account(acting_user), banned_at=now)
        pending = CasePublication.objects.filter(case__phone_digest=locked.phone_digest, state=PublicationState.PENDING)
        withheld = list(pending.values_list("pk", flat=True))
        pending.update(state=PublicationState.WITHHELD)
        for publication in CasePublication.objects.filter(pk__in=withheld):
            _record(publication, acting_user=acting_user, action="withhold", before=publication.text, reason=reason.strip(), hits=[], now=now)
        audit.record(actor=acting_user, action="cases.reporter_ban", target=ban, detail={"case": locked.number, "withheld": len(withheld)})
    return ban


def lift_ban(ban: ReporterBan, *, acting_user, now=None) -> ReporterBan:
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReporterBan.objects.restrict(acting_user, "change").select_for_update().filter(pk=ban.pk, lifted_at__isnull=True).first()
        if locked is None or not (acting_user.is_superuser or acting_user.role in MODERATOR_ROLES):
            raise PermissionDenied(_("只有作出禁止的单位可以解除"))
        locked.lifted_at = now
        locked.save(update_fields=["lifted_at"])
        audit.record(actor=acting_user, action="cases.reporter_ban_lift", target=locked)
    return locked


def phone_banned(phone: str) -> bool:
    return bool(phone) and is_banned(crypto.digest(phone))


# Photos -------------------------------------------------------------------------------------------

def release_photo(photo: CasePhoto | int, *, acting_user, rectangles: str = "", now=None) -> CasePhoto:
    """Make the public copy (rectangles in image pixels blacked out) and release it."""
    from yiwang.core import photos as photo_files

    now = now or timezone.now()
    with transaction.atomic():
        pk = photo.pk if isinstance(photo, CasePhoto) else photo
        locked = CasePhoto.objects.select_for_update().select_related("case__matter", "case__region").get(pk=pk)
        _require(acting_user, locked.case)
        why_not = never_public(locked.case)
        if why_not:
            raise ValidationError({"case": why_not})
        with locked.image.open("rb") as source:
            content = source.read()
        width, height = photo_files.dimensions(content)
        boxes = photo_files.parse_rectangles(rectangles, width=width, height=height)
        public = photo_files.redact(content, boxes)
        if locked.public_image:
            locked.public_image.delete(save=False)
        locked.public_image.save(f"{locked.case_id}-{locked.pk}-public.{public.extension}", ContentFile(public.content), save=False)
        locked.redactions, locked.released_at, locked.released_by = boxes, now, account(acting_user)
        locked.save()
        audit.record(actor=acting_user, action="cases.photo.release", target=locked.case, detail={"photo": locked.pk, "rectangles": boxes})
    return locked


def withdraw_photo(photo: CasePhoto | int, *, acting_user, now=None) -> CasePhoto:
    with transaction.atomic():
        pk = photo.pk if isinstance(photo, CasePhoto) else photo
        locked = CasePhoto.objects.select_for_update().select_related("case").get(pk=pk)
        _require(acting_user, locked.case)
        locked.released_at, locked.released_by = None, None
        locked.save(update_fields=["released_at", "released_by"])
        audit.record(actor=acting_user, action="cases.photo.withdraw", target=locked.case, detail={"photo": locked.pk})
    return locked


def public_photos():
    """Photos the public may see: released, with their public copy, of released cases."""
    return CasePhoto.objects.filter(released_at__isnull=False, case__publication__state=PublicationState.RELEASED).exclude(public_image="")
