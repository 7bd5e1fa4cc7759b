from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("map/<str:code>/", views.map_page, name="map-region"),
    path("map/<str:code>/panel", views.region_panel, name="region-panel"),
    path("persons/", views.persons_page, name="persons"),
    path("registry/export/<str:kind>.xlsx", views.registry_export, name="registry-export"),
    path("registry/import/", views.registry_import, name="registry-import"),
    path("persons/<int:person_id>/reveal", views.reveal_person, name="person-reveal"),
    path("party/coverage/", views.coverage_page, name="coverage"),
]
