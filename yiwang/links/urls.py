from django.urls import path

from . import views

app_name = "links"

urlpatterns = [
    path("", views.index, name="index"),
    path("gaps/", views.gaps, name="gaps"),
    path("new/", views.new_link, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/visit/", views.record_visit, name="record-visit"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/roles/", views.roles, name="roles"),
]
