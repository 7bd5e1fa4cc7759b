from django.urls import path

from . import views

app_name = "wishes"

urlpatterns = [
    # Staff
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("counts/", views.counts, name="counts"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/do/<str:action>/", views.act, name="act"),
    # Residents and claimants
    path("public/", views.public, name="public"),
    path("public/post/", views.public_post, name="public-post"),
    path("public/<int:pk>/<str:action>/", views.public_action, name="public-act"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
