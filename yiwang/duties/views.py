"""Duty list pages: the lists a user sees, a list's items, its version history, proposing a change
(by hand or from a spreadsheet), reviewing a proposal against its base, and the diff between any
two versions. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.utils.translation import gettext

from yiwang.core.scope import Action, role_allows
from yiwang.core.importing import ImportFailed, RowError
from yiwang.matters.models import Department
from yiwang.matters.services import catalogue
from yiwang.regions.models import Region

from . import importing, selectors, services
from .models import KIND_LEVELS, DutyItemRevision, DutyList, DutyListVersion, ListKind, VersionStatus

# Blank change rows on the proposal page; a button adds more in the browser.
BLANK_ROWS = 3
MAX_ROWS = 60


def _list_for(user, list_id: int) -> DutyList:
    duty_list = selectors.visible_lists(user).select_related("region", "current_version").filter(pk=list_id).first()
    if duty_list is None:
        raise Http404(gettext("清单不存在或不在您的数据范围内"))
    return duty_list


def _version_for(user, version_id: int) -> DutyListVersion:
    version = (DutyListVersion.objects.filter(duty_list__in=selectors.visible_lists(user), pk=version_id)
               .select_related("duty_list__region", "duty_list__current_version", "based_on", "proposed_by", "decided_by").first())
    if version is None:
        raise Http404(gettext("版本不存在或不在您的数据范围内"))
    return version


def error_lines(exc: Exception) -> list[str]:
    """Sentences for a refused write; each names the item and field at fault."""
    if isinstance(exc, PermissionDenied):
        return [str(exc) or "您无权执行此操作"]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


@login_required
def index(request):
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    items = DutyItemRevision.objects.filter(version=OuterRef("current_version")).order_by().values("version").annotate(n=Count("pk")).values("n")
    lists = selectors.lists_overview(request.user).annotate(item_count=Subquery(items))
    if kind:
        lists = lists.filter(kind=kind)
    if q:
        lists = lists.filter(Q(name__icontains=q) | Q(region__name__icontains=q))
    lists = list(lists)
    pending = list(DutyListVersion.objects.filter(duty_list__in=selectors.visible_lists(request.user), status=VersionStatus.PROPOSED)
                   .select_related("duty_list__region", "duty_list__current_version", "based_on", "proposed_by").order_by("-proposed_at"))
    for version in pending:
        version.may_decide = services.may_decide(request.user, version)
        version.stale = version.based_on_id != version.duty_list.current_version_id
    pending.sort(key=lambda v: not v.may_decide)
    return render(request, "duties/index.html", {
        "lists": lists, "pending": pending, "kinds": ListKind.choices, "kind": kind, "q": q,
        "can_create": _creatable_regions(request.user).exists(),
    })


@login_required
def list_detail(request, list_id: int):
    duty_list = _list_for(request.user, list_id)
    number = request.GET.get("version", "")
    version = duty_list.current_version
    if number:
        version = duty_list.versions.filter(number=number).first() if number.isdigit() else None
        if version is None:
            raise Http404(gettext("没有这个版本"))
    q = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    rows = list(selectors.revisions(version, q=q, category=category))
    return render(request, "duties/list_detail.html", {
        "duty_list": duty_list, "version": version, "rows": rows, "q": q, "category": category,
        "categories": selectors.categories(version), "is_current": version is not None and version.pk == duty_list.current_version_id,
        "total": DutyItemRevision.objects.filter(version=version).count() if version else 0,
        "can_propose": services.can_propose(request.user, duty_list),
        "pending": duty_list.versions.filter(status=VersionStatus.PROPOSED).select_related("proposed_by").order_by("-number"),
    })


@login_required
def versions(request, list_id: int):
    duty_list = _list_for(request.user, list_id)
    rows = duty_list.versions.select_related("based_on", "proposed_by", "decided_by").order_by("-number")
    return render(request, "duties/versions.html", {"duty_list": duty_list, "versions": rows,
                                                   "can_propose": services.can_propose(request.user, duty_list)})


@login_required
def version_detail(request, version_id: int):
    """A version against the one it was based on; for a proposal, the review with Approve/Reject."""
    version = _version_for(request.user, version_id)
    duty_list = version.duty_list
    stale = version.status == VersionStatus.PROPOSED and version.based_on_id != duty_list.current_version_id
    return render(request, "duties/version.html", {
        "duty_list": duty_list, "version": version, "diff": selectors.diff(version.based_on, version),
        "may_decide": services.may_decide(request.user, version), "stale": stale,
        "stale_reason": services.stale_reason(version, duty_list.current_version) if stale else "",
        "can_decide_list": services.can_decide(request.user, duty_list),
    })


@login_required
@require_POST
def decide(request, version_id: int, decision: str):
    version = _version_for(request.user, version_id)
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            services.approve_version(version, acting_user=request.user, note=note)
        elif decision == "reject":
            services.reject_version(version, acting_user=request.user, note=note)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        for line in error_lines(exc):
            messages.error(request, line)
        return redirect("duties:version", version_id=version.pk)
    if decision == "approve":
        messages.success(request, f"已批准：{version.duty_list.name}第{version.number}版现已生效")
        return redirect("duties:list", list_id=version.duty_list_id)
    messages.success(request, f"已驳回第{version.number}版")
    return redirect("duties:version", version_id=version.pk)


@login_required
def diff_page(request, list_id: int):
    duty_list = _list_for(request.user, list_id)
    all_versions = list(duty_list.versions.order_by("-number"))
    by_number = {str(v.number): v for v in all_versions}
    to_version = by_number.get(request.GET.get("to", "")) or duty_list.current_version or (all_versions[0] if all_versions else None)
    from_version = by_number.get(request.GET.get("from", ""))
    if from_version is None and to_version is not None and "from" not in request.GET:
        from_version = to_version.based_on
    diff = None
    if to_version is not None:
        if from_version is not None and from_version.number > to_version.number:
            from_version, to_version = to_version, from_version  # read forwards in time
        diff = selectors.diff(from_version, to_version)
    return render(request, "duties/diff.html", {
        "duty_list": duty_list, "versions": all_versions, "diff": diff, "from_version": from_version, "to_version": to_version,
        "can_propose": services.can_propose(request.user, duty_list),
    })


# Proposing ---------------------------------------------------------------------------------------

FORM_FIELDS = ("op", "key", "title", "category", "owner_unit", "department", "legal_basis", "matter_types", "note", "full")


def _codes(matter_types) -> str:
    """Codes as people type them: bare where only one kind uses the code, kind-code otherwise."""
    ambiguous = _ambiguous_codes()
    return " ".join(m.service_code if m.code in ambiguous else m.code for m in matter_types)


def _ambiguous_codes() -> set[str]:
    return {code for code, matters in catalogue().by_code.items() if len(matters) > 1}


def _prefilled_rows(request, version) -> list[dict]:
    """Rows asked for by the list page's per-item links: ?change=KEY and ?remove=KEY."""
    rows = []
    keys = [("change", k) for k in request.GET.getlist("change")] + [("remove", k) for k in request.GET.getlist("remove")]
    if keys and version is not None:
        current = {r.item.key: r for r in selectors.revisions(version).filter(item__key__in=[k for _, k in keys])}
        for op, key in keys:
            revision = current.get(key)
            if revision is None:
                continue
            rows.append({"op": op, "key": key, "title": revision.title, "category": revision.category,
                         "owner_unit": revision.owner_unit, "department": str(revision.department_id or ""),
                         "legal_basis": revision.legal_basis, "matter_types": _codes(revision.matter_types.all()),
                         "note": revision.note, "full": "1" if op == "change" else ""})
    return rows


def _posted_rows(post) -> list[dict]:
    count = min(int(post.get("rows") or 0) if str(post.get("rows") or "").isdigit() else 0, MAX_ROWS)
    rows = []
    for i in range(count):
        row = {name: post.get(f"row-{i}-{name}", "").strip() if name not in ("legal_basis", "note") else post.get(f"row-{i}-{name}", "")
               for name in FORM_FIELDS}
        rows.append(row)
    return rows


def _changes_from(rows: list[dict]) -> list[dict]:
    """Service changes from form rows. A row typed from scratch as "修改" changes only the fields
    filled in; a row prefilled from the list (full=1) says the whole new content."""
    changes = []
    for row in rows:
        filled = {name: value for name, value in row.items() if name not in ("op", "full") and str(value).strip()}
        if not row["op"] and not filled:
            continue  # an unused blank row
        change = {"op": row["op"], "key": row["key"]}
        if row["op"] == services.REMOVE:
            pass
        elif row["op"] == services.CHANGE and row.get("full") != "1":
            change |= {name: value for name, value in filled.items() if name != "key"}
        else:
            change |= {name: row[name] for name in services.FIELDS}
        changes.append(change)
    return changes


@login_required
def propose(request, list_id: int):
    duty_list = _list_for(request.user, list_id)
    if not services.can_propose(request.user, duty_list):
        raise PermissionDenied(gettext("您无权调整此清单"))
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        rows = _posted_rows(request.POST)
        reason = request.POST.get("reason", "")
        try:
            version = services.propose_change(duty_list, acting_user=request.user, reason=reason, changes=_changes_from(rows))
        except (ValidationError, PermissionDenied) as exc:
            errors = error_lines(exc)
        else:
            messages.success(request, f"已提出调整（第{version.number}版），等待上级审批")
            return redirect("duties:version", version_id=version.pk)
    else:
        rows = _prefilled_rows(request, duty_list.current_version)
    rows += [dict.fromkeys(FORM_FIELDS, "") for _ in range(max(BLANK_ROWS - len(rows), 1 if rows else 0))]
    return render(request, "duties/propose.html", {
        "duty_list": duty_list, "rows": rows, "reason": reason, "errors": errors, "ops": services.OPS,
        "departments": Department.objects.filter(active=True).order_by("kind", "code"),
        "matters": sorted(catalogue().by_key.values(), key=lambda m: (m.kind, m.code)),
        "ambiguous": _ambiguous_codes(),
    }, status=400 if errors else 200)


@login_required
def import_page(request, list_id: int):
    """Upload the whole list as a spreadsheet; the differences become a proposal."""
    duty_list = _list_for(request.user, list_id)
    if not services.can_propose(request.user, duty_list):
        raise PermissionDenied(gettext("您无权调整此清单"))
    context = {"duty_list": duty_list, "columns": importing.COLUMNS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        context["reason"] = request.POST.get("reason", "")
        if upload is None:
            context["errors"] = [RowError(None, "文件", "请选择要导入的文件")]
        else:
            context["filename"] = upload.name
            try:
                version = importing.import_proposal(duty_list, source=upload, acting_user=request.user, reason=context["reason"],
                                                    encoding=request.POST.get("encoding") or None)
            except ImportFailed as failed:
                context["errors"] = failed.errors
            except (ValidationError, PermissionDenied) as exc:
                context["errors"] = [RowError(None, "", line) for line in error_lines(exc)]
            else:
                messages.success(request, f"已按文件提出调整（第{version.number}版），等待上级审批")
                return redirect("duties:version", version_id=version.pk)
    return render(request, "duties/import.html", context, status=400 if context.get("errors") else 200)


def _creatable_regions(user):
    levels = {level for levels in KIND_LEVELS.values() for level in levels}
    if not role_allows(user, Action.CHANGE):
        return Region.objects.none()
    return Region.objects.restrict(user, Action.CHANGE).filter(level__in=levels).order_by("path")


@login_required
def create_page(request):
    """A new list for a unit in the user's scope, from a spreadsheet; its first version goes to
    the level above for approval like any change."""
    regions = _creatable_regions(request.user)
    if not regions.exists():
        raise PermissionDenied(gettext("您无权设立清单"))
    context = {"regions": regions, "kinds": ListKind.choices, "columns": importing.COLUMNS, "posted": request.POST}
    if request.method == "POST":
        upload = request.FILES.get("file")
        region = regions.filter(pk=request.POST.get("region") or 0).first() if (request.POST.get("region") or "").isdigit() else None
        if upload is None or region is None:
            context["errors"] = [RowError(None, "文件" if upload is None else "区域", "请选择区域、清单类型和文件")]
        else:
            context["filename"] = upload.name
            try:
                duty_list = importing.import_list(region=region, kind=request.POST.get("kind", ""), name=request.POST.get("name", ""),
                                                  source=upload, acting_user=request.user, reason=request.POST.get("reason", ""))
            except ImportFailed as failed:
                context["errors"] = failed.errors
            except (ValidationError, PermissionDenied) as exc:
                context["errors"] = [RowError(None, "", line) for line in error_lines(exc)]
            else:
                first = duty_list.versions.get(number=1)
                messages.success(request, f"已设立{duty_list.name}，第1版等待上级审批")
                return redirect(reverse("duties:version", kwargs={"version_id": first.pk}))
    return render(request, "duties/create.html", context, status=400 if context.get("errors") else 200)
