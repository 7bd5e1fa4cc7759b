"""GeoReport v2 resources, each as `name.json` or `name.xml`; anything else under the prefix gets
the spec's 404 error list rather than an HTML page."""

from django.urls import path, re_path

from . import views

app_name = "open311"

urlpatterns = [
    path("discovery.<str:fmt>", views.discovery, name="discovery"),
    path("services.<str:fmt>", views.services, name="services"),
    path("services/<str:service_code>.<str:fmt>", views.service_definition, name="service"),
    path("requests.<str:fmt>", views.service_requests, name="requests"),
    path("requests/<str:number>.<str:fmt>", views.service_request, name="request"),
    path("tokens/<str:token>.<str:fmt>", views.token, name="token"),
    path("servicerequestupdates.<str:fmt>", views.updates, name="updates"),
    path("media/<int:pk>", views.media, name="media"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
