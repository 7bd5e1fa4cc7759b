"""Pages of staff imports: upload, preview, progress and outcome. Thin: rules in services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.cases.importing import PRESETS

from . import selectors, services
from .models import ImportStatus

PRESET_LABELS = {
    "hotline12345": "12345 热线工单", "szcg": "数字城管案卷", "boston": "Boston 311", "la2017": "MyLA311 2017",
    "la2020": "MyLA311 2020", "sf5k": "SF311（含坐标）", "sf10k": "SF311", "sfbq": "SF311 BigQuery", "nyc": "NYC 311",
    "nyc_api": "NYC 311 API",
}  # fmt: skip


@login_required
def upload_page(request):
    if not services.may_import(request.user):
        raise PermissionDenied
    errors: dict = {}
    if request.method == "POST":
        try:
            job = services.upload_import(acting_user=request.user, upload=request.FILES.get("file"),
                                         preset_name=request.POST.get("preset", ""), mapping_text=request.POST.get("mapping", ""),
                                         encoding=request.POST.get("encoding", ""), region_code=request.POST.get("region", ""))  # fmt: skip
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/upload.html", {
        "presets": [(name, PRESET_LABELS.get(name, name)) for name in PRESETS], "grids": services.target_grids(request.user),
        "errors": errors, "form": request.POST, "jobs": selectors.jobs_of(request.user)[:20],
    }, status=400 if errors else 200)


@login_required
@never_cache
def job_page(request, pk: int):
    job = selectors.job_of(request.user, pk)
    context = {"job": job}
    if job.status == ImportStatus.PREVIEW:
        context.update(fields=job.preview.get("fields", []), rows=job.preview.get("rows", []),
                       preview_errors=job.preview.get("errors", []))
    template = "imports/_progress.html" if request.headers.get("HX-Request") else "imports/job.html"
    return render(request, template, context)


@login_required
@require_POST
def start(request, pk: int):
    services.start_import(job=selectors.job_of(request.user, pk), acting_user=request.user)
    return redirect("imports:job", pk=pk)
