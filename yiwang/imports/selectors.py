"""Reads of staff imports: a user sees only the jobs they started."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext

from .models import ImportJob


def jobs_of(user):
    return ImportJob.objects.filter(created_by=user).select_related("region")


def job_of(user, pk: int) -> ImportJob:
    job = jobs_of(user).filter(pk=pk).first()
    if job is None:
        raise Http404(gettext("没有这个导入任务"))
    return job
