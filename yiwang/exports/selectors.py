"""Reads of exports: a user sees and downloads only the jobs they asked for."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext

from yiwang.core.params import MAX_INT

from .models import ExportJob


def jobs_of(user) -> QuerySet:
    if user is None or not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by=user)


def job_of(user, pk: int) -> ExportJob:
    """The user's own job, else 404: another user's export is not even confirmed to exist."""
    job = jobs_of(user).filter(pk=pk).first() if 0 < pk <= MAX_INT else None
    if job is None:
        raise Http404(gettext("没有这个导出文件"))
    return job
