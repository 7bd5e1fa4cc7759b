from django.urls import path

from . import views

app_name = "alliance"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/needs/", views.raise_need, name="raise_need"),
    path("<int:pk>/resources/", views.offer_resource, name="offer_resource"),
    path("<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("needs/<int:pk>/", views.need, name="need"),
    path("needs/<int:pk>/close/", views.close_need, name="close_need"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/<str:action>/", views.project_action, name="project_action"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("units/<int:pk>/", views.unit, name="unit"),
    path("units/<int:pk>/leave/", views.leave, name="leave"),
]
