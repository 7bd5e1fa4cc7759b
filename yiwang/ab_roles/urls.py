from django.urls import path

from . import views

app_name = "ab_roles"

urlpatterns = [
    path("", views.index, name="index"),
]
