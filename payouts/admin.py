from django.contrib import admin

from payouts.models import RateCard, RateCardEntry, StripeEvent


class RateCardEntryInline(admin.TabularInline):
    model = RateCardEntry
    extra = 1


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "effective_from",
        "currency",
        "top_rating_bonus_cents",
        "shift_completion_bonus_cents",
        "surge_multiplier_pct",
    ]
    list_filter = ["currency"]
    search_fields = ["name"]
    inlines = [RateCardEntryInline]


@admin.register(RateCardEntry)
class RateCardEntryAdmin(admin.ModelAdmin):
    list_display = ["rate_card", "priority", "skill", "amount_cents"]
    list_filter = ["rate_card", "priority", "skill"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """Webhook events as received: read-only, they are the record of what Stripe told us."""

    list_display = ["id", "type", "account", "status", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["id", "account"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "id",
        "type",
        "account",
        "status",
        "detail",
        "payload",
        "received_at",
        "processed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
