from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("cases/", views.upload_page, name="cases"),
    path("<int:pk>/", views.job_page, name="job"),
    path("<int:pk>/start", views.start, name="start"),
]
