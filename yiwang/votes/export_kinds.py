"""A ballot's results (投票结果) as an export job, once the ballot has closed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.core.params import int_param
from yiwang.core.scope import Action, get_in_scope
from yiwang.exports.kinds import XLSX, Kind, Prepared, Run, refuse_residents, register

from . import selectors
from .models import Ballot


def _ballot(user, params: dict) -> Ballot:
    refuse_residents(user)
    ballot = get_in_scope(user, Ballot, Action.EXPORT, pk=int_param(params.get("ballot"), low=0))
    if not selectors.results_visible(ballot, staff=True):
        raise ValidationError(_("投票截止后才能导出结果。"))
    return ballot


def _prepare(user, params: dict) -> Prepared:
    ballot = _ballot(user, params)
    return Prepared({"ballot": ballot.pk}, f"投票结果：{ballot.title}"[:200], f"ballot-{ballot.pk}-results.xlsx")


def _write(run: Run) -> int:
    from yiwang.core.exporting import write_xlsx

    rows, columns, title = selectors.export_sheet(_ballot(run.user, run.params))
    return write_xlsx(run.out, queryset_or_rows=rows, columns=columns, sheet_title=title)


register(Kind("votes.results", XLSX, _prepare, _write))
