from django.urls import path

from . import views

app_name = "gridwork"

urlpatterns = [
    path("", views.index, name="index"),
]
