"""Reads of micro-wishes: what each kind of user may see, and the counts.

Staff see wishes through `in_scope()`: `restrict()`, then the registry's person rules for the
wisher. Residents and claimants see only what is theirs to see: their own wishes, the published
wishes of their community (or the communities where they may claim), and the wishes they claimed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yiwang.core.scope import Action, Role
from yiwang.regions.models import Level, Region, ancestor_paths
from yiwang.regions.selectors import community_of

from .models import Wish, WishStatus
from .claimants import Claimant, claimant_identities

DONE_STATUSES = (WishStatus.FULFILLED, WishStatus.CONFIRMED)
# What neighbours and claimants may see of a wish once the community has published it.
PUBLIC_STATUSES = (WishStatus.PUBLISHED, WishStatus.CLAIMED, *DONE_STATUSES)


def counts_by_claimant(*, region_path: str, since: datetime, until: datetime) -> dict[tuple[str, int], int]:
    """Wishes fulfilled (fulfilment recorded with photos, confirmed or awaiting confirmation) in
    [since, until) under `region_path`, per claimant. Keys: ("party_member", person id),
    ("volunteer", person id) — both registry.Person ids — and ("alliance_unit", matters.Department id)."""
    rows = (Wish.objects.filter(region__path__startswith=region_path, status__in=DONE_STATUSES, fulfilled_at__gte=since, fulfilled_at__lt=until)
            .order_by().values("claimant_kind", "claimant_person", "claimant_unit").annotate(n=Count("id")))
    counts: dict[tuple[str, int], int] = {}
    for row in rows:
        key = (row["claimant_kind"], row["claimant_unit"] or row["claimant_person"])
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def in_scope(user, action: Action = Action.VIEW) -> QuerySet:
    """Wishes in the user's staff scope: the region rule, then the registry's person rules for the
    wisher (a wish is a row about its person, visible exactly when the person is: need to know for
    departments, sensitive groups only with the permission; registry.models.PersonLinkedQuerySet)."""
    from yiwang.registry import access
    from yiwang.registry.models import Person

    queryset = Wish.objects.restrict(user, action)
    if not access.person_rules_apply(user):
        return queryset
    return queryset.filter(person__in=Person.objects.restrict(user, action).values("pk"))


def staff_wishes(user, action: Action = Action.VIEW) -> QuerySet:
    return in_scope(user, action).select_related("region", "person", "claimant_person", "claimant_unit")


def own_wishes(user) -> QuerySet:
    person = getattr(user, "person", None) if user is not None and user.is_authenticated else None
    if person is None:
        return Wish.objects.none()
    return Wish.objects.filter(person=person).select_related("region", "claimant_person", "claimant_unit").order_by("-posted_at", "-id")


def _under_any(paths) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(region__path__startswith=path)
    return condition


def claimable(identities: list[Claimant]) -> QuerySet:
    """Published wishes inside the claimants' areas whose claim deadline has not passed, oldest
    first (they have waited longest)."""
    areas = {a for c in identities for a in c.areas}
    if not areas:
        return Wish.objects.none()
    open_to_claim = Q(deadline__isnull=True) | Q(deadline__gte=timezone.localdate())
    return (Wish.objects.filter(_under_any(areas), open_to_claim, status=WishStatus.PUBLISHED)
            .select_related("region", "person").order_by("deadline", "published_at", "id"))


def claimed_by(identities: list[Claimant]) -> QuerySet:
    condition = Q(pk__in=[])
    for claimant in identities:
        if claimant.unit is not None:
            condition |= Q(claimant_kind=claimant.kind, claimant_unit=claimant.unit)
        else:
            condition |= Q(claimant_kind=claimant.kind, claimant_person=claimant.person)
    return (Wish.objects.filter(condition).exclude(claimant_kind="")
            .select_related("region", "person", "claimant_person", "claimant_unit").order_by("-claimed_at", "-id"))


def community_wishes(user) -> QuerySet:
    """Published and recently fulfilled wishes of the community where the resident lives."""
    person = getattr(user, "person", None) if user is not None and user.is_authenticated else None
    if person is None:
        return Wish.objects.none()
    community = community_of(person.region)
    path = community.path if community else person.region.path
    return (Wish.objects.filter(region__path__startswith=path, status__in=PUBLIC_STATUSES)
            .exclude(person=person).select_related("region", "person", "claimant_person", "claimant_unit").order_by("-published_at", "-id"))


def visible_to(user) -> QuerySet:
    """Every wish the user may open: in their staff scope, their own, published in their community
    or where they may claim, claimed by them."""
    if user is None or not user.is_authenticated:
        return Wish.objects.none()
    identities = claimant_identities(user)
    ids = set(in_scope(user).values_list("pk", flat=True)) if user.role != Role.RESIDENT or user.is_superuser else set()
    ids |= set(own_wishes(user).values_list("pk", flat=True))
    # Published-and-later wishes where the user may claim (so a late click learns it was taken)
    # and in the community where they live; never those waiting for review, rejected or withdrawn.
    areas = {a for c in identities for a in c.areas}
    if areas:
        ids |= set(Wish.objects.filter(_under_any(areas), status__in=PUBLIC_STATUSES).values_list("pk", flat=True))
    ids |= set(claimed_by(identities).values_list("pk", flat=True))
    ids |= set(community_wishes(user).values_list("pk", flat=True))
    return Wish.objects.filter(pk__in=ids)


def sees_details(user, wish: Wish) -> bool:
    """The wisher's full name and address: staff in scope, the wisher and the claimant only."""
    if user is None or not user.is_authenticated:
        return False
    if in_scope(user).filter(pk=wish.pk).exists() or getattr(user, "person_id", None) == wish.person_id:
        return True
    return claimed_by(claimant_identities(user)).filter(pk=wish.pk).exists()


STATUS_COLUMNS = [s.value for s in WishStatus]


def counts_by_community(wishes: QuerySet) -> list[dict]:
    """Per community: wishes posted and how many are in each status, plus claimed-ever
    (claimed, fulfilled or confirmed)."""
    rows = wishes.order_by().values("region__path", "status").annotate(n=Count("id"))
    paths = {row["region__path"] for row in rows}
    communities = {r.path: r for r in Region.objects.filter(level=Level.COMMUNITY, path__in={p for path in paths for p in ancestor_paths(path)})}
    totals: dict[str, dict] = {}
    for row in rows:
        community_path = next((p for p in ancestor_paths(row["region__path"]) if p in communities), None)
        if community_path is None:
            continue
        entry = totals.setdefault(community_path, {"community": communities[community_path], "total": 0, **{s: 0 for s in STATUS_COLUMNS}})
        entry[row["status"]] += row["n"]
        entry["total"] += row["n"]
    result = sorted(totals.values(), key=lambda e: e["community"].path)
    for entry in result:
        entry["claimed_ever"] = entry[WishStatus.CLAIMED] + entry[WishStatus.FULFILLED] + entry[WishStatus.CONFIRMED]
        entry["done"] = entry[WishStatus.FULFILLED] + entry[WishStatus.CONFIRMED]
    return result


def counts_by_claimant_rows(wishes: QuerySet) -> list[dict]:
    """Per claimant, with names: wishes now claimed, fulfilled awaiting confirmation, confirmed."""
    rows = (wishes.exclude(claimant_kind="").order_by()
            .values("claimant_kind", "claimant_person", "claimant_person__name", "claimant_unit", "claimant_unit__name", "status")
            .annotate(n=Count("id")))
    table: dict[tuple, dict] = defaultdict(dict)
    for row in rows:
        key = (row["claimant_kind"], row["claimant_unit"] or row["claimant_person"])
        entry = table[key]
        if not entry:
            entry.update(kind=row["claimant_kind"], id=key[1], name=row["claimant_unit__name"] or row["claimant_person__name"],
                         claimed=0, fulfilled=0, confirmed=0)
        entry[row["status"]] = entry.get(row["status"], 0) + row["n"]
    from .models import ClaimantKind

    result = []
    for entry in table.values():
        entry["kind_label"] = ClaimantKind(entry["kind"]).label
        entry["total"] = entry["claimed"] + entry["fulfilled"] + entry["confirmed"]
        result.append(entry)
    return sorted(result, key=lambda e: (-e["fulfilled"] - e["confirmed"], -e["total"], e["name"]))
