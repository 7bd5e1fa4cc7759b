"""Reads of staff imports: a user sees only the jobs they started."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from yiwang.cases.importing import preview_cases

from .models import ImportJob
from .services import mapping_of


def jobs_of(user):
    return ImportJob.objects.filter(created_by=user).select_related("region")


def job_of(user, pk: int) -> ImportJob:
    job = jobs_of(user).filter(pk=pk).first()
    if job is None:
        raise Http404("no such import")
    return job


def preview(job: ImportJob) -> tuple[list[tuple[str, str]], list[dict], list]:
    """(our field, source column) pairs, the first rows as they would be imported, and their problems."""
    mapping = mapping_of(job)
    fields = [(label, column) for label, column in (
        (_("来源编号"), mapping.external_id), (_("上报时间"), mapping.reported_at), (_("办理时限"), mapping.due_at),
        (_("结束时间"), " / ".join(mapping.closed_at)), (_("状态"), mapping.status), (_("分类"), " / ".join(mapping.category)),
        (_("地址"), mapping.address), (_("描述"), " / ".join(mapping.description)), (_("承办单位"), mapping.agency),
    ) if column]  # fmt: skip
    with job.file.open("rb") as handle:
        rows, errors = preview_cases(handle.read(), mapping=mapping, encoding=job.encoding or None)
    return fields, rows, errors
