"""Pages for linked leaders and units: the links in scope with their cadence, a link with its
visits, problems and cases, recording a visit from a phone, the gaps (links that missed their
cadence, regions with no link), and setting up or ending a link. Thin: parse, call a service or
selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.pages import run_action, staff_required
from yiwang.core.scope import Action, get_in_scope
from yiwang.regions.models import Level, Region
from yiwang.core import errors

from . import selectors, services
from .forms import EndForm, LinkForm, ProblemFormSet, RolesForm, VisitForm, put_errors
from .models import Link, LinkKind, LinkProblem

STATUS_FILTERS = [(selectors.MISSED, "未达频次"), (selectors.ON_TRACK, "达标"), (selectors.NEW, "新建"), (selectors.ENDED, "已结束")]
GAP_KINDS = [("", "无任何联点"), (selectors.ANY_UNIT, "无联点单位（部门/共建单位/党支部）"), *LinkKind.choices]


def _may_set_links(user) -> bool:
    return user.is_superuser or user.role in services.LINK_SETTING_ROLES


@staff_required
def index(request):
    user = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in LinkKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in dict(STATUS_FILTERS) else ""
    links = selectors.links_in_scope(user, kind=kind, active=False if status == selectors.ENDED else True)
    rows = selectors.cadences(links)
    counts = {selectors.MISSED: 0, selectors.ON_TRACK: 0, selectors.NEW: 0}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    if status and status != selectors.ENDED:
        rows = [row for row in rows if row.status == status]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "links/index.html", {
        "page": page, "rows": page.object_list, "kinds": LinkKind.choices, "kind": kind, "statuses": STATUS_FILTERS, "status": status,
        "counts": counts, "may_set": _may_set_links(user), "query": f"kind={kind}&status={status}",
    })


def _visits_of(link: Link):
    problems = Prefetch("problems", queryset=LinkProblem.objects.select_related("case", "case__matter").order_by("row"))
    return link.visits.select_related("visitor", "recorded_by").prefetch_related(problems).order_by("-at", "-id")


@login_required
def detail(request, pk: int):
    user = request.user
    link = get_in_scope(user, Link, Action.VIEW, pk=pk)
    cadence = selectors.cadence_of(link)
    link = cadence.link
    acting = None
    if link.primary_id or link.backup_id:
        from yiwang.ab_roles.acting import who_acts

        acting = who_acts(link)
    visits = Paginator(_visits_of(link), 30).get_page(request.GET.get("page"))
    may_set = _may_set_links(user) and Link.objects.restrict(user, Action.CHANGE).filter(pk=link.pk).exists()
    return render(request, "links/detail.html", {
        "link": link, "cadence": cadence, "acting": acting, "visits": visits, "may_record": services.may_record_visit(user, link),
        "may_set": may_set and link.active, "end_form": EndForm(), "roles_form": RolesForm(user=user, link=link),
    })


def _grids_for(link: Link):
    """A community link's cases go to a grid chosen per problem; a grid link's to its grid."""
    if link.region.level != Level.COMMUNITY:
        return None
    return Region.objects.filter(parent=link.region, level=Level.GRID).select_related("parent").order_by("code")


@login_required
def record_visit(request, pk: int):
    user = request.user
    link = get_in_scope(user, Link, Action.VIEW, pk=pk)
    if not services.may_record_visit(user, link):
        raise PermissionDenied(gettext("您不能为该联点记录走访"))
    grids = _grids_for(link)
    if request.method == "POST":
        form = VisitForm(request.POST)
        formset = ProblemFormSet(request.POST, prefix="problems", grids=grids)
        if form.is_valid() and formset.is_valid():
            filled = [f for f in formset.forms if f.filled]
            problems = [services.ProblemInput(description=f.cleaned_data["description"],
                                              matter=f.cleaned_data["matter"] if f.cleaned_data.get("open_case") else None,
                                              grid=f.cleaned_data.get("grid") if f.cleaned_data.get("open_case") else None)
                        for f in filled]
            data = form.cleaned_data
            try:
                visit = services.record_visit(link, acting_user=user, at=data["at"], mode=data["mode"], summary=data["summary"],
                                              problems=problems, visitor=user if data["i_went"] else None,
                                              visitor_names=data["visitor_names"])
            except ValidationError as exc:
                put_errors(errors.by_field(exc), form=form, problem_forms=filled)
            else:
                opened = [p.case.number for p in visit.problems.select_related("case") if p.case_id]
                text = "已记录走访" + (f"，立案 {len(opened)} 件：{'、'.join(opened)}" if opened else "")
                messages.success(request, text)
                return redirect("links:detail", pk=link.pk)
    else:
        form = VisitForm()
        formset = ProblemFormSet(prefix="problems", grids=grids)
    cadence = selectors.cadence_of(link)
    return render(request, "links/visit_form.html", {"link": cadence.link, "cadence": cadence, "form": form, "formset": formset,
                                                     "community_link": grids is not None})


@staff_required
def gaps(request):
    """Links that missed their cadence, and regions nobody is linked to."""
    user = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in dict(GAP_KINDS) else ""
    missed_links = selectors.links_in_scope(user)
    if kind in LinkKind.values:
        missed_links = missed_links.filter(kind=kind)
    missed_rows = [selectors.cadence_of(link) for link in selectors.missed(missed_links)]
    regions = Paginator(selectors.regions_without_link(user, kind=kind), 100).get_page(request.GET.get("page"))
    linked = selectors.active_kinds_by_region(r.pk for r in regions.object_list)
    labels = dict(LinkKind.choices)
    gap_rows = [{"region": r, "linked": [labels[k] for k in linked.get(r.pk, [])]} for r in regions.object_list]
    return render(request, "links/gaps.html", {"missed": missed_rows, "regions": regions, "gap_rows": gap_rows, "kinds": GAP_KINDS,
                                               "kind": kind, "kind_label": dict(GAP_KINDS)[kind]})


@login_required
def new_link(request):
    user = request.user
    if not _may_set_links(user):
        raise PermissionDenied(gettext("只有社区、街道和区级工作人员可以设置联点"))
    form = LinkForm(request.POST or None, user=user, initial={"kind": request.GET.get("kind", ""), "region": request.GET.get("region")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.create_link(acting_user=user, kind=data["kind"], region=data["region"], starts_on=data["starts_on"],
                                        leader=data["leader"], leader_name=data["leader_name"], leader_title=data["leader_title"],
                                        department=data["department"], party_organization=data["party_organization"],
                                        contacts_required=data["contacts_required"], period=data["period"],
                                        counted_mode=data["counted_mode"], cadence_note=data["cadence_note"],
                                        primary=data["primary"], backup=data["backup"])
        except ValidationError as exc:
            put_errors(errors.by_field(exc), form=form)
        else:
            messages.success(request, f"已设置联点：{link}")
            return redirect("links:detail", pk=link.pk)
    return render(request, "links/link_form.html", {"form": form})


@login_required
@require_POST
def roles(request, pk: int):
    """Change who answers for a link (A) and who stands in (B)."""
    user = request.user
    link = get_in_scope(user, Link, Action.VIEW, pk=pk)
    form = RolesForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, "请从列表中选择A角和B角")
        return redirect("links:detail", pk=link.pk)
    return run_action(request, lambda: services.set_roles(link, acting_user=user, primary=form.cleaned_data["primary"],
                                                          backup=form.cleaned_data["backup"]),
                      success="AB角已更新", denied=lambda exc: str(exc) or "您无权调整该联点", redirect_to=("links:detail", link.pk))


@login_required
@require_POST
def end(request, pk: int):
    user = request.user
    link = get_in_scope(user, Link, Action.VIEW, pk=pk)
    form = EndForm(request.POST)
    if form.is_valid():
        return run_action(request, lambda: services.end_link(link, acting_user=user, ends_on=form.cleaned_data["ends_on"],
                                                             reason=form.cleaned_data["reason"]),
                          success="联点已结束", redirect_to=("links:detail", link.pk))
    messages.error(request, "请填写有效的结束日期")
    return redirect("links:detail", pk=link.pk)

