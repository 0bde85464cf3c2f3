"""The operator's cockpit, /ops/ (docs/ops.md): staff only."""

from django.urls import path

from ops import views

app_name = "ops"

urlpatterns: list = [
    path("reports/always-a-human/", views.always_a_human, name="always-a-human"),
]
