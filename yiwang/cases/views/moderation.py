"""The publication queue of street and community staff: reports residents chose to publish wait here
until a moderator edits out personal data and releases them (or hides them); a coordinator may also
publish a redacted version of a staff-recorded case, black out parts of photos, and ban an abusive
reporter. Thin: every rule is in yiwang.cases.moderation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.core import errors
from yiwang.core.params import int_param
from yiwang.core.photos import dimensions
from yiwang.core.scope import get_in_scope

from .. import moderation
from ..forms import field_label
from ..models import Case, CasePhoto, CasePublication, PhotoKind, PublicationState

STATES = [PublicationState.PENDING, PublicationState.RELEASED, PublicationState.HIDDEN, PublicationState.WITHHELD]
FIELD_LABELS = {"text": gettext_lazy("公开描述"), "reply": gettext_lazy("公开答复"), "address": gettext_lazy("公开地址"),
                "reason": gettext_lazy("理由"), "rectangles": gettext_lazy("遮挡区域"), "case": gettext_lazy("事件")}


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key) or field_label(key))


def _require_moderator(user) -> None:
    if not (user.is_superuser or user.role in moderation.MODERATOR_ROLES):
        raise PermissionDenied


def highlighted(text: str, hits) -> str:
    """The text with each hit marked, escaped."""
    out, at = [], 0
    for hit in hits:
        if hit.start < at:
            continue
        out.append(escape(text[at:hit.start]))
        out.append(f'<mark title="{escape(hit.label)}" data-kind="{hit.kind}">{escape(hit.text)}</mark>')
        at = hit.start + len(hit.text)
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # every piece above is escaped


@login_required
@never_cache
def queue(request):
    """Publications in the user's scope by state, pending first, each with its hits and thumbnails."""
    _require_moderator(request.user)
    state = request.GET.get("state", PublicationState.PENDING)
    if state not in PublicationState.values:
        state = PublicationState.PENDING
    rows = (CasePublication.objects.restrict(request.user).filter(state=state)
            .select_related("case__matter", "case__region").order_by("-created_at", "-id"))
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    items = []
    for publication in page:
        case = publication.case
        hits = moderation.find_hits(publication.text, case=case)
        items.append({"publication": publication, "case": case, "hits": hits, "text": highlighted(publication.text, hits),
                      "photos": list(case.photos.filter(kind=PhotoKind.REPORT).order_by("id"))})
    counts = {s: CasePublication.objects.restrict(request.user).filter(state=s).count() for s in STATES}
    return render(request, "cases/moderation_queue.html", {
        "items": items, "page": page, "state": state,
        "tabs": [{"state": s, "label": PublicationState(s).label, "count": counts[s]} for s in STATES],
    })


def _case(request, number: str) -> Case:
    _require_moderator(request.user)
    case = get_in_scope(request.user, Case, number=number)
    if not moderation.may_moderate(request.user, case):
        raise PermissionDenied
    return case


CHANGE_LABELS = {"release": gettext_lazy("公开"), "edit": gettext_lazy("修改后公开"), "hide": gettext_lazy("不公开"),
                 "withhold": gettext_lazy("禁止公开")}


def _history(publication) -> list:
    if publication is None:
        return []
    changes = list(publication.changes.select_related("actor").order_by("-at", "-id"))
    for change in changes:
        change.label = CHANGE_LABELS.get(change.action, change.action)
    return changes


def _detail_context(request, case: Case, **extra) -> dict:
    publication = CasePublication.objects.filter(case=case).first()
    source_hits = moderation.find_hits(case.description, case=case)
    photos = []
    for photo in case.photos.order_by("id"):
        try:
            with photo.image.open("rb") as handle:
                width, height = dimensions(handle.read())
        except Exception:  # a missing file: shown without its size
            width = height = None
        photos.append({"photo": photo, "width": width, "height": height,
                       "rectangles": "\n".join(",".join(str(v) for v in box) for box in photo.redactions)})
    text = extra.pop("text", None)
    return {
        "case": case, "publication": publication, "never_public": moderation.never_public(case),
        "source": highlighted(case.description, source_hits), "source_hits": source_hits,
        "text": text if text is not None else (publication.text if publication else case.description),
        "reply": extra.pop("reply", None) if "reply" in extra else (publication.reply if publication else ""),
        "address": extra.pop("address", None) if "address" in extra else (publication.address if publication else ""),
        "reporter_channel": case.channel in moderation.REPORTER_CHANNELS,
        "history": _history(publication),
        "photos": photos, "banned": moderation.is_banned(case.phone_digest), "has_phone": bool(case.phone_digest),
        **extra,
    }


@login_required
@never_cache
def detail(request, number: str):
    case = _case(request, number)
    return render(request, "cases/moderation_detail.html", _detail_context(request, case))


ACTIONS = {"release": gettext_lazy("公开"), "hide": gettext_lazy("不公开"), "publish": gettext_lazy("发布公开版本"),
           "ban": gettext_lazy("禁止该反映人公开"), "photo": gettext_lazy("公开照片"), "unphoto": gettext_lazy("撤回照片")}


@login_required
@require_POST
def act(request, number: str, action: str):
    case = _case(request, number)
    if action not in ACTIONS:
        raise Http404
    post, user = request.POST, request.user
    text, reply, address = post.get("text", ""), post.get("reply", ""), post.get("address", "")
    reason, confirm = post.get("reason", "").strip(), bool(post.get("confirm_names"))
    try:
        publication = CasePublication.objects.filter(case=case).first()
        if action == "release":
            if publication is None:
                raise ValidationError({"case": _("反映人没有选择公开，此事件不在审核队列中")})
            moderation.release(publication, acting_user=user, text=text, reply=reply, address=address, reason=reason, confirm_names=confirm)
        elif action == "hide":
            if publication is None:
                raise ValidationError({"case": _("此事件没有公开版本")})
            moderation.hide(publication, acting_user=user, reason=reason)
        elif action == "publish":
            moderation.publish_staff_version(case, acting_user=user, text=text, reply=reply, address=address, reason=reason,
                                             confirm_names=confirm)
        elif action == "ban":
            moderation.ban_reporter(case, acting_user=user, reason=reason)
        else:
            photo = CasePhoto.objects.filter(case=case, pk=int_param(post.get("photo"), 0, low=0)).first()
            if photo is None:
                raise ValidationError({"case": _("请选择这件事件的照片")})
            if action == "photo":
                moderation.release_photo(photo, acting_user=user, rectangles=post.get("rectangles", ""))
            else:
                moderation.withdraw_photo(photo, acting_user=user)
    except PermissionDenied as exc:
        messages.error(request, _("您无权执行此操作") + (f"（{exc}）" if str(exc) else ""))
    except ValidationError as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": ACTIONS[action], "reason": errors.describe(exc, _label)})
        context = _detail_context(request, case, text=text, reply=reply, address=address, failed=errors.by_field(exc))
        return render(request, "cases/moderation_detail.html", context, status=400)
    else:
        messages.success(request, _("已%(action)s") % {"action": ACTIONS[action]})
    return redirect("moderation-detail", number=case.number)
