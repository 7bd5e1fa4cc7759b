from django.urls import path

from . import views

app_name = "command"

urlpatterns = [
    path("", views.index, name="index"),
]
