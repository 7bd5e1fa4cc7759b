from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from yiwang.api import api
from yiwang.cases.views import case_photo

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The words of the pages' scripts (djangojs in yiwang/locale), in the chosen language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("photos/<int:pk>/", case_photo, name="case-photo"),
    path("open311/v2/", include("yiwang.open311.urls")),
    path("duties/", include("yiwang.duties.urls")),
    path("links/", include("yiwang.links.urls")),
    path("ab/", include("yiwang.ab_roles.urls")),
    path("activities/", include("yiwang.activities.urls")),
    path("gridwork/", include("yiwang.gridwork.urls")),
    path("campaigns/", include("yiwang.campaigns.urls")),
    path("wishes/", include("yiwang.wishes.urls")),
    path("volunteers/", include("yiwang.volunteers.urls")),
    path("pointsbank/", include("yiwang.pointsbank.urls")),
    path("deliberation/", include("yiwang.deliberation.urls")),
    path("votes/", include("yiwang.votes.urls")),
    path("alliance/", include("yiwang.alliance.urls")),
    path("assessment/", include("yiwang.assessment.urls")),
    path("command/", include("yiwang.command.urls")),
    path("analysis/", include("yiwang.analysis.urls")),
    path("reviews/", include("yiwang.reviews.urls")),
    path("imports/", include("yiwang.imports.urls")),
    path("", include("yiwang.web.urls")),
]
