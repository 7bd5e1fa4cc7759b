"""Pages of exports: starting one (from the page that offers it), the job page with its progress
(polled by htmx), "my exports", the download and the retry.

Thin: reads through selectors (a user's own jobs only), writes through services.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.accounts.addresses import client_address

from . import selectors, services
from .kinds import KINDS


def _say(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


def start_export(request, kind: str, params: dict, *, back: str):
    """What an export link of a page answers: POST queues the export and goes to its page at once;
    GET (an old link or bookmark) checks the same rights and offers the button, so that following
    a link never starts an export by itself. `back` is where a refusal is explained."""
    try:
        if request.method == "POST":
            job = services.request_export(kind=kind, params=params, acting_user=request.user)
            return redirect("exports:detail", pk=job.pk)
        prepared = KINDS[kind].prepare(request.user, dict(params))
    except ValidationError as exc:
        _say(request, exc)
        return redirect(back)
    return render(request, "exports/start.html", {"title": prepared.title, "filename": prepared.filename})


@login_required
@never_cache
def index(request):
    jobs = selectors.jobs_of(request.user)[:100]
    context = {"jobs": jobs, "pending": any(job.is_pending for job in jobs), "keep_days": settings.YIWANG_EXPORT_KEEP_DAYS}
    if request.headers.get("HX-Request"):
        return render(request, "exports/_jobs.html", context)
    return render(request, "exports/index.html", context)


@login_required
@never_cache
def detail(request, pk: int):
    return render(request, "exports/detail.html", {"job": selectors.job_of(request.user, pk)})


@login_required
@never_cache
def status(request, pk: int):
    """The job's progress as an htmx fragment; it stops polling itself once the job is over."""
    return render(request, "exports/_job.html", {"job": selectors.job_of(request.user, pk)})


@login_required
def download(request, pk: int):
    job = selectors.job_of(request.user, pk)
    if not job.is_done:
        raise Http404(gettext("导出文件尚未生成完毕"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("导出文件已被清理，请重新导出")) from None
    services.record_download(job, acting_user=request.user, remote_addr=client_address(request))
    response = FileResponse(handle, content_type=job.content_type or "application/octet-stream", as_attachment=True, filename=job.filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def retry(request, pk: int):
    job = selectors.job_of(request.user, pk)
    try:
        services.retry_export(job, acting_user=request.user)
    except ValidationError as exc:
        _say(request, exc)
    return redirect("exports:detail", pk=job.pk)
