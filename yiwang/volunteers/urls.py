from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("mine/register/", views.mine_register, name="mine-register"),
    path("mine/registrations/<int:pk>/withdraw/", views.mine_withdraw_registration, name="mine-withdraw-registration"),
    path("mine/volunteer/", views.mine_volunteer, name="mine-volunteer"),
    path("mine/tasks/<int:pk>/claim/", views.mine_claim, name="mine-claim"),
    path("mine/claims/<int:pk>/withdraw/", views.mine_withdraw_claim, name="mine-withdraw-claim"),
    path("registrations/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("registrations/<int:pk>/reject/", views.reject, name="reject"),
    path("registrations/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("posts/new/", views.post_new, name="post-new"),
    path("posts/<int:pk>/toggle/", views.post_toggle, name="post-toggle"),
    path("tasks/new/", views.task_new, name="task-new"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:pk>.docx", views.evaluation_docx, name="evaluation-docx"),
]
