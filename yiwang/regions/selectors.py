"""Read-side queries over the region tree: figures per child unit and the people on duty."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Region

FIGURES = {
    "households": _("户数"),
    "persons": _("实有人口"),
    "key_persons": _("重点人群"),
    "party_members": _("党员"),
}


@dataclass
class Figures:
    households: int = 0
    persons: int = 0
    key_persons: int = 0
    party_members: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _child_of(path: str, depth: int) -> str:
    """The code of the ancestor at `depth` on a region path ("/a/b/c/" at depth 1 -> "b")."""
    parts = path.strip("/").split("/")
    return parts[depth] if len(parts) > depth else ""


def figures_by_child(parent: Region) -> dict[str, Figures]:
    """Figures for each child of `parent`, keyed by child code.

    Counts are grouped by the owning leaf region in SQL and folded up to the child level in
    Python: one grouped query per figure instead of one query per child."""
    from yiwang.party.models import PartyMember
    from yiwang.registry.models import Household, Person, PersonTag

    paths = dict(Region.objects.filter(path__startswith=parent.path).values_list("id", "path"))
    child_depth = parent.depth + 1
    result: dict[str, Figures] = defaultdict(Figures)
    for child in Region.objects.filter(parent=parent).values_list("code", flat=True):
        result[child] = Figures()

    def fold(rows, figure: str) -> None:
        for region_id, n in rows:
            code = _child_of(paths.get(region_id, ""), child_depth)
            if code in result:
                setattr(result[code], figure, getattr(result[code], figure) + n)

    under = {"region__path__startswith": parent.path}
    fold(Household.objects.filter(**under).values("region_id").annotate(n=Count("id")).values_list("region_id", "n"), "households")
    fold(Person.objects.filter(**under).values("region_id").annotate(n=Count("id")).values_list("region_id", "n"), "persons")
    fold(
        PersonTag.objects.filter(person__region__path__startswith=parent.path)
        .values("person__region_id").annotate(n=Count("person_id", distinct=True)).values_list("person__region_id", "n"),
        "key_persons",
    )
    # Party members count where their organisation is, the same rule their scope follows.
    fold(
        PartyMember.objects.filter(organization__region__path__startswith=parent.path)
        .values("organization__region_id").annotate(n=Count("id")).values_list("organization__region_id", "n"),
        "party_members",
    )
    return dict(result)


def figures_for(region: Region) -> Figures:
    from yiwang.party.models import PartyMember
    from yiwang.registry.models import Household, Person, PersonTag

    under = {"region__path__startswith": region.path}
    return Figures(
        households=Household.objects.filter(**under).count(),
        persons=Person.objects.filter(**under).count(),
        key_persons=PersonTag.objects.filter(person__region__path__startswith=region.path).values("person_id").distinct().count(),
        party_members=PartyMember.objects.filter(organization__region__path__startswith=region.path).count(),
    )


def on_duty(region: Region) -> list[dict]:
    """Who answers for this unit: current assignments to it, and roster shifts running now."""
    from yiwang.forces.models import Assignment, DutyShift

    today = timezone.localdate()
    now = timezone.now()
    people = [
        {"name": a.member.name, "role": a.get_role_display(), "kind": "assignment"}
        for a in Assignment.objects.filter(grid=region, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("member").order_by("role", "member__name")
    ]
    people += [
        {"name": s.member.name, "role": s.member.get_role_display(), "kind": "shift",
         "until": timezone.localtime(s.ends_at).strftime("%H:%M")}
        for s in DutyShift.objects.filter(region=region, starts_at__lte=now, ends_at__gt=now).select_related("member")
    ]
    return people
