"""The admin of shifts and staffing: slots (with the week view), and read-only records of
assignments, their audit trail, the forecast and surges."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.admin import ViewOnlyAdmin
from workforce import calendar, charts, concurrency, selectors, shifts, staffing_models
from workforce.forms import StaffingWhatIfForm
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
        what_if = self.admin_site.admin_view(self.what_if_view)
        return [
            path("week/", view, name="workforce_shiftslot_week"),
            path("what-if/", what_if, name="workforce_shiftslot_what_if"),
            *super().get_urls(),
        ]

    def what_if_view(self, request):
        """Agents needed under Erlang C and Erlang A for arrivals, handle time and a target
        typed in; a GET form, so a scenario is a link to share."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        patience = selectors.customer_patience(now=now)
        efficiency_table = selectors.chat_efficiency(now=now)
        submitted = "arrivals_per_hour" in request.GET
        form = StaffingWhatIfForm(
            request.GET if submitted else None,
            initial={
                "arrivals_per_hour": 60,
                "handle_time_seconds": 600,
                "target_share_pct": settings.SHIFT_TARGET_SHARE_PCT,
                "target_seconds": settings.SHIFT_TARGET_WAIT_SECONDS,
                "patience_seconds": round(patience.mean_seconds),
                "chats_per_agent": settings.AGENT_DEFAULT_CAPACITY,
            },
        )
        results, efficiency = None, None
        if submitted and form.is_valid():
            data = form.cleaned_data
            efficiency = concurrency.efficiency_at(
                concurrency=data["chats_per_agent"], table=efficiency_table
            )
            results = staffing_models.staffing_both_models(
                arrivals_per_hour=data["arrivals_per_hour"],
                handle_time_seconds=data["handle_time_seconds"],
                target_share=data["target_share_pct"] / 100,
                target_seconds=data["target_seconds"],
                patience_seconds=data["patience_seconds"],
                chats_per_agent=data["chats_per_agent"],
                efficiency=efficiency,
                max_abandon_share=(
                    data["max_abandon_pct"] / 100 if data["max_abandon_pct"] else None
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Staffing what-if: Erlang C and Erlang A",
            "form": form,
            "results": results,
            "efficiency": efficiency,
            "efficiency_table": sorted(efficiency_table.items()),
            "patience": patience,
        }
        status = 400 if submitted and not form.is_valid() else 200
        return TemplateResponse(
            request, "admin/workforce/shiftslot/what_if.html", context, status=status
        )

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
        staffing = selectors.week_staffing(week_start=week_start, now=now)
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
