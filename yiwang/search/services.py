"""A search is a read, but a search by ID number or phone identifies people: it is logged in the
sensitive-access log, like a reveal (yiwang.core.models.SensitiveAccess)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yiwang.core import crypto
from yiwang.core.models import SensitiveAccess
from yiwang.registry import access as registry_access

from . import selectors
from .query import Query

CHANNEL = "search"


def run_search(*, user: Any, query: Query, remote_addr: str = "") -> list[selectors.Group]:
    """The groups of results for `query`, with the looks at residents logged as the registry logs them."""
    groups = selectors.search(user=user, query=query)
    found = {g.kind: g.rows for g in groups}
    if query.key_kind:
        log_key_search(user=user, query=query, persons=found.get(selectors.PERSONS, []), cases=found.get(selectors.CASES, []),
                       remote_addr=remote_addr)
    elif selectors.PERSONS in found:
        # As the residents page does for its name filter (a department's grants in use are logged).
        registry_access.log_person_list(user=user, tag=None, channel=CHANNEL, filters={"q": query.words}, remote_addr=remote_addr)
    return groups


def log_key_search(*, user: Any, query: Query, persons: list, cases: list, remote_addr: str = "") -> None:
    """One row for the search itself, whatever it found: the kind of key and its keyed digest (so an
    auditor holding the key can tell which number was looked up; the number itself is never written).
    Then one row per resident and per case shown, so that "who looked this person up" has an answer."""
    kind = query.key_kind
    key = query.id_number or query.phones[0]

    def row(target_type: str, target_id: str, field: str) -> SensitiveAccess:
        return SensitiveAccess(user=user, target_type=target_type, target_id=target_id, field=field, channel=CHANNEL,
                               remote_addr=remote_addr)

    rows = [row("search", crypto.digest(key), kind)]
    rows += [row("registry.person", str(p.pk), f"{kind}_search") for p in persons]
    rows += [row("cases.case", str(c.pk), f"{kind}_search") for c in cases]
    with transaction.atomic():
        SensitiveAccess.objects.bulk_create(rows)
        # Persons in a sensitive group, and a department's grants in use, are logged as on the registry's pages.
        registry_access.log_person_views(user=user, persons=persons, channel=CHANNEL, remote_addr=remote_addr)
