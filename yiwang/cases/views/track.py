"""The residents' tracking page (no account): a case's status and public timeline by its number;
with the access code they were given (or as the signed-in resident who reported it), rating,
reopening, and unlocking the photos and notes; and a signed-in resident's own reports (我的上报)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.core import throttle
from yiwang.core.scope import is_resident

from .. import selectors, services
from ..lifecycle import IllegalTransition
from ..models import Case, CasePublication, Rating, Status
from .common import ACTION_LABELS, TRACKED_SESSION_KEY, describe_error, remember_tracked

# Wrong access codes tried on one case within an hour before the tracking page stops checking.
TRACK_CODE_ATTEMPTS = 10
CODE_ATTEMPTS_WINDOW = timedelta(hours=1)
# 我的上报 lists this many of the newest; older ones stay on their tracking pages.
MY_REPORTS_SHOWN = 100


def _trackable(number: str) -> Case:
    case = selectors.trackable_case(number)
    if case is None:
        raise Http404(_("没有这个事件"))
    return case


def _track_context(request, case: Case, **extra) -> dict:
    """The timeline's steps and times for anyone with the number (numbers run in sequence, so
    anyone can guess one); every note, the reporter's own words, the rating and the photos only for a
    browser that reported the case or showed its access code. Staff notes name people and flats."""
    owner = case.number in request.session.get(TRACKED_SESSION_KEY, []) or selectors.is_own_report(request.user, case)
    events = [{"at": e.at, "label": ACTION_LABELS.get(e.action, e.action), "note": e.note if owner else "",
               "status": Status(e.to_status).label if e.to_status in Status.values else ""}
              for e in selectors.public_timeline(case)]
    publication = CasePublication.objects.filter(case=case).first() if owner else None
    return {"case": case, "events": events, "ratings": Rating.choices, "can_rate": case.status == Status.CLOSED,
            "owner": owner, "photos": case.photos.order_by("id") if owner else [], "publication": publication, **extra}


@login_required
@never_cache
def my_reports(request):
    """/report/mine/ (我的上报): a signed-in resident's own reports, newest first, each with its status
    in the resident's words and a link to its tracking page. Staff follow cases on their own pages."""
    if not is_resident(request.user):
        raise PermissionDenied(_("“我的上报”是居民本人的页面；工作人员请在“待办”和“事件”中查看事件。"))
    reports = list(selectors.my_reports(request.user)[:MY_REPORTS_SHOWN])
    return render(request, "cases/my_reports.html", {
        "reports": [{"case": case, "status": selectors.resident_status(case)} for case in reports],
        "more": len(reports) == MY_REPORTS_SHOWN,
    })


def track_lookup(request):
    number = request.GET.get("number", "").strip()
    if number:
        return redirect("track-case", number=number)
    return render(request, "cases/track_lookup.html")


@never_cache
def track_case(request, number: str):
    """Status, matter and the public timeline: action and note only, never names or phones."""
    return render(request, "cases/track.html", _track_context(request, _trackable(number)))


def _code_attempts_key(case: Case) -> str:
    return throttle.key_for("track-code-failures", case.pk)


@require_POST
@never_cache
def track_act(request, number: str, what: str):
    """With the access code they were given, the resident rates (不满意 reopens), reopens, or
    unlocks the case's photos and description in this browser."""
    case = _trackable(number)
    if what not in ("rate", "reopen", "unlock"):
        raise Http404
    code = request.POST.get("access_code", "").strip()
    key = _code_attempts_key(case)
    error, status = "", 200
    # Every try takes a place first and a right code gives it back: only wrong codes stay counted, and
    # guesses sent at once to several servers cannot pass the limit (core/throttle.py).
    if not throttle.take(key, limit=TRACK_CODE_ATTEMPTS, window=CODE_ATTEMPTS_WINDOW):
        error, status = _("查询码错误次数过多，请一小时后再试。"), 429
    else:
        try:
            if not code:
                raise ValidationError({"access_code": _("请输入上报时获得的查询码")})
            if what == "unlock":
                if not secrets.compare_digest(services.hash_access_code(code), case.access_code_hash):
                    raise PermissionDenied
            elif what == "rate":
                services.do_rate_case(case, rating=request.POST.get("rating", ""), note=request.POST.get("note", ""), access_code=code)
            else:
                services.do_reopen_case(case, reason=request.POST.get("note", ""), access_code=code)
        except PermissionDenied:
            error, status = _("查询码不正确。"), 403
        except IllegalTransition:
            throttle.give_back(key)
            error, status = _("事件结案后才能评价或重启。"), 400
        except ValidationError as exc:
            throttle.give_back(key)
            error, status = describe_error(exc), 400
        else:
            throttle.give_back(key)
            remember_tracked(request, case)
            done = {"rate": _("已提交评价，谢谢！"), "reopen": _("已重启，事件将重新办理。"), "unlock": _("查询码正确，已显示照片和描述。")}
            messages.success(request, done[what])
            return redirect("track-case", number=case.number)
    case.refresh_from_db()
    return render(request, "cases/track.html", _track_context(request, case, error=error, form_what=what), status=status)
