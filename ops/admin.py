from django.contrib import admin

from core.admin import ViewOnlyAdmin
from ops.models import DailyHumanAccess


@admin.register(DailyHumanAccess)
class DailyHumanAccessAdmin(ViewOnlyAdmin):
    """The always-a-human history, including days older than the report's 90: written only
    by ops.history (docs/ops.md)."""

    list_display = [
        "day",
        "language",
        "asked",
        "got_person",
        "wait_p90_seconds",
        "gave_up",
        "waiting",
        "offered_other_way",
        "computed_at",
    ]
    list_filter = ["language"]
    date_hierarchy = "day"
