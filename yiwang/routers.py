"""The JSON API site: /api/, OpenAPI at /api/openapi.json, docs at /api/docs (served locally).

The NinjaAPI object, how it answers refusals, and every app's router mounted under its prefix. The
shared toolkit the routers use (typed parameters, pages, scope helpers) is `yiwang.api`, below the apps."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaValidationError

from yiwang.accounts.auth import AUTH
from yiwang.api.errors import as_detail
from yiwang.core.statemachine import IllegalTransition

api = NinjaAPI(
    title="Yiwang API",
    version="1",
    description="一网 · 党建引领基层治理平台 JSON API. Every list and read is limited to the caller's data scope.",
    auth=AUTH,
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or gettext("您的角色或数据范围不包括这项内容")}, status=403)


# Django's own 404 wording (get_object_or_404) is English and names a model class; ours is a sentence.
DJANGO_NOT_FOUND = re.compile(r"^No .+ matches the given query\.$")


@api.exception_handler(Http404)
def not_found(request, exc):
    message = str(exc.args[0]) if exc.args else ""
    if not message or DJANGO_NOT_FOUND.match(message):
        message = gettext("未找到，或不在您的数据范围内")
    return api.create_response(request, {"detail": message}, status=404)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(SchemaValidationError)
def schema_validation_error(request, exc):
    # Input the schema refuses reads like a service's refusal: {"detail": {"field": ["中文说明"]}}.
    return api.create_response(request, {"detail": as_detail(exc.errors)}, status=422)


@api.exception_handler(IllegalTransition)
def illegal_transition(request, exc):
    # Someone else moved the case first, or the action does not apply to its status.
    return api.create_response(request, {"detail": str(exc), "status": exc.status, "action": exc.action}, status=409)


def _mount() -> None:
    from yiwang.ab_roles.api import router as ab_roles_router
    from yiwang.accounts.api import router as accounts_router
    from yiwang.activities.api import router as activities_router
    from yiwang.gridwork.api import router as gridwork_router
    from yiwang.campaigns.api import router as campaigns_router
    from yiwang.wishes.api import router as wishes_router
    from yiwang.volunteers.api import router as volunteers_router
    from yiwang.pointsbank.api import router as pointsbank_router
    from yiwang.deliberation.api import router as deliberation_router
    from yiwang.votes.api import router as votes_router
    from yiwang.alliance.api import router as alliance_router
    from yiwang.assessment.api import router as assessment_router
    from yiwang.command.api import router as command_router
    from yiwang.analysis.api import router as analysis_router
    from yiwang.reviews.api import router as reviews_router
    from yiwang.cases.api import device_router
    from yiwang.cases.api import router as cases_router
    from yiwang.cases.supervision_api import router as supervision_router
    from yiwang.duties.api import router as duties_router
    from yiwang.forces.api import router as forces_router
    from yiwang.links.api import router as links_router
    from yiwang.party.api import router as party_router
    from yiwang.points.api import router as points_router
    from yiwang.regions.api import router as regions_router
    from yiwang.registry.api import router as registry_router

    api.add_router("/", accounts_router)
    api.add_router("/regions", regions_router)
    api.add_router("/registry", registry_router)
    api.add_router("/party", party_router)
    api.add_router("/forces", forces_router)
    api.add_router("/cases", cases_router)
    api.add_router("/devices", device_router)
    api.add_router("/supervision", supervision_router)
    api.add_router("/points", points_router)
    api.add_router("/duties", duties_router)
    api.add_router("/links", links_router)
    api.add_router("/ab", ab_roles_router)
    api.add_router("/activities", activities_router)
    api.add_router("/gridwork", gridwork_router)
    api.add_router("/campaigns", campaigns_router)
    api.add_router("/wishes", wishes_router)
    api.add_router("/volunteers", volunteers_router)
    api.add_router("/pointsbank", pointsbank_router)
    api.add_router("/deliberation", deliberation_router)
    api.add_router("/votes", votes_router)
    api.add_router("/alliance", alliance_router)
    api.add_router("/assessment", assessment_router)
    api.add_router("/command", command_router)
    api.add_router("/analysis", analysis_router)
    api.add_router("/reviews", reviews_router)
    from yiwang.exports.api import router as exports_router

    api.add_router("/exports", exports_router)


_mount()
