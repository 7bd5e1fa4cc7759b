"""Reporting a case: the grid worker's report, the desk/hotline entry of a resident's report, the
residents' snap-and-report (随手拍, with or without an account) with its done page and the service
guide it sends applications to, and their htmx fragments (a matter's extra
questions, open cases nearby)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yiwang.accounts.services import client_address
from yiwang.core.formfields import keeps_photos
from yiwang.core import idempotency
from yiwang.core.pages import require_staff, see_other
from yiwang.core.params import int_param
from yiwang.core.scope import Role, is_resident, is_staff
from yiwang.matters.models import MatterType
from yiwang.matters.selectors import problem_kinds, service_applications, service_categories
from yiwang.registry.selectors import own_contact

from .. import forms, selectors, services
from ..lifecycle import IllegalTransition
from ..models import Case, Channel
from ..permissions import release_resident_report, report_channels, resident_limit_reached
from .common import describe_error, float_param, remember_tracked
from .geojson import scoped_grids


def _questions_context(form, post, attribute_errors: dict) -> list[dict]:
    matter = form.fields["matter"].matters.get(post.get("matter", "")) if form.is_bound else None
    return forms.questions_for(matter, forms.attribute_answers(matter, post), attribute_errors)


# A desk report's access code stays on its result page this long, so a refresh (or the offline
# queue's script reading the answer) does not lose it before it is read out.
ACCESS_CODE_SECONDS = 600
REPORTED_KIND = "cases.report"


def _keep_access_code(request, case, code: str) -> None:
    now = timezone.now().timestamp()
    kept = {number: entry for number, entry in request.session.get("report_access_codes", {}).items() if entry[1] > now}
    kept[case.number] = [code, now + ACCESS_CODE_SECONDS]
    request.session["report_access_codes"] = kept


def _report_done(case):
    return see_other("case-report-done", case.number)


def _staff_report(request, *, desk: bool):
    user = request.user
    channels = report_channels(user, desk=desk)
    if not channels:
        raise PermissionDenied
    can_solve = not desk and user.role == Role.GRID_WORKER
    form = keeps_photos(forms.StaffReportForm(request.POST or None, request.FILES or None, matters=MatterType.objects.filter(active=True),
                                              channels=channels, grids=scoped_grids(user), desk=desk, can_solve=can_solve), request)
    attribute_errors: dict = {}
    key = None
    if request.method == "POST":
        try:
            key = idempotency.parse_key(request.POST.get(idempotency.FIELD))
            # Sent before (a double click, the offline queue retrying after a lost answer): the first result.
            first = idempotency.earlier(user=user, key=key, kind=REPORTED_KIND)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
            first = None
        if first is not None:
            return _report_done(Case.objects.get(pk=first))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.Report(
            channel=data["channel"], matter=data["matter"], description=data["description"], lon=data["lon"], lat=data["lat"],
            grid=data["grid"], address=data["address"], reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""), attributes=forms.attribute_answers(data["matter"], request.POST),
            urgency=data["urgency"], photos=data["photos"],
        )
        if data.get("solve_on_spot"):
            def create():
                return services.solve_on_spot(report, acting_user=user, before=data["before"], after=data["after"],
                                              note=data["spot_note"].strip() or _("现场已解决"))
        else:
            def create():
                return services.report_case(report, acting_user=user)
        try:
            outcome = idempotency.once(user=user, key=key, kind=REPORTED_KIND, create=create, object_id=lambda intake: intake.case.pk)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc, attribute_errors)
        except (PermissionDenied, IllegalTransition) as exc:
            form.add_error(None, describe_error(exc))
        else:
            if outcome.repeated:
                return _report_done(Case.objects.get(pk=outcome.object_id))
            case = outcome.result.case
            # Read out to the resident on whose behalf staff registered it; a grid worker's own report needs none.
            if case.channel in (Channel.DESK, Channel.HOTLINE):
                _keep_access_code(request, case, outcome.result.access_code)
            return _report_done(case)
    return render(request, "cases/report_form.html", {
        "form": form, "desk": desk, "can_solve": can_solve,
        "questions": _questions_context(form, request.POST, attribute_errors),
        "grids_url": reverse("case-grids"), "idempotency_key": key or "",
    }, status=400 if form.is_bound and (form.errors or attribute_errors) else 200)


@login_required
@never_cache
def worker_report(request):
    """/cases/report/: a grid worker reports what they found (staff may use it for desk/hotline)."""
    return _staff_report(request, desk=False)


@login_required
@never_cache
def desk_report(request):
    """/cases/new/: community/street staff register a resident's report; the code is read out."""
    return _staff_report(request, desk=True)


@login_required
@never_cache
def report_done(request, number: str):
    """/cases/report/done/<number>/: a staff report's result, for the account that filed it (where
    the report form's POST redirects: a refresh shows it again and posts nothing)."""
    case = Case.objects.filter(number=number, reported_by=request.user).select_related("matter", "region").first()
    if case is None:
        raise Http404(_("没有您登记的这个事件"))
    entry = request.session.get("report_access_codes", {}).get(case.number)
    desk = case.channel in (Channel.DESK, Channel.HOTLINE)
    return render(request, "cases/report_done.html", {
        "case": case, "desk": desk, "access_code": entry[0] if desk and entry and entry[1] > timezone.now().timestamp() else "",
        "visible": Case.objects.restrict(request.user).filter(pk=case.pk).exists(),
    })


@require_GET
def matter_questions(request):
    """htmx fragment: the chosen matter's extra questions (public matters only for residents)."""
    matters = MatterType.objects.filter(active=True)
    if not is_staff(request.user):
        matters = matters.filter(public=True)
    pk = int_param(request.GET.get("matter"))
    matter = matters.filter(pk=pk).first() if pk else None
    return render(request, "cases/_questions.html", {"questions": forms.questions_for(matter)})


@login_required
@require_GET
def duplicates(request):
    """htmx fragment: open cases of the same matter near the chosen point, in the user's scope."""
    require_staff(request.user)
    pk, lon, lat = int_param(request.GET.get("matter")), float_param(request.GET.get("lon")), float_param(request.GET.get("lat"))
    matter = MatterType.objects.filter(pk=pk, active=True).first() if pk else None
    cases = []
    if matter is not None and lon is not None and lat is not None:
        near = services.duplicates_near(matter=matter, lon=lon, lat=lat)
        visible = set(Case.objects.restrict(request.user).filter(pk__in=[c.pk for c in near]).values_list("pk", flat=True))
        cases = [c for c in near if c.pk in visible]
    return render(request, "cases/_duplicates.html", {"cases": cases, "asked": matter is not None and lon is not None})


# The one-time code of the report just made, kept for the done page after the redirect: shown once, then popped.
DONE_SESSION_KEY = "resident_report_done"


@never_cache
def resident_report(request):
    """/report/ (随手拍): the place first, then what is wrong (problems only: service applications go
    to the one-stop hall), then a phone number, a signed-in resident's own filled in. After the
    POST, a 303 to the done page, so a refresh never posts again."""
    user = request.user
    resident = is_resident(user)
    form = keeps_photos(forms.ResidentReportForm(
        request.POST or None, request.FILES or None, matters=problem_kinds(), refused_matters=service_applications(),
        initial={"phone": own_contact(user)["phone"]} if resident else None), request)
    attribute_errors: dict = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data, now, address = form.cleaned_data, timezone.now(), client_address(request)
            refused = resident_limit_reached(phone=data["phone"], address=address, now=now)
            if refused:
                form.add_error(None, refused)
                status = 429
            else:
                report = services.Report(
                    channel=Channel.RESIDENT, matter=data["matter"], description=data["description"], lon=data["lon"], lat=data["lat"],
                    address=data["address"], reporter_phone=data["phone"], photos=data["photos"],
                    attributes=forms.attribute_answers(data["matter"], request.POST), publish=data["publish"],
                    reporter_account=user if resident else None,
                )
                try:
                    intake = services.report_case(report, now=now)
                except ValidationError as exc:
                    release_resident_report(address, now)
                    forms.apply_service_errors(form, exc, attribute_errors)
                else:
                    remember_tracked(request, intake.case)
                    request.session[DONE_SESSION_KEY] = {"number": intake.case.number, "code": intake.access_code, "publish": data["publish"]}
                    return HttpResponseSeeOther(reverse("resident-report-done"))
    return render(request, "cases/resident_report.html", {
        "form": form, "questions": _questions_context(form, request.POST, attribute_errors), "grids_url": reverse("public-grids"),
        "signed_in_resident": resident,
    }, status=status)


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


@never_cache
def resident_done(request):
    """/report/done/: the report just made. Its access code is shown on the first view only; a
    refresh shows the rest and says the code was shown once."""
    done = request.session.get(DONE_SESSION_KEY)
    case = selectors.trackable_case(done["number"]) if done else None
    if case is None:
        return redirect("resident-report")
    code = done.get("code", "")
    if code:
        request.session[DONE_SESSION_KEY] = {key: value for key, value in done.items() if key != "code"}
    return render(request, "cases/resident_done.html", {
        "case": case, "access_code": code, "publish": done.get("publish", False), "status_words": selectors.resident_status(case),
        "signed_in_resident": is_resident(request.user),
    })


def service_guide(request):
    """/report/services/ (一站式服务): the service applications residents apply for at the one-stop
    hall, by category, with each one's service standard and a link to its guide; 随手拍 takes
    problems only."""
    return render(request, "cases/service_guide.html", {"groups": service_categories()})
