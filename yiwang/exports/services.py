"""Writes of exports: asking for one (in the request), writing it (in the worker), retrying,
recording downloads, and pruning files past their time.

A request only checks, freezes and queues: the file is written by `run_export` in the background
worker, for the same user, re-reading through their scope, so an export of a whole district never
holds a web worker.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.scope import scope_path
from yiwang.core.statemachine import StateMachine, Transition

from .kinds import KINDS, Run
from .models import ExportJob, ExportStatus, Failure

log = logging.getLogger(__name__)

# Progress is written every this many rows (one small UPDATE each).
PROGRESS_EVERY = 2000
# A job is queued, run by the worker, and done or failed; a failed or expired one may be queued again.
# (Finishing, failing and expiring are conditional row updates, so that the worker and the sweep
# never overwrite each other.)
EXPORT_MACHINE = StateMachine([
    Transition("run", ExportStatus.QUEUED, ExportStatus.RUNNING, stamp="started_at"),
    Transition("retry", (ExportStatus.FAILED, ExportStatus.EXPIRED), ExportStatus.QUEUED),
])
# One person may have this many exports queued or running at once.
MAX_PENDING_PER_USER = 5
# A running job whose heartbeat is this old lost its worker (progress moves every few seconds).
STALE_RUNNING = timedelta(minutes=30)


class ScopeChanged(Exception):
    """The requester's role or scope is not what it was when they asked."""


def keep_for() -> timedelta:
    return timedelta(days=settings.YIWANG_EXPORT_KEEP_DAYS)


def request_export(*, kind: str, params: dict, acting_user) -> ExportJob:
    """Check that `acting_user` may export `kind` with `params` (PermissionDenied, Http404 or
    ValidationError as the page would answer), freeze the request and queue it.

    The same export already queued or running for the same user is returned instead of a second
    one (a double click queues one job). The task is enqueued in the same transaction as the row.
    """
    from .tasks import run_export_job

    spec = KINDS.get(kind)
    if spec is None:
        raise Http404(_("没有这个导出文件"))
    prefix = scope_path(acting_user)
    if prefix is None:
        raise PermissionDenied
    prepared = spec.prepare(acting_user, dict(params))
    with transaction.atomic():
        # Lock the requester's row so two clicks at once cannot both find nothing pending.
        get_user_model().objects.select_for_update().filter(pk=acting_user.pk).first()
        pending = list(ExportJob.objects.filter(created_by=acting_user, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]))
        for job in pending:
            if job.kind == kind and _same_request(job.params, prepared.params):
                return job
        if len(pending) >= MAX_PENDING_PER_USER:
            raise ValidationError(_("您已有%(count)d个导出正在排队或生成，请等它们完成后再导出。") % {"count": len(pending)})
        job = ExportJob.objects.create(kind=kind, title=prepared.title, params=prepared.params, filename=prepared.filename,
                                       content_type=spec.content_type, created_by=acting_user, role=acting_user.role,
                                       scope_path=prefix, created_at=timezone.now())
        audit.record(actor=acting_user, action="exports.request", target=job, detail={"kind": kind, "params": prepared.params})
        run_export_job.enqueue(job.pk)
    return job


def _same_request(a: dict, b: dict) -> bool:
    # The daily sheet's frozen moment differs between two clicks; the rest must match.
    return {k: v for k, v in a.items() if k != "now"} == {k: v for k, v in b.items() if k != "now"}


def retry_export(job: ExportJob, *, acting_user) -> ExportJob:
    """Queue a failed (or expired) job again with the parameters it was asked with."""
    from .tasks import run_export_job

    if job.created_by_id != acting_user.pk:
        raise Http404(_("没有这个导出文件"))
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job.pk)
        retry = EXPORT_MACHINE.move(job, "retry", otherwise=ValidationError(_("只有失败或已过期的导出可以重试。")))
        ExportJob.objects.filter(pk=job.pk).update(
            status=retry.target, progress=0, rows_written=0, total_rows=None, failure="", error="", file="",
            started_at=None, heartbeat_at=None, finished_at=None, expires_at=None)
        audit.record(actor=acting_user, action="exports.retry", target=job, detail={"kind": job.kind})
        run_export_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def run_export(job_id: int, *, every: int | None = None) -> str:
    """Write the file of a queued job and only then mark it done.

    Runs as the user who asked, only while their role and scope are still the ones frozen with the
    job; every kind re-reads through that user's scope. On any error nothing is kept and the job
    says why in a sentence (`Failure`); the exception goes to `error` and the log.
    """
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update(of=("self",)).select_related("created_by", "created_by__scope_region").filter(pk=job_id).first()
        if job is None or not EXPORT_MACHINE.can(job, "run"):
            return job.status if job else "missing"
        EXPORT_MACHINE.apply(job, "run", now)
        job.heartbeat_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])

    storage = job.file.storage
    stored = ""
    try:
        user = job.created_by
        if user is None or not user.is_active or user.role != job.role or scope_path(user) != job.scope_path:
            raise ScopeChanged
        spec = KINDS[job.kind]
        with tempfile.TemporaryFile() as out:
            run = Run(job=job, user=user, params=job.params, out=out, every=every or PROGRESS_EVERY,
                      progress=lambda done, total: _progress(job.pk, done, total))
            # Data files stay Chinese whatever language the requester uses (the importer reads them back).
            with translation.override("zh-hans"):
                rows = spec.write(run)
            out.seek(0)
            extension = job.filename.rsplit(".", 1)[-1] if "." in job.filename else "bin"
            stored = storage.save(f"exports/{now:%Y/%m}/{job.pk}-{secrets.token_hex(8)}.{extension}", File(out))
        finished = timezone.now()
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE, file=stored, progress=100, rows_written=rows, total_rows=rows, finished_at=finished,
            heartbeat_at=finished, expires_at=finished + keep_for(), failure="", error="")
        if not updated:  # given up on meanwhile (see prune_exports): keep nothing
            storage.delete(stored)
            return ExportJob.objects.get(pk=job.pk).status
        audit.record(actor=user, action="exports.done", target=job, detail={"kind": job.kind, "rows": rows})
        return ExportStatus.DONE
    except Exception as exc:  # noqa: BLE001 - any failure must end as a failed job, not a stuck one
        failure = _failure_of(exc)
        if failure == Failure.INTERNAL or failure == Failure.STORAGE:
            log.exception("export %s failed", job_id)
        if stored:
            storage.delete(stored)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, failure=failure, file="",
                                                   error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now())
        return ExportStatus.FAILED


def _failure_of(exc: Exception) -> str:
    if isinstance(exc, ScopeChanged):
        return Failure.SCOPE
    if isinstance(exc, (Http404, PermissionDenied, ObjectDoesNotExist, ValidationError)):
        return Failure.MISSING
    if isinstance(exc, OSError):
        return Failure.STORAGE
    return Failure.INTERNAL


def _progress(job_id: int, done: int, total: int | None) -> None:
    percent = min(99, done * 100 // total) if total else 0
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
        progress=percent, rows_written=done, total_rows=total, heartbeat_at=timezone.now())


def record_download(job: ExportJob, *, acting_user, channel: str = "page", remote_addr: str = "") -> None:
    ExportJob.objects.filter(pk=job.pk).update(downloads=F("downloads") + 1)
    audit.record(actor=acting_user, action="exports.download", target=job,
                 detail={"kind": job.kind, "file": job.filename, "rows": job.rows_written, "channel": channel, "remote_addr": remote_addr})


def prune_exports(*, now=None) -> int:
    """Delete the files of jobs past their keeping time (the rows stay, as the record of who
    exported what) and fail jobs whose worker died. Returns the number of files deleted."""
    now = now or timezone.now()
    ExportJob.objects.filter(status=ExportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=now - STALE_RUNNING) | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_RUNNING)).update(
        status=ExportStatus.FAILED, failure=Failure.INTERRUPTED, error="worker lost", finished_at=now)
    deleted = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lt=now).only("pk", "file"):
        if job.file:
            job.file.storage.delete(job.file.name)
            deleted += 1
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(status=ExportStatus.EXPIRED, file="")
    return deleted
