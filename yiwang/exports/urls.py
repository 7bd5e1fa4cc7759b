from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status", views.status, name="status"),
    path("<int:pk>/download", views.download, name="download"),
    path("<int:pk>/retry", views.retry, name="retry"),
]
