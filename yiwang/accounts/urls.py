from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/verify/", views.verify, name="verify"),
    path("two-factor/enrol/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.new_recovery_codes, name="recovery-codes"),
    path("two-factor/off/", views.turn_off, name="two-factor-off"),
    path("security/", views.security, name="security"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("logins/", views.login_log, name="login-log"),
    path("logins/<str:action>/", views.account_action, name="account-action"),
    path("people/", views.people, name="people"),
    path("people/new/", views.new_person, name="person-new"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/active/", views.person_active, name="person-active"),
    path("people/<int:pk>/reset-password/", views.person_reset_password, name="person-reset-password"),
    path("audit/", views.audit_log, name="audit-log"),
]
