"""Pages of micro-wishes.

Resident-facing (`wishes:public`, phone first; where residents land after logging in): post a
wish, my wishes with their status (withdraw before claim, confirm a fulfilment), the published
wishes of my community; party members, volunteers and alliance-unit staff see claim buttons,
the wishes they claimed, and record the fulfilment with photos there.

Staff (`wishes:index`, login, scoped): the review queue, published, claimed, fulfilled and done
lists, a wish's page with review, dispatch to a claimant, fulfilment and confirmation for a
wisher without an account; posting for a named person; counts by community and by claimant.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action, staff_required
from yiwang.core.params import date_param, int_param
from yiwang.core.scope import Action
from yiwang.forces.models import ForceMember, ForceRole
from yiwang.matters.models import Department
from yiwang.party.models import PartyMember
from yiwang.regions.selectors import community_of
from yiwang.registry.models import Person

from . import claimants, forms, selectors, services
from .models import Wish, WishPhoto, WishStatus

PAGE_SIZE = 50
TABS = [
    ("review", gettext_lazy("待审核"), [WishStatus.SUBMITTED]),
    ("published", gettext_lazy("待认领"), [WishStatus.PUBLISHED]),
    ("claimed", gettext_lazy("已认领"), [WishStatus.CLAIMED]),
    ("fulfilled", gettext_lazy("待确认"), [WishStatus.FULFILLED]),
    ("done", gettext_lazy("已确认"), [WishStatus.CONFIRMED]),
    ("closed", gettext_lazy("未通过/撤回"), [WishStatus.REJECTED, WishStatus.WITHDRAWN]),
]


# Resident-facing ---------------------------------------------------------------------------------

def _public_context(request, **extra) -> dict:
    user = request.user
    identities = claimants.claimant_identities(user)
    person = getattr(user, "person", None) if user.is_authenticated else None
    claimed = list(selectors.claimed_by(identities).prefetch_related("photos")[:50])
    return {
        "person": person,
        "community": community_of(person.region) if person is not None else None,
        "identities": identities,
        "own": list(selectors.own_wishes(user).prefetch_related("photos")[:50]),
        "neighbours": list(selectors.community_wishes(user)[:50]),
        "claimable": list(selectors.claimable(identities).exclude(person=person)[:50]) if person is not None else
        list(selectors.claimable(identities)[:50]),
        "claimed": claimed,
        "today": timezone.localdate(),
        "wish_form": extra.pop("wish_form", None) or forms.WishForm(),
        "fulfil_form": forms.FulfilForm(),
        **extra,
    }


@never_cache
def public(request):
    """/wishes/public/: a resident's wishes and their community's; claimants claim here."""
    return render(request, "wishes/public.html", _public_context(request))


@login_required
@require_POST
def public_post(request):
    form = forms.WishForm(request.POST)
    if form.is_valid():
        try:
            services.post_wish(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("心愿已提交，社区审核后会发布。"))
            return redirect("wishes:public")
    return render(request, "wishes/public.html", _public_context(request, wish_form=form), status=400)


def _visible_or_404(user, pk: int) -> Wish:
    wish = selectors.visible_to(user).filter(pk=pk).first()
    if wish is None:
        raise Http404(_("没有这个心愿"))
    return wish


PUBLIC_ACTIONS = {"claim", "release", "fulfil", "confirm", "withdraw"}
DONE_MESSAGES = {
    "claim": gettext_lazy("认领成功，请尽快联系社区和心愿人，帮助圆梦。"), "release": gettext_lazy("已退回，心愿重新等待认领。"),
    "fulfil": gettext_lazy("圆梦情况已登记，等待心愿人确认。"), "confirm": gettext_lazy("已确认心愿完成，感谢您的反馈。"), "withdraw": gettext_lazy("心愿已撤回。"),
}


def _run(request, wish: Wish, action: str, *, redirect_to):
    """One action from a form post; the outcome goes into a message, then back to `redirect_to`."""
    user = request.user

    def call():
        if action == "claim":
            services.claim_wish(wish, acting_user=user, kind=request.POST.get("kind") or None)
        elif action == "release":
            services.release_wish(wish, acting_user=user, note=request.POST.get("note", ""))
        elif action == "fulfil":
            form = forms.FulfilForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
            services.fulfil_wish(wish, acting_user=user, note=form.cleaned_data["note"], photos=form.cleaned_data["photos"])
        elif action == "confirm":
            services.confirm_wish(wish, acting_user=user, feedback=request.POST.get("feedback", ""))
        elif action == "withdraw":
            services.withdraw_wish(wish, acting_user=user)

    return run_action(request, call, success=DONE_MESSAGES[action], explain=forms.describe_error, denied=_refusal, redirect_to=redirect_to)


def _refusal(exc: PermissionDenied) -> str:
    return str(exc) or _("您不能进行此操作")


@login_required
@require_POST
def public_action(request, pk: int, action: str):
    if action not in PUBLIC_ACTIONS:
        raise Http404(_("没有这项操作"))
    return _run(request, _visible_or_404(request.user, pk), action, redirect_to=reverse("wishes:public") + f"#wish-{pk}")


def photo(request, pk: int):
    """A fulfilment photo: staff in scope, the wisher and the claimant only."""
    found = WishPhoto.objects.select_related("wish").filter(pk=pk).first()
    if found is None or not selectors.sees_details(request.user, found.wish):
        raise Http404(_("照片不存在"))
    response = FileResponse(found.image.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Staff -------------------------------------------------------------------------------------------

@staff_required
def index(request):
    """/wishes/: the review queue and every stage, in scope, with the counts."""
    wishes = selectors.staff_wishes(request.user)
    tab = request.GET.get("tab", "review")
    statuses = next((s for key, _label, s in TABS if key == tab), None)
    if statuses is None:
        tab, statuses = "review", TABS[0][2]
    by_status = dict(wishes.order_by().values_list("status").annotate(n=Count("id")))
    tabs = [{"key": key, "label": label, "n": sum(by_status.get(s, 0) for s in st)} for key, label, st in TABS]
    order = ["published_at", "id"] if tab == "published" else ["posted_at", "id"] if tab == "review" else ["-posted_at", "-id"]
    page = Paginator(wishes.filter(status__in=statuses).order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    query = (request.GET.get("q") or "").strip()
    found_persons = []
    if query:
        found_persons = list(Person.objects.restrict(request.user, Action.CHANGE).filter(name__contains=query).select_related("region")[:20])
    return render(request, "wishes/index.html", {
        "tab": tab, "tabs": tabs, "page": page, "query": query, "found_persons": found_persons,
        "by_community": selectors.counts_by_community(wishes), "today": timezone.localdate(),
    })


@staff_required
def new(request):
    """/wishes/new/?person=<id>: post a wish for a named person in scope."""
    person = Person.objects.restrict(request.user, Action.CHANGE).filter(pk=int_param(request.GET.get("person") or request.POST.get("person"))).first()
    if person is None:
        messages.error(request, _("请先在微心愿首页按姓名查找心愿人"))
        return redirect("wishes:index")
    form = forms.WishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wish = services.post_wish(acting_user=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已代 %(name)s 提交心愿。") % {"name": person.name})
            return redirect("wishes:detail", pk=wish.pk)
    return render(request, "wishes/new.html", {"form": form, "person": person}, status=400 if request.method == "POST" else 200)


def _dispatch_choices(wish: Wish) -> dict:
    """Who staff may dispatch the wish to: alliance units and the party members and volunteers of
    the wish's community (a short list, by name)."""
    community = community_of(wish.region)
    path = community.path if community else wish.region.path
    members = PartyMember.objects.filter(person__region__path__startswith=path).select_related("person").order_by("person__name")[:200]
    volunteers = (ForceMember.objects.filter(role=ForceRole.VOLUNTEER, active=True, person__isnull=False)
                  .filter(person__region__path__startswith=path).select_related("person").order_by("name")[:100])
    persons = {m.person.pk: f"{m.person.name}（{_('党员')}）" for m in members}
    for v in volunteers:
        persons.setdefault(v.person.pk, f"{v.person.name}（{_('志愿者')}）")
    units = Department.objects.filter(is_alliance_unit=True, active=True).order_by("name")
    return {"dispatch_persons": sorted(persons.items(), key=lambda kv: kv[1]), "dispatch_units": units}


def _staff_wish_or_404(user, pk: int) -> Wish:
    """A wish in the user's staff scope, the registry's person rules included (selectors.in_scope)."""
    wish = selectors.in_scope(user).filter(pk=pk).first()
    if wish is None:
        raise Http404(_("没有这个心愿"))
    return wish


@staff_required
def detail(request, pk: int):
    wish = _staff_wish_or_404(request.user, pk)
    can_change = selectors.in_scope(request.user, Action.CHANGE).filter(pk=pk).exists()
    return render(request, "wishes/detail.html", {
        "wish": wish, "events": wish.events.select_related("actor"), "photos": wish.photos.all(), "can_change": can_change,
        "can_review": can_change and (request.user.is_superuser or request.user.role in services.REVIEW_ROLES),
        "wisher_has_account": services.person_has_account(wish.person),
        "approve_form": forms.ApproveForm(), "reject_form": forms.RejectForm(), "fulfil_form": forms.FulfilForm(),
        "release_form": forms.ReleaseForm(), "confirm_form": forms.ConfirmForm(), "today": timezone.localdate(),
        **(_dispatch_choices(wish) if can_change and wish.status == WishStatus.PUBLISHED else {}),
    })


STAFF_ACTIONS = {"approve", "reject", "dispatch", "release", "fulfil", "confirm", "withdraw"}


@staff_required
@require_POST
def act(request, pk: int, action: str):
    """approve, reject, dispatch (claim for a claimant), release, fulfil, confirm, withdraw."""
    if action not in STAFF_ACTIONS:
        raise Http404(_("没有这项操作"))
    wish = _staff_wish_or_404(request.user, pk)
    if action in ("approve", "reject", "dispatch"):
        try:
            if action == "approve":
                form = forms.ApproveForm(request.POST)
                if not form.is_valid():
                    raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
                services.approve_wish(wish, acting_user=request.user, deadline=form.cleaned_data["deadline"], note=form.cleaned_data["note"])
                messages.success(request, _("已审核通过并发布。"))
            elif action == "reject":
                services.reject_wish(wish, acting_user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("已标记为不通过。"))
            else:
                unit_pk, person_pk = int_param(request.POST.get("unit")), int_param(request.POST.get("person"))
                unit = Department.objects.filter(pk=unit_pk).first() if unit_pk else None
                person = Person.objects.restrict(request.user).filter(pk=person_pk).first() if person_pk and unit is None else None
                if unit is None and person is None:
                    # Never fall back to the staff member claiming as themselves.
                    raise ValidationError({"claimant": "请选择认领的党员、志愿者或共建单位"})
                services.claim_wish(wish, acting_user=request.user, unit=unit, person=person)
                messages.success(request, _("已派单给认领方。"))
        except ValidationError as exc:
            messages.error(request, forms.describe_error(exc))
        except PermissionDenied as exc:
            messages.error(request, _refusal(exc))
    else:
        return _run(request, wish, action, redirect_to=("wishes:detail", pk))
    return redirect("wishes:detail", pk=pk)


@staff_required
def counts(request):
    """/wishes/counts/: by community and by claimant, for a period of posting dates."""
    wishes = selectors.staff_wishes(request.user)
    since, until = date_param(request.GET.get("since")), date_param(request.GET.get("until"))
    if since:
        wishes = wishes.filter(posted_at__date__gte=since)
    if until:
        wishes = wishes.filter(posted_at__date__lte=until)
    return render(request, "wishes/counts.html", {
        "by_community": selectors.counts_by_community(wishes), "by_claimant": selectors.counts_by_claimant_rows(wishes)[:200],
        "since": since, "until": until,
    })

