"""The admin of shifts and staffing: slots (with the week view), and read-only records of
assignments, their audit trail, the forecast and surges."""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.admin import ViewOnlyAdmin
from workforce import calendar, charts, selectors, shifts
from workforce.models import (
    HalfHourDemand,
    ShiftAssignment,
    ShiftAssignmentEvent,
    ShiftSlot,
    SurgePeriod,
)


@admin.register(ShiftSlot)
class ShiftSlotAdmin(admin.ModelAdmin):
    list_display = [
        "starts_at",
        "ends_at",
        "language",
        "skill",
        "headcount_required",
        "headcount_override",
    ]
    list_filter = ["language", "skill"]
    date_hierarchy = "starts_at"
    list_editable = ["headcount_override"]
    change_list_template = "admin/workforce/shiftslot/change_list.html"

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        shifts.shift_slot_override_set(
            slot_id=obj.pk, headcount=obj.headcount_override, actor=request.user
        )
        return None

    def get_urls(self):
        view = self.admin_site.admin_view(self.week_view)
        return [path("week/", view, name="workforce_shiftslot_week"), *super().get_urls()]

    def week_view(self, request):
        """The week's demand against staffed headcount, per slot and per half hour."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        try:
            week_start = calendar.parse_week(request.GET["week"]) if "week" in request.GET else None
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            week_start = None
        week_start = week_start or calendar.week_start_of(now)
        staffing = selectors.week_staffing(week_start=week_start)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Shift staffing, week of {week_start:%d %b %Y}",
            "week_start": week_start,
            "previous_week": (week_start - timedelta(days=7)).date().isoformat(),
            "next_week": (week_start + timedelta(days=7)).date().isoformat(),
            "staffing": staffing,
            "chart": charts.week_staffing_chart(staffing=staffing),
        }
        return TemplateResponse(request, "admin/workforce/shiftslot/week.html", context)


@admin.register(ShiftAssignment)
class ShiftAssignmentAdmin(ViewOnlyAdmin):
    """Offers come from matching and bookings from agents (workforce.offers, .shifts)."""

    list_display = ["slot", "agent", "state", "source", "offer_expires_at", "checked_in_at"]
    list_filter = ["state", "source"]
    list_select_related = ["slot", "agent__user"]
    readonly_fields = [f.name for f in ShiftAssignment._meta.fields]


@admin.register(ShiftAssignmentEvent)
class ShiftAssignmentEventAdmin(ViewOnlyAdmin):
    list_display = ["assignment", "from_state", "to_state", "actor", "reason", "created_at"]
    list_filter = ["to_state"]
    readonly_fields = [f.name for f in ShiftAssignmentEvent._meta.fields]


@admin.register(HalfHourDemand)
class HalfHourDemandAdmin(ViewOnlyAdmin):
    """Written by the forecast (workforce.forecast.week_demand_plan)."""

    list_display = ["starts_at", "language", "skill", "arrivals", "agents_required"]
    list_filter = ["language", "skill"]
    date_hierarchy = "starts_at"
    readonly_fields = [f.name for f in HalfHourDemand._meta.fields]


@admin.register(SurgePeriod)
class SurgePeriodAdmin(ViewOnlyAdmin):
    """Recorded by workforce.surge, never by hand."""

    list_display = ["language", "started_at", "ended_at", "trigger_wait_seconds"]
    list_filter = ["language"]
    readonly_fields = ["language", "started_at", "ended_at", "trigger_wait_seconds"]
