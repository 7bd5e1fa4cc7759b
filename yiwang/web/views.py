"""Pages. Thin: every query starts from `.restrict(user, action)`; writes go through services."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.templatetags.static import static
from django.utils.translation import get_language, gettext

from yiwang.accounts.addresses import client_address
from yiwang.core.pages import staff_required
from yiwang.core.scope import Action, Role, get_in_scope, role_allows
from yiwang.party import selectors as party_selectors
from yiwang.regions import selectors as region_selectors
from yiwang.regions.models import Region
from yiwang.registry import access as registry_access
from yiwang.registry import services as registry_services
from yiwang.registry.models import SENSITIVE_GROUPS, KeyGroup, Person

from .forms import ThrottledAuthenticationForm


def healthz(request):
    return JsonResponse({"status": "ok", "database": connection.vendor, "regions": Region.objects.count()})


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        from yiwang.accounts import twofactor

        user = form.get_user()
        # The password alone logs in nobody who is asked for a second factor: the next step does.
        if twofactor.asks_second_factor(user):
            twofactor.begin_pending(self.request, user, next_url=self.get_success_url())
            return redirect("accounts:verify" if twofactor.enrolled(user) else "accounts:enrol")
        return super().form_valid(form)


def _home_region(user) -> Region | None:
    if user.scope_region_id:
        return user.scope_region
    if user.is_superuser:
        return Region.objects.filter(parent__isnull=True).order_by("path").first()
    return None


@login_required
def home(request):
    # Residents have no map; their start page is the community's list of wishes they can post or follow.
    if request.user.role == Role.RESIDENT:
        return redirect("wishes:public")
    return redirect("map")


@staff_required
def map_page(request, code: str | None = None):
    region = get_in_scope(request.user, Region, code=code) if code else _home_region(request.user)
    if region is None:
        raise Http404(gettext("您的数据范围内没有区域"))
    return render(request, "web/map.html", {"region": region, "figures": region_selectors.FIGURES})


@login_required
def region_panel(request, code: str):
    """The side panel of the map (htmx fragment): a unit's figures and its people on duty."""
    region = get_in_scope(request.user, Region, code=code)
    figures = region_selectors.figures_for(region)
    return render(request, "web/_region_panel.html", {
        "region": region,
        "figures": [(key, label, getattr(figures, key)) for key, label in region_selectors.FIGURES.items()],
        "on_duty": region_selectors.on_duty(region),
        "children": Region.objects.restrict(request.user).filter(parent=region).count(),
    })


@login_required
def persons_page(request):
    persons = Person.objects.restrict(request.user).select_related("region").prefetch_related("tags")
    tag = request.GET.get("tag", "")
    query = request.GET.get("q", "").strip()
    registry_access.check_tag_filter(request.user, tag)
    registry_access.log_person_list(user=request.user, tag=tag, channel="page", filters={"tag": tag, "q": query},
                                    remote_addr=client_address(request))
    if tag:
        persons = persons.filter(tags__tag=tag)
    if query:
        persons = persons.filter(name__contains=query)
    page = Paginator(persons.order_by("id"), 50).get_page(request.GET.get("page"))
    return render(request, "web/persons.html", {
        "page": page, "tag": tag, "q": query,
        # A filter the user could not use is not offered.
        "key_groups": [c for c in KeyGroup.choices if registry_access.may_see_sensitive_groups(request.user) or c[0] not in SENSITIVE_GROUPS],
        "can_reveal": role_allows(request.user, Action.REVEAL),
        "can_export": role_allows(request.user, Action.EXPORT),
    })


@login_required
@require_POST
def reveal_person(request, person_id: int):
    person = get_in_scope(request.user, Person, pk=person_id)
    values = registry_services.reveal_person(person=person, acting_user=request.user, channel="page",
                                             remote_addr=client_address(request))
    return render(request, "web/_revealed.html", {"values": values})


@login_required
def registry_export(request, kind: str):
    """Any registry list as Excel, restricted to what the user may export, personal data masked:
    queued as a background export (yiwang.exports), since a district's residents take minutes."""
    from yiwang.exports.views import start_export

    return start_export(request, "registry", {"kind": kind}, back="persons")


@login_required
def registry_import(request):
    """Upload a CSV or Excel file; either everything is imported or nothing, with every error listed."""
    from yiwang.registry.exports import EXPORTS
    from yiwang.registry.importing import IMPORTERS, ImportFailed, RowError

    if not role_allows(request.user, Action.CHANGE):
        raise PermissionDenied
    context = {"kinds": {kind: EXPORTS[kind][2] for kind in IMPORTERS}, "kind": request.POST.get("kind", "persons")}
    if request.method == "POST":
        upload = request.FILES.get("file")
        run = IMPORTERS.get(context["kind"])
        if run is None or upload is None:
            context["errors"] = [RowError(None, "file" if upload is None else "kind", "请选择导入类型和文件")]
        else:
            try:
                context["report"] = run(source=upload.read(), encoding=request.POST.get("encoding") or None,
                                        acting_user=request.user, progress=False)
            except ImportFailed as failed:
                context["errors"] = failed.errors
            context["filename"] = upload.name
    return render(request, "web/registry_import.html", context)


@login_required
def coverage_page(request):
    rows = party_selectors.grid_coverage(regions=Region.objects.restrict(request.user))
    return render(request, "web/coverage.html", {"rows": rows, "summary": party_selectors.coverage_summary(rows)})


SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "web" / "sw.js"


def service_worker(request):
    """/sw.js: the service worker, from the site's root so that its scope is every page (a worker
    under /static/ could only serve /static/). It keeps the offline forms' pages (web/offline.js)."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on each visit; let them see a new file at once.
    response["Cache-Control"] = "no-cache"
    return response


def web_manifest(request):
    """/manifest.webmanifest: lets a phone install the site as an app (its service worker is /sw.js)."""
    icons = [{"src": static(f"web/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
             for size in (192, 512)]
    manifest = {
        "name": gettext("Yiwang"), "short_name": gettext("Yiwang"), "lang": get_language(),
        "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#f5f6f8", "theme_color": "#b3261e", "icons": icons,
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
