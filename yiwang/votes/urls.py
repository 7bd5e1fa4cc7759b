from django.urls import path

from . import views

app_name = "votes"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.ballot_new, name="new"),
    path("grid-projects/", views.grid_projects, name="grid-projects"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.ballot_edit, name="edit"),
    path("<int:pk>/questions/", views.question_add, name="question-add"),
    path("<int:pk>/questions/<int:question_id>/delete/", views.question_delete, name="question-delete"),
    path("<int:pk>/export.xlsx", views.export, name="export"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("public/", views.public, name="public"),
    path("public/<int:pk>/", views.public_ballot, name="public-ballot"),
]
