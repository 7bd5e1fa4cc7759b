"""Need to know through cases (see `registry.access`): the cases through which a department knows
persons, and the persons such a case names by its reporter's phone. Registered with
`registry.access.add_need_to_know` in `CasesConfig.ready`; gridwork adds the persons met on the
visit that opened a case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import OPEN_STATUSES, Case


def known_cases(user: Any) -> QuerySet:
    """The cases through which a department knows persons: the ones it may see (handles or is
    summoned to) that are open or closed within the last REGISTRY_CASE_ACCESS_DAYS."""
    since = timezone.now() - timedelta(days=settings.REGISTRY_CASE_ACCESS_DAYS)
    return Case.objects.restrict(user).filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since))


def reporters(user: Any) -> Q:
    """Persons with the phone of a reporter of a case the department knows."""
    return Q(phone_digest__in=known_cases(user).exclude(phone_digest="").values("phone_digest"))
