from django.contrib import admin
from django.urls import include, path

from yiwang.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("yiwang.open311.urls")),
    path("", include("yiwang.web.urls")),
]
