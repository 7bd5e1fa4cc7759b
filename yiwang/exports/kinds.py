"""What can be exported: each kind checks a request (at request time, in the request) and writes
its file (in the worker, for the same user, checking again).

`prepare(user, params)` raises PermissionDenied, Http404 or ValidationError exactly as the old
synchronous export did, and returns the parameters to freeze with the job, its title and file name.
`write(run)` re-reads everything through the user's scope and writes to `run.out`; it returns the
number of rows written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.params import MAX_INT, int_param
from yiwang.core.scope import Action, Role, get_in_scope, role_allows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Prepared:
    params: dict
    title: str
    filename: str


@dataclass
class Run:
    """One run of a job in the worker: who, what, where to write, and how to report progress."""

    job: Any
    user: Any
    params: dict
    out: BinaryIO
    progress: Callable[[int, int | None], None]  # (rows so far, total rows or None)
    every: int  # report progress every this many rows


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    prepare: Callable[[Any, dict], Prepared]
    write: Callable[[Run], int]


def _require_staff(user) -> None:
    if user.role == Role.RESIDENT and not user.is_superuser:
        raise PermissionDenied


def _int(params: dict, key: str) -> int:
    value = params.get(key)
    number = None if isinstance(value, bool) else int_param(value, low=0, high=MAX_INT)
    if number is None:
        raise Http404(f"bad {key}")
    return number


# The registry (人房地物) ---------------------------------------------------------------------------

def _registry_prepare(user, params: dict) -> Prepared:
    from yiwang.registry.importing import EXPORTS

    kind = params.get("kind")
    if kind not in EXPORTS:
        raise Http404("no such export")
    if not role_allows(user, Action.EXPORT):
        raise PermissionDenied
    return Prepared({"kind": kind}, EXPORTS[kind][2], f"{kind}.xlsx")


def _registry_write(run: Run) -> int:
    from yiwang.registry.importing import EXPORTS, export_queryset, write_registry

    kind = _registry_prepare(run.user, run.params).params["kind"]
    queryset = export_queryset(kind, user=run.user)
    total = queryset.count()
    rows = write_registry(kind, queryset=queryset, out=run.out, progress=lambda n: run.progress(n, total), every=run.every)
    audit.record(actor=run.user, action="registry.export", target_type=EXPORTS[kind][0]._meta.label_lower,
                 detail={"kind": kind, "channel": "job", "job": run.job.pk, "file": run.job.filename, "rows": rows, "region": ""})
    return rows


# Votes ------------------------------------------------------------------------------------------

def _ballot(user, params: dict):
    from yiwang.votes import selectors
    from yiwang.votes.models import Ballot

    _require_staff(user)
    ballot = get_in_scope(user, Ballot, Action.EXPORT, pk=_int(params, "ballot"))
    if not selectors.results_visible(ballot, staff=True):
        raise ValidationError(_("投票截止后才能导出结果。"))
    return ballot


def _votes_prepare(user, params: dict) -> Prepared:
    ballot = _ballot(user, params)
    return Prepared({"ballot": ballot.pk}, f"投票结果：{ballot.title}"[:200], f"ballot-{ballot.pk}-results.xlsx")


def _votes_write(run: Run) -> int:
    from yiwang.core.exporting import write_xlsx
    from yiwang.votes.selectors import export_sheet

    rows, columns, title = export_sheet(_ballot(run.user, run.params))
    return write_xlsx(run.out, queryset_or_rows=rows, columns=columns, sheet_title=title)


# The daily supervision sheet (日督导) -------------------------------------------------------------

def _daily_prepare(user, params: dict) -> Prepared:
    from yiwang.reviews import selectors

    region = selectors.region_for(user, params.get("region") or None)
    try:
        day = date.fromisoformat(params.get("day") or "")
    except ValueError:
        day = timezone.localdate()
    # A sheet of today judges lights at the moment it was asked for, not when the worker gets to it
    # (the server's clock: a caller cannot choose it).
    now = timezone.now().isoformat()
    return Prepared({"region": region.code, "day": day.isoformat(), "now": now}, f"日督导：{region.name} {day:%Y-%m-%d}",
                    f"daily-{region.code}-{day:%Y%m%d}.xlsx")


def _daily_write(run: Run) -> int:
    from yiwang.reviews import selectors
    from yiwang.reviews.sheets import daily_sheet_xlsx

    region = selectors.region_for(run.user, run.params["region"])
    sheet = selectors.daily_sheet(selectors.reviewable_cases(run.user), region=region, day=date.fromisoformat(run.params["day"]),
                                  now=datetime.fromisoformat(run.params["now"]))
    run.out.write(daily_sheet_xlsx(sheet))
    return sum(len(unit.rows) for unit in sheet.units)


# Dual check-in evaluations (双报到评价) ------------------------------------------------------------

def _evaluation(user, params: dict):
    from yiwang.volunteers.models import Evaluation
    from yiwang.volunteers.selectors import evaluation_visible

    _require_staff(user)
    evaluation = (Evaluation.objects.select_related("registration__person", "registration__community", "organization")
                  .filter(pk=_int(params, "evaluation")).first())
    if evaluation is None or not evaluation_visible(user, evaluation):
        raise Http404
    return evaluation


def _evaluation_prepare(user, params: dict) -> Prepared:
    evaluation = _evaluation(user, params)
    name = f"{evaluation.year}年度双报到评价-{evaluation.registration.person.name}"
    return Prepared({"evaluation": evaluation.pk}, name[:200], f"{name}.docx")


def _evaluation_write(run: Run) -> int:
    from yiwang.volunteers.documents import evaluation_docx

    run.out.write(evaluation_docx(_evaluation(run.user, run.params)))
    return 1


def _organization(user, params: dict):
    from yiwang.party.models import PartyOrganization
    from yiwang.volunteers.models import Evaluation

    _require_staff(user)
    organization = (PartyOrganization.objects.restrict(user).filter(pk__in=Evaluation.objects.values("organization"))
                    .filter(pk=_int(params, "organization")).first())
    if organization is None:
        raise Http404
    year = params.get("year")
    return organization, int_param(year, low=1900, high=2200)


def _organization_prepare(user, params: dict) -> Prepared:
    organization, year = _organization(user, params)
    name = f"{organization.name}{year or ''}双报到评价汇总"
    return Prepared({"organization": organization.pk, "year": year}, name[:200], f"{name}.docx")


def _organization_write(run: Run) -> int:
    from yiwang.volunteers.documents import organization_docx
    from yiwang.volunteers.selectors import evaluations_for_organization

    organization, year = _organization(run.user, run.params)
    rows = list(evaluations_for_organization(organization, year))
    run.out.write(organization_docx(organization, rows, year))
    return len(rows)


KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    Kind("registry", XLSX, _registry_prepare, _registry_write),
    Kind("votes.results", XLSX, _votes_prepare, _votes_write),
    Kind("reviews.daily", XLSX, _daily_prepare, _daily_write),
    Kind("volunteers.evaluation", DOCX, _evaluation_prepare, _evaluation_write),
    Kind("volunteers.organization", DOCX, _organization_prepare, _organization_write),
)}
