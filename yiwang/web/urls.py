from django.contrib.auth.views import LogoutView
from django.urls import path

from . import case_views, moderation_views, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("map/<str:code>/", views.map_page, name="map-region"),
    path("map/<str:code>/panel", views.region_panel, name="region-panel"),
    path("persons/", views.persons_page, name="persons"),
    path("registry/export/<str:kind>.xlsx", views.registry_export, name="registry-export"),
    path("registry/import/", views.registry_import, name="registry-import"),
    path("persons/<int:person_id>/reveal", views.reveal_person, name="person-reveal"),
    path("party/coverage/", views.coverage_page, name="coverage"),
    # The closed loop: residents (no account) ...
    path("report/", case_views.resident_report, name="resident-report"),
    path("report/grids.geojson", case_views.public_grids, name="public-grids"),
    path("report/questions", case_views.matter_questions, name="matter-questions"),
    path("track/", case_views.track_lookup, name="track"),
    path("track/<str:number>/", case_views.track_case, name="track-case"),
    path("track/<str:number>/<str:what>", case_views.track_act, name="track-act"),
    # ... and staff.
    path("cases/", case_views.case_list, name="case-list"),
    path("cases/report/", case_views.worker_report, name="case-report"),
    path("cases/new/", case_views.desk_report, name="case-new"),
    path("cases/inbox/", case_views.inbox_page, name="case-inbox"),
    path("cases/grids.geojson", case_views.staff_grids, name="case-grids"),
    path("cases/duplicates", case_views.duplicates, name="case-duplicates"),
    path("cases/notifications/<int:pk>/open", case_views.open_notification, name="notification-open"),
    path("cases/notifications/read-all", case_views.read_all_notifications, name="notifications-read-all"),
    path("cases/summons/parts/<int:part_id>/<str:step>", case_views.summons_part_step, name="summons-part"),
    path("cases/moderation/", moderation_views.queue, name="moderation-queue"),
    path("cases/moderation/<str:number>/", moderation_views.detail, name="moderation-detail"),
    path("cases/moderation/<str:number>/<str:action>", moderation_views.act, name="moderation-act"),
    path("cases/<str:number>/", case_views.case_detail, name="case-detail"),
    path("cases/<str:number>/act/<str:action>/", case_views.case_act, name="case-act"),
    path("cases/<str:number>/summon", case_views.case_summon, name="case-summon"),
]
