"""The registry's export (人房地物 lists: persons, houses or places) as a background job."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, role_allows
from yiwang.exports.kinds import XLSX, Kind, Prepared, Run, register


def _prepare(user, params: dict) -> Prepared:
    from .exports import EXPORTS

    kind = params.get("kind")
    if kind not in EXPORTS:
        raise Http404(gettext("没有这个导出文件"))
    if not role_allows(user, Action.EXPORT):
        raise PermissionDenied
    return Prepared({"kind": kind}, EXPORTS[kind][2], f"{kind}.xlsx")


def _write(run: Run) -> int:
    from .exports import EXPORTS, export_queryset, write_registry

    kind = _prepare(run.user, run.params).params["kind"]
    queryset = export_queryset(kind, user=run.user)
    total = queryset.count()
    rows = write_registry(kind, queryset=queryset, out=run.out, progress=lambda n: run.progress(n, total), every=run.every)
    audit.record(actor=run.user, action="registry.export", target_type=EXPORTS[kind][0]._meta.label_lower,
                 detail={"kind": kind, "channel": "job", "job": run.job.pk, "file": run.job.filename, "rows": rows, "region": ""})
    return rows


register(Kind("registry", XLSX, _prepare, _write))
