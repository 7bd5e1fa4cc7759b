"""Reporting a case: the grid worker's report, the desk/hotline entry of a resident's report, the
residents' snap-and-report (随手拍, no account), and their htmx fragments (a matter's extra
questions, open cases nearby)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yiwang.accounts.services import client_address
from yiwang.core.pages import require_staff
from yiwang.core.params import int_param
from yiwang.core.scope import Role, is_staff
from yiwang.matters.models import MatterType

from .. import forms, services
from ..lifecycle import IllegalTransition
from ..models import Case, Channel
from ..permissions import count_resident_report, report_channels, resident_limit_reached
from .common import describe_error, float_param, remember_tracked
from .geojson import scoped_grids


def _questions_context(form, post, attribute_errors: dict) -> list[dict]:
    matter = form.fields["matter"].matters.get(post.get("matter", "")) if form.is_bound else None
    return forms.questions_for(matter, forms.attribute_answers(matter, post), attribute_errors)


def _staff_report(request, *, desk: bool):
    user = request.user
    channels = report_channels(user, desk=desk)
    if not channels:
        raise PermissionDenied
    can_solve = not desk and user.role == Role.GRID_WORKER
    form = forms.StaffReportForm(request.POST or None, request.FILES or None, matters=MatterType.objects.filter(active=True),
                                 channels=channels, grids=scoped_grids(user), desk=desk, can_solve=can_solve)
    attribute_errors: dict = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.Report(
            channel=data["channel"], matter=data["matter"], description=data["description"], lon=data["lon"], lat=data["lat"],
            grid=data["grid"], address=data["address"], reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""), attributes=forms.attribute_answers(data["matter"], request.POST),
            urgency=data["urgency"], photos=data["photos"],
        )
        try:
            if data.get("solve_on_spot"):
                intake = services.solve_on_spot(report, acting_user=user, before=data["before"], after=data["after"],
                                                note=data["spot_note"].strip() or _("现场已解决"))
            else:
                intake = services.report_case(report, acting_user=user)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc, attribute_errors)
        except (PermissionDenied, IllegalTransition) as exc:
            form.add_error(None, describe_error(exc))
        else:
            case = intake.case
            return render(request, "cases/report_done.html", {
                # Read out to the resident on whose behalf staff registered it; a grid worker's own report needs none.
                "case": case, "desk": desk, "access_code": intake.access_code if case.channel in (Channel.DESK, Channel.HOTLINE) else "",
                "visible": Case.objects.restrict(user).filter(pk=case.pk).exists(),
            })
    return render(request, "cases/report_form.html", {
        "form": form, "desk": desk, "can_solve": can_solve,
        "questions": _questions_context(form, request.POST, attribute_errors),
        "grids_url": reverse("case-grids"),
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


@never_cache
def resident_report(request):
    """/report/ (随手拍): no account; public matters; phone, photos, position, description."""
    form = forms.ResidentReportForm(request.POST or None, request.FILES or None,
                                    matters=MatterType.objects.filter(active=True, public=True))
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
                )
                try:
                    intake = services.report_case(report, now=now)
                except ValidationError as exc:
                    forms.apply_service_errors(form, exc, attribute_errors)
                else:
                    count_resident_report(address, now)
                    remember_tracked(request, intake.case)
                    return render(request, "cases/resident_done.html", {"case": intake.case, "access_code": intake.access_code,
                                                                        "publish": data["publish"]})
    return render(request, "cases/resident_report.html", {
        "form": form, "questions": _questions_context(form, request.POST, attribute_errors), "grids_url": reverse("public-grids"),
    }, status=status)
