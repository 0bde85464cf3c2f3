from django.urls import path

from payouts import views
from payouts.webhooks import stripe_webhook

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe-webhook"),
    path("portal/earnings/", views.earnings, name="portal-earnings"),
    path("portal/earnings/cash-out/", views.cash_out, name="portal-cash-out"),
]
