"""Dual check-in evaluations (双报到评价) as export jobs: one member's yearly evaluation, and an
organization's summary of them, each a .docx."""

from __future__ import annotations

from django.http import Http404

from yiwang.core.params import int_param
from yiwang.exports.kinds import DOCX, Kind, Prepared, Run, refuse_residents, register
from yiwang.party.models import PartyOrganization

from .models import Evaluation
from .selectors import evaluation_visible, evaluations_for_organization


def _evaluation(user, params: dict) -> Evaluation:
    refuse_residents(user)
    evaluation = (Evaluation.objects.select_related("registration__person", "registration__community", "organization")
                  .filter(pk=int_param(params.get("evaluation"), low=0)).first())
    if evaluation is None or not evaluation_visible(user, evaluation):
        raise Http404
    return evaluation


def _evaluation_prepare(user, params: dict) -> Prepared:
    evaluation = _evaluation(user, params)
    name = f"{evaluation.year}年度双报到评价-{evaluation.registration.person.name}"
    return Prepared({"evaluation": evaluation.pk}, name[:200], f"{name}.docx")


def _evaluation_write(run: Run) -> int:
    from .documents import evaluation_docx

    run.out.write(evaluation_docx(_evaluation(run.user, run.params)))
    return 1


def _organization(user, params: dict):
    refuse_residents(user)
    organization = (PartyOrganization.objects.restrict(user).filter(pk__in=Evaluation.objects.values("organization"))
                    .filter(pk=int_param(params.get("organization"), low=0)).first())
    if organization is None:
        raise Http404
    year = params.get("year")
    return organization, int_param(year, low=1900, high=2200)


def _organization_prepare(user, params: dict) -> Prepared:
    organization, year = _organization(user, params)
    name = f"{organization.name}{year or ''}双报到评价汇总"
    return Prepared({"organization": organization.pk, "year": year}, name[:200], f"{name}.docx")


def _organization_write(run: Run) -> int:
    from .documents import organization_docx

    organization, year = _organization(run.user, run.params)
    rows = list(evaluations_for_organization(organization, year))
    run.out.write(organization_docx(organization, rows, year))
    return len(rows)


register(Kind("volunteers.evaluation", DOCX, _evaluation_prepare, _evaluation_write))
register(Kind("volunteers.organization", DOCX, _organization_prepare, _organization_write))
