import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone

from core.admin import AppendOnlyAdmin, NoAddMixin, RecordAdmin, ViewOnlyAdmin
from payouts import ledger, services
from payouts.models import BankPayout, EarningLine, Payout, RateCard, RateCardEntry, StripeEvent
from payouts.money import format_money


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
        "probation_multiplier_pct",
        "standard_multiplier_pct",
        "expert_multiplier_pct",
        "instant_payout_fee_bps",
    ]
    list_filter = ["currency"]
    search_fields = ["name"]
    inlines = [RateCardEntryInline]


@admin.register(RateCardEntry)
class RateCardEntryAdmin(admin.ModelAdmin):
    list_display = ["rate_card", "priority", "skill", "amount_cents"]
    list_filter = ["rate_card", "priority", "skill"]


@admin.register(StripeEvent)
class StripeEventAdmin(ViewOnlyAdmin):
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


# --- The ledger and payouts ------------------------------------------------------------------


@admin.display(description="Amount", ordering="amount_cents")
def amount(row: EarningLine | Payout) -> str:
    return format_money(row.amount_cents, row.currency)


class PayoutLineInline(NoAddMixin, admin.TabularInline):
    model = EarningLine
    fields = ["kind", "description", amount, "status", "earned_at", "ticket"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Payout)
class PayoutAdmin(RecordAdmin):
    """Payouts as sent: read-only, with a retry for failed ones and a CSV export."""

    list_display = [
        "id",
        "agent",
        "kind",
        "status",
        amount,
        "created_at",
        "paid_at",
        "failure_code",
    ]
    list_filter = ["status", "kind", "currency"]
    list_select_related = ["agent__user"]
    search_fields = ["id", "agent__user__email", "stripe_transfer_id", "destination"]
    date_hierarchy = "created_at"
    inlines = [PayoutLineInline]
    actions = ["retry_failed", "export_csv"]

    @admin.action(description="Retry the selected failed payouts (a new payout, a new key)")
    def retry_failed(self, request, queryset):
        retried = 0
        for payout in queryset.filter(status=Payout.Status.FAILED, retried_as__isnull=True):
            try:
                if services.payout_retry(payout_id=payout.pk) is not None:
                    retried += 1
            except ledger.PayoutError as error:
                self.message_user(request, f"Payout #{payout.pk}: {error}", messages.WARNING)
        self.message_user(request, f"{retried} payout(s) sent again.", messages.SUCCESS)

    @admin.action(description="Export the selected payouts as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="payouts-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "payout_id",
                "agent_email",
                "kind",
                "status",
                "amount_minor",
                "amount_reversed_minor",
                "currency",
                "destination",
                "stripe_transfer_id",
                "created_at",
                "paid_at",
                "failure_code",
                "line_count",
            ]
        )
        rows = queryset.select_related("agent__user").annotate(line_count=Count("lines"))
        for payout in rows.order_by("pk"):
            writer.writerow(
                [
                    payout.pk,
                    payout.agent.user.email,
                    payout.kind,
                    payout.status,
                    payout.amount_cents,
                    payout.amount_reversed_cents,
                    payout.currency,
                    payout.destination,
                    payout.stripe_transfer_id,
                    payout.created_at.isoformat(),
                    payout.paid_at.isoformat() if payout.paid_at else "",
                    payout.failure_code,
                    payout.line_count,
                ]
            )
        return response


class AdjustmentForm(forms.ModelForm):
    """Admins add adjustments only; every other line is written by the product."""

    class Meta:
        model = EarningLine
        fields = ["agent", "amount_cents", "currency", "description"]
        help_texts = {
            "amount_cents": "Minor units (cents). Negative to deduct.",
            "description": "Why, in words the agent will read on their earnings page.",
        }

    def clean_amount_cents(self):
        amount = self.cleaned_data["amount_cents"]
        if amount == 0:
            raise forms.ValidationError("An adjustment must be a non-zero amount.")
        return amount


@admin.register(EarningLine)
class EarningLineAdmin(AppendOnlyAdmin):
    """The ledger. Lines are never edited or deleted; a correction is an adjustment line."""

    list_display = [
        "id",
        "agent",
        "kind",
        amount,
        "status",
        "earned_at",
        "available_at",
        "payout",
    ]
    list_filter = ["status", "kind", "currency", "surge_applied"]
    list_select_related = ["agent__user"]
    search_fields = ["agent__user__email", "description", "source_key"]
    date_hierarchy = "earned_at"
    raw_id_fields = ["agent", "ticket", "payout"]
    form = AdjustmentForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["agent", "amount_cents", "currency", "description"]
        return [f.name for f in EarningLine._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in EarningLine._meta.fields]

    def get_changeform_initial_data(self, request):
        return {
            "currency": settings.PAYOUT_CURRENCY,
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        line = ledger.adjustment_line_create(
            agent_id=obj.agent_id,
            amount_cents=obj.amount_cents,
            description=obj.description,
            currency=obj.currency,
            created_by=request.user,
        )
        obj.pk = line.pk


@admin.register(BankPayout)
class BankPayoutAdmin(RecordAdmin):
    list_display = [
        "stripe_payout_id",
        "agent",
        "amount_cents",
        "currency",
        "status",
        "arrival_date",
    ]
    list_filter = ["status"]
    search_fields = ["stripe_payout_id", "agent__user__email"]
