"""Need to know through home visits (see `registry.access`): a department knows the persons met on
the visit whose finding opened a case it knows. Registered in `GridworkConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from yiwang.cases.need_to_know import known_cases

from .models import HomeVisit


def persons_met(user: Any) -> Q:
    met = HomeVisit.persons.through.objects.filter(homevisit__findings__case__in=known_cases(user).values("pk")).values("person_id")
    return Q(pk__in=met)
