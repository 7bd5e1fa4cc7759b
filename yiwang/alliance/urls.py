from django.urls import path

from . import views

app_name = "alliance"

urlpatterns = [
    path("", views.index, name="index"),
]
