"""Reads behind the search box: cases, residents, places and buildings the user may see that match a
query (yiwang.search.query). Each kind starts from its model's `restrict`, so the registry's rules
(need to know for departments, sensitive groups) apply here exactly as on its own pages. ID numbers
and phones are matched by their keyed digest, never by decrypting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.cases.models import Case
from yiwang.core import crypto
from yiwang.core.scope import Action, needs_to_know
from yiwang.regions.models import Level
from yiwang.registry.models import Building, Person, Place

from .query import Query

# Per kind; the rest is behind "more" (the kind's list page) or a narrower query.
LIMIT = 20

CASES, PERSONS, PLACES, BUILDINGS = "cases", "persons", "places", "buildings"


# Scopes whose residents are few enough (10³-10⁴) to look through: there a name matches anywhere in it.
# Above them (a street of 10⁵ residents, a district or a city of 10⁷) a name matches from its first
# character, through the name index (registry `person_name_prefix`): LIKE '%x%' would read every
# resident, and a trigram index (pg_trgm) cannot help the one- and two-character parts of Chinese
# names people type.
NAMES_ANYWHERE_LEVELS = frozenset({Level.COMMUNITY, Level.GRID, Level.MICRO_GRID})
# Above a street a single character (a surname) matches 10⁵ residents: a second one is asked for.
SURNAME_ALONE_LEVELS = frozenset({Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID})
# Name matches counted beyond this show as "more than"; counting them all would read them all.
COUNT_CAP = 1000


@dataclass
class Group:
    kind: str
    count: int
    rows: list = field(default_factory=list)
    # The kind's own list page, given the same text, lists exactly these rows (so "more" may go there).
    list_page_agrees: bool = False
    # The count stopped at COUNT_CAP: there are at least that many.
    capped: bool = False
    # Why nothing was searched in this group (the query is too broad for the scope).
    hint: str = ""


def _digests(values: tuple[str, ...]) -> list[str]:
    return sorted(set(crypto.digest_many(list(values))))


def _group(kind: str, queryset: QuerySet, *, list_page_agrees: bool = False, cap: int | None = None) -> Group:
    rows = list(queryset[:LIMIT])
    # A short first page is the whole answer: no count query for it.
    if len(rows) < LIMIT:
        return Group(kind=kind, count=len(rows), rows=rows, list_page_agrees=list_page_agrees)
    count = queryset.count() if cap is None else queryset.order_by()[:cap].count()
    return Group(kind=kind, count=count, rows=rows, list_page_agrees=list_page_agrees, capped=cap is not None and count >= cap)


def _scope_level(user: Any) -> str | None:
    """The level of the user's scope region; None for the whole tree (superusers) or none."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    region = getattr(user, "scope_region", None)
    return region.level if region is not None else None


def name_starts_with(words: str) -> Q:
    """Names starting with `words`, in a form each database answers from the name index: PostgreSQL's
    LIKE 'x%' uses the pattern operator class; SQLite's LIKE uses no index, the equivalent range does."""
    if connection.vendor == "sqlite" and ord(words[-1]) < 0x10FFFF:
        return Q(name__gte=words, name__lt=words[:-1] + chr(ord(words[-1]) + 1))
    return Q(name__startswith=words)


def search_cases(*, user: Any, query: Query) -> Group | None:
    """By number (prefix, as the case list finds them), address (substring) or the reporter's phone
    (exact). Cases keep no ID number, so an ID number finds none."""
    cases = Case.objects.restrict(user, Action.VIEW)
    words = query.words
    if query.phones:
        digests = _digests(query.phones)
        matched = cases.filter(phone_digest__in=digests)
    elif words:
        digests = []
        matched = cases.filter(Q(number__startswith=words) | Q(address__contains=words))
    else:
        return None
    group = _group(CASES, matched.select_related("matter", "region").order_by("-reported_at", "-id"))
    for case in group.rows:
        case.matched_by = [label for label, hit in (
            ("number", bool(words) and (case.number or "").startswith(words)),
            ("address", bool(words) and words in case.address),
            ("phone", case.phone_digest in digests),
        ) if hit]
    if words and group.count > LIMIT:
        # The case list searches numbers only: "more" goes there when no address matched.
        group.list_page_agrees = cases.filter(number__startswith=words).count() == group.count
    return group


def search_persons(*, user: Any, query: Query) -> Group | None:
    """By name, ID number or phone (exact, by keyed digest), masked on display. Names match anywhere
    (those starting with the words first) within a community or below, from the first character above."""
    persons = Person.objects.restrict(user, Action.VIEW).select_related("region").prefetch_related("tags")
    if query.id_number:
        return _group(PERSONS, persons.filter(id_number_digest=crypto.digest(query.id_number)).order_by("id"))
    if query.phones:
        return _group(PERSONS, persons.filter(phone_digest__in=_digests(query.phones)).order_by("id"))
    if not query.words:
        return None
    level = _scope_level(user)
    # A department sees only the persons its cases name (need to know): few, whatever its scope.
    if level in NAMES_ANYWHERE_LEVELS or needs_to_know(user):
        starts_first = models.Case(models.When(name__startswith=query.words, then=models.Value(0)), default=models.Value(1),
                                   output_field=models.IntegerField())
        ordered = persons.filter(name__contains=query.words).annotate(starts=starts_first).order_by("starts", "name", "id")
        # The residents page filters names the same way within the same restrict.
        return _group(PERSONS, ordered, list_page_agrees=True)
    if len(query.words) < 2 and level not in SURNAME_ALONE_LEVELS:
        return Group(kind=PERSONS, count=0, hint=_("在全区（市）范围内按姓名查找，请至少输入两个字。"))
    return _group(PERSONS, persons.filter(name_starts_with(query.words)).order_by("name", "id"), cap=COUNT_CAP)


def search_places(*, user: Any, query: Query) -> Group | None:
    if not query.words:
        return None
    places = Place.objects.restrict(user, Action.VIEW).filter(name__contains=query.words)
    return _group(PLACES, places.select_related("region").order_by("name", "id"))


def search_buildings(*, user: Any, query: Query) -> Group | None:
    """By name, or by code (prefix): staff read building codes off the door plates."""
    if not query.words:
        return None
    buildings = Building.objects.restrict(user, Action.VIEW).filter(Q(name__contains=query.words) | Q(code__startswith=query.words))
    return _group(BUILDINGS, buildings.select_related("region").order_by("name", "id"))


def search(*, user: Any, query: Query) -> list[Group]:
    """The groups that apply to this query, in the order shown; none for an unusable query."""
    if query.hint:
        return []
    groups = (search_cases(user=user, query=query), search_persons(user=user, query=query),
              search_places(user=user, query=query), search_buildings(user=user, query=query))
    return [g for g in groups if g is not None]
