"""The registry's figures on the map (households, residents, key persons under a unit), declared to
`regions.selectors` at start-up."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from yiwang.regions.selectors import add_figure

from .models import Household, Person, PersonTag


def _grouped(queryset, owner: str, counted: str = "id", distinct: bool = False) -> list[tuple[int, int]]:
    return list(queryset.values(owner).annotate(n=Count(counted, distinct=distinct)).values_list(owner, "n"))


def households(path: str) -> list[tuple[int, int]]:
    return _grouped(Household.objects.filter(region__path__startswith=path), "region_id")


def persons(path: str) -> list[tuple[int, int]]:
    return _grouped(Person.objects.filter(region__path__startswith=path), "region_id")


def key_persons(path: str) -> list[tuple[int, int]]:
    # A person in several key groups counts once.
    return _grouped(PersonTag.objects.filter(person__region__path__startswith=path), "person__region_id", counted="person_id", distinct=True)


add_figure("households", _("户数"), households)
add_figure("persons", _("实有人口"), persons)
add_figure("key_persons", _("重点人群"), key_persons)
