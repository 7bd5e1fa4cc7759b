"""The advisor's pages: the communities a street may re-divide, one community's division today beside
the proposal (with a form to move buildings and propose it), and a proposal to approve or reject.
Thin: reads through selectors, writes through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiwang.core.pages import see_other, staff_required
from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region

from . import engine, selectors, services
from .models import ProposalStatus


def _require_advisor(user) -> None:
    if not selectors.may_see_advisor(user):
        raise PermissionDenied(gettext("网格优化仅供街道及以上的工作人员使用"))


def _community_for(user, code: str) -> Region:
    _require_advisor(user)
    community = Region.objects.restrict(user, Action.VIEW).filter(code=code, level=Level.COMMUNITY).first()
    if community is None:
        raise Http404(gettext("社区不存在或不在您的数据范围内"))
    return community


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc) or gettext("您无权执行此操作")]


@staff_required
def index(request):
    _require_advisor(request.user)
    proposals = list(selectors.proposals_for(request.user).order_by("-proposed_at")[:50])
    for proposal in proposals:
        proposal.may_decide = selectors.may_decide(request.user, proposal)
    return render(request, "advisor/index.html", {
        "communities": selectors.communities_for(request.user), "proposals": proposals,
        "grid_range": selectors.household_range("grid"), "weights": selectors.weights(),
    })


def _page(request, community: Region, *, plan: dict[str, str] | None = None, errors: list[str] | None = None, reason: str = ""):
    advice_error = ""
    data = selectors.community_data(community)
    current = engine.current_division(data.buildings, outline=data.outline) if data.buildings else None
    proposed = None
    if plan is not None:
        proposed = engine.regroup(data.buildings, {b.code: plan.get(b.code, b.grid) for b in data.buildings}, outline=data.outline)
    else:
        try:
            proposed = selectors.advise_community(community, seconds=settings.YIWANG_ADVISOR_PAGE_SECONDS, with_micro_grids=False).proposal
        except selectors.AdviceRefused as refused:
            advice_error = str(refused)
    layers = selectors.map_layers(data, current, proposed or current) if current else None
    choices = sorted({g.code for g in data.grids} | ({g.code for g in proposed.grids} if proposed else set()))
    rows = [{"building": b, "current": b.grid, "proposed": (proposed.assignment.get(b.code, b.grid) if proposed else b.grid)}
            for b in data.buildings]
    return render(request, "advisor/community.html", {
        "community": community, "data": data, "current": current, "proposed": proposed, "advice_error": advice_error,
        "layers": layers, "rows": rows, "choices": choices, "new_grid": f"{services.NEW_GRID_PREFIX}1",
        "errors": errors or [], "reason": reason, "grid_range": selectors.household_range("grid"),
        "may_propose": selectors.may_propose(request.user, community),
        "proposals": selectors.proposals_for(request.user, community).order_by("-proposed_at")[:10],
    }, status=400 if errors else 200)


@staff_required
def community_page(request, code: str):
    return _page(request, _community_for(request.user, code))


@staff_required
@require_POST
def propose(request, code: str):
    community = _community_for(request.user, code)
    plan = {key[len("b:"):]: value.strip() for key, value in request.POST.items() if key.startswith("b:") and value.strip()}
    reason = request.POST.get("reason", "")
    try:
        proposal = services.propose_division(community=community, plan=plan, reason=reason, acting_user=request.user)
    except (ValidationError, PermissionDenied) as refused:
        return _page(request, community, plan=plan, errors=_errors(refused), reason=reason)
    messages.success(request, gettext("已提交网格调整提案，待上级审批"))
    return see_other("advisor:proposal", proposal.pk)


def _proposal_for(user, proposal_id: int):
    _require_advisor(user)
    proposal = selectors.proposals_for(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404(gettext("提案不存在或不在您的数据范围内"))
    return proposal


@staff_required
def proposal_detail(request, proposal_id: int):
    proposal = _proposal_for(request.user, proposal_id)
    context = {"proposal": proposal, "may_decide": selectors.may_decide(request.user, proposal), "layers": None}
    if proposal.status == ProposalStatus.PROPOSED:
        data = selectors.community_data(proposal.community)
        current = engine.current_division(data.buildings, outline=data.outline)
        if data.basis != proposal.basis:
            context["stale"] = gettext("提出后本社区的网格划分已有变化，本提案不能再批准；请驳回，由街道重新提出")
        else:
            proposed = engine.regroup(data.buildings, proposal.plan, outline=data.outline)
            context["layers"] = selectors.map_layers(data, current, proposed)
    return render(request, "advisor/proposal.html", context)


@staff_required
@require_POST
def decide(request, proposal_id: int, decision: str):
    proposal = _proposal_for(request.user, proposal_id)
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            services.approve_division(proposal, acting_user=request.user, note=note)
            messages.success(request, gettext("已批准，新的网格划分已生效"))
        elif decision == "reject":
            services.reject_division(proposal, acting_user=request.user, note=note)
            messages.success(request, gettext("已驳回"))
        else:
            raise Http404(gettext("未知的审批操作"))
    except (ValidationError, PermissionDenied) as refused:
        for line in _errors(refused):
            messages.error(request, line)
    return see_other("advisor:proposal", proposal.pk)
