"""The closed loop's pages, at the site's root: residents' reporting and tracking (no account), the
staff's case pages under cases/, and the case photos."""

from django.urls import path

from .views import detail, geojson, inbox, moderation, photos, report, summons, track

urlpatterns = [
    # Residents (no account) ...
    path("report/", report.resident_report, name="resident-report"),
    path("report/grids.geojson", geojson.public_grids, name="public-grids"),
    path("report/questions", report.matter_questions, name="matter-questions"),
    path("track/", track.track_lookup, name="track"),
    path("track/<str:number>/", track.track_case, name="track-case"),
    path("track/<str:number>/<str:what>", track.track_act, name="track-act"),
    # ... and staff.
    path("cases/", inbox.case_list, name="case-list"),
    path("cases/report/", report.worker_report, name="case-report"),
    path("cases/new/", report.desk_report, name="case-new"),
    path("cases/inbox/", inbox.inbox_page, name="case-inbox"),
    path("cases/grids.geojson", geojson.staff_grids, name="case-grids"),
    path("cases/duplicates", report.duplicates, name="case-duplicates"),
    path("cases/notifications/<int:pk>/open", inbox.open_notification, name="notification-open"),
    path("cases/notifications/read-all", inbox.read_all_notifications, name="notifications-read-all"),
    path("cases/summons/parts/<int:part_id>/<str:step>", summons.summons_part_step, name="summons-part"),
    path("cases/moderation/", moderation.queue, name="moderation-queue"),
    path("cases/moderation/<str:number>/", moderation.detail, name="moderation-detail"),
    path("cases/moderation/<str:number>/<str:action>", moderation.act, name="moderation-act"),
    path("cases/<str:number>/", detail.case_detail, name="case-detail"),
    path("cases/<str:number>/act/<str:action>/", detail.case_act, name="case-act"),
    path("cases/<str:number>/summon", summons.case_summon, name="case-summon"),
    # Staff in scope, or the browser holding the case's access code.
    path("photos/<int:pk>/", photos.case_photo, name="case-photo"),
]
