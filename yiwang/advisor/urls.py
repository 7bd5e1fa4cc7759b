from django.urls import path

from . import views

app_name = "advisor"

urlpatterns = [
    path("", views.index, name="index"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:proposal_id>/<str:decision>/", views.decide, name="decide"),
    path("<str:code>/", views.community_page, name="community"),
    path("<str:code>/propose/", views.propose, name="propose"),
]
