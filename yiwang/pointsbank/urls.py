from django.urls import path

from . import views

app_name = "pointsbank"

urlpatterns = [
    path("", views.index, name="index"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/grant/", views.grant, name="grant"),
    path("people/<int:pk>/conduct/", views.record_conduct, name="conduct"),
    path("people/<int:pk>/redeem/", views.redeem_for, name="redeem-for"),
    path("entries/<int:pk>/reverse/", views.reverse, name="reverse"),
    path("entries/<int:pk>/photo/", views.entry_photo, name="entry-photo"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/stock/", views.reward_stock, name="reward-stock"),
    path("redemptions/", views.redemptions, name="redemptions"),
    path("redemptions/<int:pk>/<str:action>/", views.redemption_action, name="redemption-action"),
    path("boards/", views.boards, name="boards"),
    path("boards/<int:pk>/", views.board, name="board"),
    path("rules/", views.rules, name="rules"),
    path("public/", views.public, name="public"),
    path("public/rewards/<int:pk>/redeem/", views.public_redeem, name="public-redeem"),
    path("public/redemptions/<int:pk>/cancel/", views.public_cancel, name="public-cancel"),
]
