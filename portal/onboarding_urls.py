from django.urls import path

from portal import onboarding_views as views

urlpatterns = [
    path("agents/", views.landing, name="agent-landing"),
    path("agents/apply/", views.apply, name="agent-apply"),
    path("agents/verify/resend/", views.resend_verification, name="agent-verify-resend"),
    path("agents/verify/<str:token>/", views.verify_email, name="agent-verify"),
    path("agents/status/", views.status, name="agent-status"),
    path("agents/training/", views.training, name="agent-training"),
    path("agents/training/start/", views.training_start, name="agent-training-start"),
    path("agents/training/quiz/", views.quiz, name="agent-quiz"),
    path(
        "agents/training/modules/<slug:slug>/", views.training_module, name="agent-training-module"
    ),
    path("agents/conduct/", views.code_of_conduct, name="agent-conduct"),
    path("agents/payouts/", views.payouts, name="agent-payouts"),
    path("agents/payouts/start/", views.payouts_start, name="agent-payouts-start"),
    path("agents/payouts/return/", views.payouts_return, name="agent-payouts-return"),
    path("agents/payouts/refresh/", views.payouts_refresh, name="agent-payouts-refresh"),
]
