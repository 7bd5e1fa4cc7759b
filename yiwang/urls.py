from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from yiwang.routers import api

urlpatterns = [
    # The admin's own login would skip the second factor and the login page's messages: use ours.
    path("admin/login/", RedirectView.as_view(url="/login/", query_string=True)),
    path("admin/", admin.site.urls),
    path("account/", include("yiwang.accounts.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The words of the pages' scripts (djangojs in yiwang/locale), in the chosen language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The closed loop: reporting and tracking, the case pages, the case photos.
    path("", include("yiwang.cases.urls")),
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
    path("simulator/", include("yiwang.simulator.urls")),
    path("advisor/", include("yiwang.advisor.urls")),
    path("reviews/", include("yiwang.reviews.urls")),
    path("exports/", include("yiwang.exports.urls")),
    path("imports/", include("yiwang.imports.urls")),
    path("search/", include("yiwang.search.urls")),
    path("forces/", include("yiwang.forces.urls")),
    path("", include("yiwang.web.urls")),
]
