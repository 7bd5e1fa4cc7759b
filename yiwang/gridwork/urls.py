from django.urls import path

from . import views

app_name = "gridwork"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("care/", views.care, name="care"),
    path("patrols/new/", views.new_patrol, name="new_patrol"),
    path("patrols/<int:pk>/", views.patrol, name="patrol"),
    path("visits/new/", views.new_visit, name="new_visit"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("photos/<int:pk>/", views.record_photo, name="photo"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/end/", views.end_plan, name="end_plan"),
]
