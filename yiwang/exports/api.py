"""/api/exports/: ask for an export (202 with the job to poll), the caller's own jobs, and the file
once written. Only the caller's own jobs exist here; another user's are 404."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.accounts.addresses import client_address
from yiwang.api.common import acting_user
from yiwang.api.params import Page

from . import selectors, services
from .models import ExportJob

router = Router(tags=["exports"])


class ExportIn(Schema):
    kind: str
    params: dict = {}


class ExportOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    progress: int
    rows_written: int
    total_rows: int | None
    advice: str
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    url: str
    page_url: str
    file_url: str | None

    @staticmethod
    def resolve_advice(obj):
        return str(obj.advice)

    @staticmethod
    def resolve_url(obj):
        return reverse("api:export_detail", args=[obj.pk])

    @staticmethod
    def resolve_page_url(obj):
        return reverse("exports:detail", args=[obj.pk])

    @staticmethod
    def resolve_file_url(obj):
        return reverse("api:export_file", args=[obj.pk]) if obj.is_done else None


def accepted(job: ExportJob):
    """202 Accepted with the job; the client polls its `url` until `file_url` is set."""
    return Status(202, job)


@router.post("", response={202: ExportOut})
def export_create(request, payload: ExportIn):
    """Queue an export. Kinds: `registry` (params `kind`: persons, houses or places), `votes.results`
    (`ballot`), `reviews.daily` (`region`, `day`), `volunteers.evaluation` (`evaluation`),
    `volunteers.organization` (`organization`, `year`)."""
    return accepted(services.request_export(kind=payload.kind, params=payload.params, acting_user=acting_user(request)))


@router.get("", response=list[ExportOut])
@paginate(Page)
def export_list(request):
    return selectors.jobs_of(acting_user(request))


@router.get("/{int:job_id}", response=ExportOut, url_name="export_detail")
def export_detail(request, job_id: int):
    return selectors.job_of(acting_user(request), job_id)


@router.get("/{int:job_id}/file", url_name="export_file")
def export_file(request, job_id: int):
    user = acting_user(request)
    job = selectors.job_of(user, job_id)
    if not job.is_done:
        raise Http404(gettext("导出文件尚未生成完毕"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("导出文件已被清理，请重新导出")) from None
    services.record_download(job, acting_user=user, channel="api", remote_addr=client_address(request))
    response = FileResponse(handle, content_type=job.content_type or "application/octet-stream", as_attachment=True, filename=job.filename)
    response["Cache-Control"] = "private, no-store"
    return response
