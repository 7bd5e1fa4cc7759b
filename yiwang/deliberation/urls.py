from django.urls import path

from . import views

app_name = "deliberation"

urlpatterns = [
    # Staff
    path("", views.index, name="index"),
    path("topics/new/", views.topic_new, name="topic-new"),
    path("topics/<int:pk>/", views.topic_detail, name="topic"),
    path("topics/<int:pk>/do/<str:action>/", views.topic_action, name="topic-act"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/do/<str:action>/", views.meeting_action, name="meeting-act"),
    # Residents
    path("public/", views.public, name="public"),
    path("public/<int:pk>/", views.public_topic, name="public-topic"),
    path("public/<int:pk>/evaluate/", views.public_evaluate, name="public-evaluate"),
]
