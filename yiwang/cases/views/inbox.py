"""The inbox (what I must act on next, and my unread notifications) and the case list with its
filters (the command center links its numbers here)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.pages import staff_required
from yiwang.core.params import int_param
from yiwang.matters.models import MatterType
from yiwang.notify.models import Notification
from yiwang.regions.models import Region

from .. import selectors
from ..indicators import light_of
from ..models import Case, Status
from ..states import LABELS, filter_state
from .common import describe_error
from .supervision import inbox_section as inbox_supervision

# Translated where shown (cases.states names each state once).
STATE_LABELS = LABELS


INBOX_PAGE_SIZE = 20
# Where the user last chose to be in the inbox (tab, filters, order, page): coming back to
# /cases/inbox/ with no query, e.g. from a case just acted on, shows that place again.
INBOX_PLACE_KEY = "inbox_place"


@staff_required
def inbox_page(request):
    """What I must act on next, in tabs by step with their counts, filtered and ordered as asked, as
    cards; and my unread notifications."""
    asked = request.GET or QueryDict(request.session.get(INBOX_PLACE_KEY, ""))
    user, now = request.user, timezone.now()
    query, errors = selectors.read_inbox_query(user, asked)
    counts = selectors.inbox_counts(user, query, now=now)
    steps = [(key, label) for key, label in selectors.inbox_steps() if key in counts]
    if "step" not in asked or "step" in errors:
        # By default the earliest step with work in it, so new reports come first for those who accept them.
        query = replace(query, step=next((key for key, _label in steps if counts[key]), selectors.ALL_STEPS))
    page = Paginator(selectors.inbox(user, query, now=now), INBOX_PAGE_SIZE).get_page(asked.get("page"))
    words = dict(steps)
    rows = [{"case": case, "light": light_of(case, now), "next": words.get(case.status, "")} for case in page]
    place = query.as_params()
    if request.GET and not errors:  # a place the user chose, not the default
        request.session[INBOX_PLACE_KEY] = urlencode({**place, "page": page.number})
    filters = {k: v for k, v in place.items() if k != "step"}
    tabs = [{"step": key, "label": label, "count": counts[key], "query": urlencode({**filters, "step": key})}
            for key, label in [(selectors.ALL_STEPS, _("全部")), *steps]]
    choices = selectors.inbox_choices(user, now=now)
    if query.grid is not None and query.grid.code not in {code for code, _name in choices["grids"]}:
        choices["grids"].append((query.grid.code, query.grid.name))  # asked for by its code: still shown as chosen
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return render(request, "cases/inbox.html", {
        "page": page, "rows": rows, "tabs": tabs, "step": query.step, "query": query, "errors": errors.values(),
        "place": urlencode(place), "step_only": urlencode({"step": query.step}),
        "choices": choices, "lights": selectors.INBOX_LIGHTS.items(),
        "ages": selectors.INBOX_AGES.items(), "sorts": selectors.INBOX_SORTS.items(),
        "notifications": unread.select_related("case")[:50], "unread_count": unread.count(),
        **inbox_supervision(user, now),
    })


@login_required
@require_POST
def open_notification(request, pk: int):
    """Mark one notification read and go to its case."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if note.case_id and Case.objects.restrict(request.user).filter(pk=note.case_id).exists():
        return redirect("case-detail", number=note.case.number)
    return redirect("case-inbox")


@login_required
@require_POST
def read_all_notifications(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("case-inbox")


@staff_required
def case_list(request):
    cases = Case.objects.restrict(request.user).select_related("matter", "region", "handling_region", "handling_department")
    status, matter, overdue, query = (request.GET.get(k, "").strip() for k in ("status", "matter", "overdue", "q"))
    if status in Status.values:
        cases = cases.filter(status=status)
    if overdue == "1":  # the same 超期 as every count (cases.states), not the sweep's stored step flag
        cases = filter_state(cases, "overdue", timezone.now())
    if query:
        cases = cases.filter(number__startswith=query)
    # The command center links its numbers here with these (see cases.selectors.filter_cases).
    narrowing = {k: request.GET.get(k, "").strip() for k in ("region", "board", "department", "handler", "since", "until", "state")}
    region = None
    if narrowing["region"]:
        region = Region.objects.restrict(request.user).filter(code=narrowing["region"]).first()
        if region is None:
            raise Http404(_("区域不存在或不在您的数据范围内"))
    try:
        since, until = (date.fromisoformat(narrowing[k]) if narrowing[k] else None for k in ("since", "until"))
        if any(d is not None and not 1900 <= d.year <= 2100 for d in (since, until)):
            raise ValueError("dates from 1900 to 2100")
        cases = selectors.filter_cases(cases, region=region, board=narrowing["board"], matter=int_param(matter),
                                       department=int_param(narrowing["department"]), handler=int_param(narrowing["handler"]),
                                       since=since, until=until, state=narrowing["state"])
    except ValueError:
        raise Http404(_("日期格式应为“年-月-日”，如 2026-03-01")) from None
    except ValidationError as exc:
        raise Http404(describe_error(exc)) from None
    now = timezone.now()
    page = Paginator(cases.order_by("-reported_at", "-id"), 50).get_page(request.GET.get("page"))
    kept = {"status": status, "matter": matter, "overdue": overdue, "q": query, **narrowing}
    return render(request, "cases/list.html", {
        "page": page, "rows": [{"case": c, "light": light_of(c, now)} for c in page],
        "statuses": Status.choices, "matters": MatterType.objects.filter(active=True).order_by("kind", "code"),
        "status": status, "matter": matter, "overdue": overdue, "q": query, "narrowing": {k: v for k, v in narrowing.items() if v},
        "narrowed_region": region, "state_label": STATE_LABELS.get(narrowing["state"], ""),
        "query": urlencode({k: v for k, v in kept.items() if v}),
    })
