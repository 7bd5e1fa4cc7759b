"""Writes of staff imports: upload (checked, kept for the preview), start (queued for the worker),
and the worker's run. The rules of the import itself are in yiwang.cases.importing; the rules of who
may import where are here, so that every page asks the same question."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.importing import PRESETS, Mapping, MappingError, import_cases, preset, preview_cases
from yiwang.core import audit
from yiwang.core.scope import Action, is_command_center_staff, role_allows, scope_path
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.core.importing import ImportFailed
from yiwang.regions.models import Level, Region

from .models import ImportJob, ImportStatus
from .tasks import run_import

log = logging.getLogger(__name__)
SUFFIXES = (".csv", ".xlsx")
# The preview reads the head of a CSV file only: enough for its first rows, never the whole upload.
PREVIEW_BYTES = 256 * 1024
PREVIEW_ROWS = 5
# A job is previewed, started (queued once, however often clicked), then run by the worker.
JOB_MACHINE = StateMachine([
    Transition("start", ImportStatus.PREVIEW, ImportStatus.QUEUED),
    Transition("run", ImportStatus.QUEUED, ImportStatus.RUNNING, stamp="started_at"),
])


def may_import(user) -> bool:
    """Historic cases move the command center's figures: its own staff import them, within their scope."""
    return is_command_center_staff(user) and role_allows(user, Action.CHANGE)


def target_grids(user):
    """The grids a user may name as the place for cases whose point is in none of ours."""
    return Region.objects.restrict(user).filter(level=Level.GRID).order_by("code")


def mapping_of(job: ImportJob) -> Mapping:
    base = preset(job.preset) if job.preset else None
    return Mapping.from_dict(job.mapping, base=base) if job.mapping or base is None else base


def upload_import(*, acting_user, upload, preset_name: str, mapping_text: str, encoding: str, region_code: str) -> ImportJob:
    """Check what the page was given and keep the file for the preview; nothing is imported yet."""
    if not may_import(acting_user):
        raise PermissionDenied(_("只有区、街道、社区指挥中心的工作人员可以导入历史事件"))
    problems: dict[str, str] = {}
    if upload is None:
        problems["file"] = _("请选择要导入的文件")
    elif Path(upload.name).suffix.lower() not in SUFFIXES:
        problems["file"] = _("文件应为 CSV 或 Excel（.xlsx）")
    elif upload.size > settings.IMPORT_MAX_BYTES:
        problems["file"] = _("文件超过 %(mb)d MB 的上限") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
    if preset_name and preset_name not in PRESETS:
        problems["preset"] = _("没有名为 %(name)s 的预设格式") % {"name": preset_name}
    if encoding not in ("", "utf-8", "gbk"):
        problems["encoding"] = _("编码应为 UTF-8 或 GBK")
    mapping: dict = {}
    if mapping_text.strip():
        try:
            mapping = json.loads(mapping_text)
        except ValueError:
            problems["mapping"] = _("列映射应为 JSON 对象")
        else:
            if not isinstance(mapping, dict):
                problems["mapping"] = _("列映射应为 JSON 对象")
    elif not preset_name:
        problems["preset"] = _("请选择预设格式，或填写列映射")
    region = target_grids(acting_user).filter(code=region_code).first()
    if region is None:
        problems["region"] = _("请选择您辖区内的网格")
    if not problems:
        try:
            Mapping.from_dict(mapping, base=preset(preset_name) if preset_name else None)
        except MappingError as exc:
            problems["mapping"] = str(exc)
    if problems:
        raise ValidationError(problems)
    content = upload.read()
    suffix = Path(upload.name).suffix.lower()
    job = ImportJob(filename=Path(upload.name).name[:200], encoding=encoding, preset=preset_name, mapping=mapping, region=region,
                    created_by=acting_user, created_at=timezone.now(), scope_path=scope_path(acting_user) or "")  # fmt: skip
    job.preview = _preview(job, content, suffix)
    job.file.save(f"cases{suffix}", ContentFile(content), save=False)
    job.save()
    return job


def _preview(job: ImportJob, content: bytes, suffix: str) -> dict:
    """Our field ← the file's column, and the first rows as they would be imported, with their problems."""
    mapping = mapping_of(job)
    fields = [(label, column) for label, column in (
        (_("来源编号"), mapping.external_id), (_("上报时间"), mapping.reported_at), (_("办理时限"), mapping.due_at),
        (_("结束时间"), " / ".join(mapping.closed_at)), (_("状态"), mapping.status), (_("分类"), " / ".join(mapping.category)),
        (_("地址"), mapping.address), (_("描述"), " / ".join(mapping.description)), (_("承办单位"), mapping.agency),
    ) if column]  # fmt: skip
    if suffix == ".csv" and len(content) > PREVIEW_BYTES:
        content = content[: content.rfind(b"\n", 0, PREVIEW_BYTES) + 1] or content[:PREVIEW_BYTES]
    rows, errors = preview_cases(content, mapping=mapping, encoding=job.encoding or None, limit=PREVIEW_ROWS)
    return {"fields": fields, "rows": rows, "errors": [[e.row, e.column, e.reason] for e in errors]}


def prune_previews(*, now=None, hours: int | None = None) -> int:
    """Uploads previewed but never started are deleted after a day: they hold residents' names and phones."""
    now = now or timezone.now()
    hours = settings.YIWANG_IMPORT_PREVIEW_HOURS if hours is None else hours
    stale = ImportJob.objects.filter(status=ImportStatus.PREVIEW, created_at__lt=now - timedelta(hours=hours))
    pruned = 0
    for job in stale:
        job.file.delete(save=False)
        message = _("上传后 %(hours)d 小时内未确认导入，文件已删除，请重新上传。") % {"hours": hours}
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
            status=ImportStatus.FAILED, file="", finished_at=now, errors=[[None, "", message]])
        pruned += 1
    return pruned


def start_import(*, job: ImportJob, acting_user) -> ImportJob:
    """Queue a previewed import for the worker; a second click queues nothing more."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != acting_user.pk or not may_import(acting_user):
            raise PermissionDenied(_("只能启动自己上传的导入"))
        if not JOB_MACHINE.can(job, "start"):
            return job
        JOB_MACHINE.apply(job, "start")
        job.save(update_fields=["status"])
        audit.record(actor=acting_user, action="imports.start", target=job,
                     detail={"file": job.filename, "preset": job.preset, "region": job.region.code})  # fmt: skip
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def _progress(job_id: int):
    def tell(done: int, total: int) -> None:
        # Checking is most of the work; the last tenth is the write, told when it has committed.
        share = 100 if done >= total else int(90 * done / max(total, 1))
        ImportJob.objects.filter(pk=job_id).update(progress=share, rows=total)

    return tell


def run_job(*, job_id: int) -> str:
    """The worker's side: run the import and keep its outcome; the file is deleted afterwards."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not JOB_MACHINE.can(job, "run"):
            return job.status if job else "missing"
        JOB_MACHINE.apply(job, "run", timezone.now())
        job.save(update_fields=["status", "started_at"])
    outcome: dict = {"status": ImportStatus.FAILED}
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        # The importer's scope when the job was queued: points in grids outside it land in its target grid.
        result = import_cases(content, mapping=mapping_of(job), region=job.region, encoding=job.encoding or None,
                              progress=_progress(job.pk), scope_path=job.scope_path)  # fmt: skip
    except ImportFailed as failed:
        outcome["errors"] = [[e.row, e.column, e.reason] for e in failed.errors]
    except MappingError as exc:
        outcome["errors"] = [[None, "", str(exc)]]
    except Exception:
        log.exception("import job %s failed", job.pk)
        outcome["errors"] = [[None, "", _("导入时发生内部错误，文件未导入。请稍后重新上传；多次失败请联系系统管理员，并告知导入编号 %(id)s。") % {"id": job.pk}]]
    else:
        outcome = {"status": ImportStatus.DONE, "rows": result.rows, "created": result.created, "progress": 100,
                   "warnings": [[w.row, w.column, w.reason] for w in result.warnings],
                   "result": {"by_status": result.by_status, "median_hours": result.median_hours}}  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **outcome)
    job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    return outcome["status"]
