from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("workers/", views.workers, name="workers"),
    path("workers/<int:pk>/", views.worker_detail, name="worker"),
    path("workers/<int:pk>/review/", views.review_worker, name="review"),
    path("departments/", views.departments, name="departments"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("property/", views.property_companies, name="property"),
    path("property/<int:pk>/", views.property_detail, name="property-detail"),
    path("honours/", views.honours, name="honours"),
    path("honours/<int:pk>/", views.honour_round, name="round"),
]
