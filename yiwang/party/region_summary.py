"""The party's figure on the map (party members under a unit), declared to `regions.selectors` at start-up."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from yiwang.regions.selectors import add_figure

from .models import PartyMember


def party_members(path: str) -> list[tuple[int, int]]:
    # Party members count where their organisation is, the same rule their scope follows.
    members = PartyMember.objects.filter(organization__region__path__startswith=path)
    return list(members.values("organization__region_id").annotate(n=Count("id")).values_list("organization__region_id", "n"))


add_figure("party_members", _("党员"), party_members)
