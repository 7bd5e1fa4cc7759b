from django.urls import path

from . import views

app_name = "duties"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create_page, name="create"),
    path("<int:list_id>/", views.list_detail, name="list"),
    path("<int:list_id>/versions/", views.versions, name="versions"),
    path("<int:list_id>/propose/", views.propose, name="propose"),
    path("<int:list_id>/import/", views.import_page, name="import"),
    path("<int:list_id>/diff/", views.diff_page, name="diff"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/<str:decision>/", views.decide, name="decide"),
]
