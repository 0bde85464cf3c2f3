"""The operator's cockpit, /ops/ (docs/ops.md): staff only."""

from django.urls import path  # noqa: F401 - the routes follow

app_name = "ops"

urlpatterns: list = []
