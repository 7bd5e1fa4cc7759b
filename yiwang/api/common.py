"""Helpers every router shares: the acting user, scoped fetches and list endpoints."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from yiwang.core.scope import Action, get_in_scope


def acting_user(request):
    return request.auth


def scoped(request, model: type[Model], action: Action = Action.VIEW) -> QuerySet:
    return model.objects.restrict(acting_user(request), action)


def get_scoped(request, model: type[Model], action: Action = Action.VIEW, **lookup) -> Model:
    return get_in_scope(acting_user(request), model, action, **lookup)
