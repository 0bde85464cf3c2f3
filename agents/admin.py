from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from agents.models import Agent, AgentStatusEvent, ShiftSlot, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class AgentStatusEventInline(admin.TabularInline):
    model = AgentStatusEvent
    fk_name = "agent"
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "user",
        "status",
        "segment",
        "is_online",
        "capacity",
        "reliability_pct",
        "payouts_enabled",
    ]
    list_filter = ["status", "segment", "is_online", "payouts_enabled", "surge_opt_in", "country"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "stripe_account_id"]
    list_select_related = ["user"]
    # Status, presence and payout readiness change only through services (audited).
    readonly_fields = [
        "status",
        "is_online",
        "connection_count",
        "last_seen_at",
        "disconnected_at",
        "stripe_account_id",
        "payouts_enabled",
        "created_at",
        "updated_at",
    ]
    inlines = [AgentStatusEventInline]


@admin.register(AgentStatusEvent)
class AgentStatusEventAdmin(admin.ModelAdmin):
    list_display = ["agent", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["agent__user__email", "reason"]
    list_select_related = ["agent__user", "actor"]
    readonly_fields = ["agent", "from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request):
        return False


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
