from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    # Staff
    path("", views.index, name="index"),
    path("new/", views.activity_new, name="new"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/do/<str:action>/", views.activity_action, name="act"),
    path("registrations/<int:pk>/<str:action>/", views.registration_action, name="registration"),
    path("manage/venues/", views.venues, name="venues"),
    path("manage/venues/<int:pk>/", views.venue_detail, name="venue"),
    path("manage/slots/<int:pk>/", views.slot_edit, name="slot"),
    # Public
    path("public/", views.public, name="public"),
    path("public/<int:pk>/", views.public_activity, name="public-activity"),
    path("public/<int:pk>/mine/", views.public_mine, name="public-mine"),
    path("venues/", views.public_venues, name="public-venues"),
    path("venues/<int:pk>/timetable/", views.timetable, name="timetable"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumb/", views.photo, {"size": "thumb"}, name="photo-thumb"),
    path("photos/<int:pk>/review/<str:action>/", views.photo_review, name="photo-review"),
]
