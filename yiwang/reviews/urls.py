from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.index, name="index"),
    path("daily/", views.daily, name="daily"),
    path("daily/xlsx/", views.daily_xlsx, name="daily-xlsx"),
    path("weekly/request/", views.weekly_request, name="weekly-request"),
    path("weekly/<int:pk>/", views.weekly_detail, name="weekly-detail"),
    path("weekly/<int:pk>/xlsx/", views.weekly_xlsx, name="weekly-xlsx"),
    path("weekly/<int:pk>/pdf/", views.weekly_pdf, name="weekly-pdf"),
    path("weekly/<int:pk>/view/", views.weekly_pdf_view, name="weekly-pdf-view"),
]
