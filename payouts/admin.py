from django.contrib import admin

from payouts.models import RateCard, RateCardEntry


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
