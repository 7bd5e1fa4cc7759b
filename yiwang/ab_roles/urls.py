from django.urls import path

from . import views

app_name = "ab_roles"

urlpatterns = [
    path("", views.index, name="index"),
    path("desks/", views.desk_form, name="desk-form"),
    path("leaves/<int:pk>/cancel", views.cancel_leave, name="cancel-leave"),
]
