"""The operator's cockpit, /ops/ (docs/ops.md): staff only. Every view here is wrapped in
ops.access.staff_required; tests/ops/test_access.py walks these patterns to check it."""

from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("", views.live, name="live"),
    path("live/", views.live_fragment, name="live-fragment"),
    path("reports/always-a-human/", views.always_a_human, name="always-a-human"),
]
