from django.urls import path

from . import views

app_name = "forces"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.unit, name="unit"),
    path("<str:code>/members/", views.add_member, name="add-member"),
    path("<str:code>/assignments/", views.assign, name="assign"),
    path("<str:code>/assignments/<int:pk>/remove/", views.remove_assignment, name="remove-assignment"),
    path("<str:code>/shifts/", views.add_shift, name="add-shift"),
    path("<str:code>/shifts/<int:pk>/remove/", views.remove_shift, name="remove-shift"),
]
