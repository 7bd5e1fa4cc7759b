"""The closed loop's pages, at the site's root: residents' reporting and tracking (no account), the
staff's case pages under cases/, and the case photos."""

from django.urls import path

from .views import detail, geojson, inbox, moderation, photos, report, service_guide, summons, supervision, track

urlpatterns = [
    # Residents (no account) ...
    path("report/", report.resident_report, name="resident-report"),
    path("report/grids.geojson", geojson.public_grids, name="public-grids"),
    path("report/questions", report.matter_questions, name="matter-questions"),
    path("report/done/", report.resident_done, name="resident-report-done"),
    path("report/services/", report.service_guide, name="service-guide"),
    path("report/services/<str:code>/", service_guide.service_item, name="service-item"),
    path("report/mine/", track.my_reports, name="my-reports"),
    path("track/", track.track_lookup, name="track"),
    path("track/<str:number>/", track.track_case, name="track-case"),
    path("track/<str:number>/<str:what>", track.track_act, name="track-act"),
    # ... and staff.
    path("cases/", inbox.case_list, name="case-list"),
    path("cases/report/", report.worker_report, name="case-report"),
    path("cases/report/done/<str:number>/", report.report_done, name="case-report-done"),
    path("cases/new/", report.desk_report, name="case-new"),
    path("cases/inbox/", inbox.inbox_page, name="case-inbox"),
    path("cases/grids.geojson", geojson.staff_grids, name="case-grids"),
    path("cases/duplicates", report.duplicates, name="case-duplicates"),
    path("cases/notifications/<int:pk>/open", inbox.open_notification, name="notification-open"),
    path("cases/notifications/read-all", inbox.read_all_notifications, name="notifications-read-all"),
    path("cases/summons/", summons.summons_list, name="summons-list"),
    path("cases/summons/parts/<int:part_id>/<str:step>", summons.summons_part_step, name="summons-part"),
    path("cases/moderation/", moderation.queue, name="moderation-queue"),
    path("cases/moderation/<str:number>/", moderation.detail, name="moderation-detail"),
    path("cases/moderation/<str:number>/<str:action>", moderation.act, name="moderation-act"),
    path("cases/supervision/", supervision.supervision_list, name="supervision-list"),
    path("cases/supervision/new/", supervision.supervision_new, name="supervision-new"),
    path("cases/supervision/<int:pk>/", supervision.supervision_detail, name="supervision-detail"),
    path("cases/supervision/<int:pk>/<str:step>", supervision.supervision_step, name="supervision-step"),
    path("cases/<str:number>/", detail.case_detail, name="case-detail"),
    path("cases/<str:number>/act/<str:action>/", detail.case_act, name="case-act"),
    path("cases/<str:number>/summon", summons.case_summon, name="case-summon"),
    path("cases/<str:number>/supervise", supervision.case_supervise, name="case-supervise"),
    # Staff in scope, or the browser holding the case's access code.
    path("photos/<int:pk>/", photos.case_photo, name="case-photo"),
]
