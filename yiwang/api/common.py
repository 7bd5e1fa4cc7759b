"""Helpers every router shares: the acting user, scoped fetches and list endpoints."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from yiwang.core.scope import Action


def acting_user(request):
    return request.auth


def scoped(request, model: type[Model], action: Action = Action.VIEW) -> QuerySet:
    return model.objects.restrict(acting_user(request), action)


def get_scoped(request, model: type[Model], action: Action = Action.VIEW, **lookup) -> Model:
    """The object if it is inside the user's scope; otherwise 404, so that nothing outside
    a scope is even confirmed to exist."""
    obj = scoped(request, model, action).filter(**lookup).first()
    if obj is None:
        raise Http404(f"{model._meta.verbose_name} not found")
    return obj


def under_region(qs: QuerySet, code: str | None, field: str = "region__path") -> QuerySet:
    """Rows of an already scoped queryset under the region with this code (none if unknown)."""
    if not code:
        return qs
    from yiwang.regions.models import Region

    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return qs.filter(**{f"{field}__startswith": path}) if path else qs.none()
