from django.contrib import admin, messages
from django.db import models
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from core.admin import NoAddMixin, RecordAdmin, ViewOnlyAdmin, ViewOnlyMixin
from tickets import integrations
from tickets.models import (
    CannedReply,
    EscalationIdempotencyKey,
    Integration,
    KnowledgeArticle,
    Message,
    Offer,
    Ticket,
    TicketEvent,
    TicketNote,
    WebhookDelivery,
)


class MessageInline(NoAddMixin, admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "sender", "agent", "body", "created_at"]
    readonly_fields = fields
    ordering = ["seq"]


class TicketNoteInline(ViewOnlyMixin, admin.TabularInline):
    """Agents' private notes, for the record: written on the agent socket, read here."""

    model = TicketNote
    extra = 0
    can_delete = False
    fields = ["created_at", "agent", "body"]
    readonly_fields = fields
    verbose_name_plural = "private notes (never shown to the customer)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent__user")


class TicketEventInline(NoAddMixin, admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["from_status", "to_status", "actor_kind", "actor", "agent", "reason", "created_at"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "topic",
        "language",
        "priority",
        "escalation_reason",
        "agent",
        "escalated_at",
        "rating",
    ]
    list_filter = ["status", "priority", "language", "escalation_reason", "is_vip", "topic"]
    search_fields = ["id", "customer_name", "customer_email", "customer_reference", "topic"]
    list_select_related = ["agent__user"]
    date_hierarchy = "created_at"
    # The state machine is the services' job: the admin reads, it does not move tickets.
    readonly_fields = [
        "token",
        "status",
        "agent",
        "last_seq",
        "escalated_at",
        "claimed_at",
        "resolved_at",
        "abandoned_at",
        "created_at",
        "last_customer_activity_at",
        "rating",
        "rating_comment",
        "unsure_answers_in_a_row",
    ]
    inlines = [TicketEventInline, MessageInline, TicketNoteInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ViewOnlyAdmin):
    list_display = ["ticket", "from_status", "to_status", "actor_kind", "agent", "created_at"]
    list_filter = ["to_status", "actor_kind"]
    search_fields = ["ticket__id", "reason"]
    list_select_related = ["ticket", "agent__user"]


@admin.register(Offer)
class OfferAdmin(RecordAdmin):
    """Offers as the dispatcher made them and how each ended (docs/dispatch.md): a record."""

    list_display = ["ticket", "agent", "outcome", "decline_reason", "sent_at", "decided_at"]
    list_filter = ["outcome", "decline_reason"]
    search_fields = ["ticket__id", "agent__user__email", "decline_note"]
    list_select_related = ["ticket", "agent__user"]


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = ["ticket", "seq", "sender", "agent", "created_at"]
    list_filter = ["sender"]
    search_fields = ["ticket__id", "body"]
    list_select_related = ["ticket", "agent__user"]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "language", "is_published", "updated_at"]
    list_filter = ["topic", "language", "is_published"]
    search_fields = ["title", "body", "keywords"]


# --- Bring your own AI -----------------------------------------------------------------------
# Which company handed a ticket over is a fact of its history, not something to edit.
TicketAdmin.readonly_fields = [*TicketAdmin.readonly_fields, "integration"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """API keys of companies' own assistants. The key is shown once, right after creation;
    only its SHA-256 is stored. Keys are revoked, never deleted: tickets point at them."""

    list_display = ["name", "key_prefix", "webhook_url", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "webhook_secret_hint", "created_at", "revoked_at"]
    actions = ["revoke_keys"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "webhook_url"]
        return ["name", "webhook_url", *self.readonly_fields]

    @admin.display(description="Webhook secret")
    def webhook_secret_hint(self, obj: Integration) -> str:
        return f"whsec_…{obj.webhook_secret[-4:]} (shown in full once, on creation)"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a company's tickets keep pointing at it: revoke its keys instead

    def save_model(self, request, obj: Integration, form, change: bool) -> None:
        if change:
            integrations.integration_update(
                integration_id=obj.pk, name=obj.name, webhook_url=obj.webhook_url
            )
            return
        issued = integrations.integration_create(name=obj.name, webhook_url=obj.webhook_url)
        obj.pk = issued.integration.pk
        obj.refresh_from_db()
        obj._state.adding = False
        # Kept on this object only, for response_add below: the key is in no table or log.
        obj.issued_api_key = issued.api_key

    def response_add(self, request, obj: Integration, post_url_continue=None):
        api_key = getattr(obj, "issued_api_key", None)
        if api_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": f"API key for {obj.name}",
            "integration": obj,
            "api_key": api_key,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "tickets/integration_key_created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected API keys")
    def revoke_keys(self, request, queryset) -> None:
        for integration_id in queryset.values_list("pk", flat=True):
            integrations.integration_revoke(integration_id=integration_id)
        messages.success(request, "Revoked. Calls with those keys are now refused with 403.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    list_display = [
        "id",
        "integration",
        "ticket",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "integration"]
    list_select_related = ["integration", "ticket"]
    search_fields = ["ticket__id", "last_error"]
    actions = ["try_again_now"]

    @admin.action(description="Try the selected deliveries again now", permissions=["view"])
    def try_again_now(self, request, queryset) -> None:
        retried = sum(
            integrations.webhook_retry_now(delivery_id=delivery_id)
            for delivery_id in queryset.values_list("pk", flat=True)
        )
        messages.success(request, f"{retried} deliveries are due now; the next drain sends them.")


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "is_active"]
    list_filter = ["language", "is_active"]
    search_fields = ["title", "body"]


@admin.register(TicketNote)
class TicketNoteAdmin(RecordAdmin):
    list_display = ["id", "ticket", "agent", "created_at"]
    list_select_related = ["ticket", "agent__user"]
    search_fields = ["ticket__id", "body", "agent__user__email"]
    date_hierarchy = "created_at"


@admin.register(EscalationIdempotencyKey)
class EscalationIdempotencyKeyAdmin(RecordAdmin):
    list_display = ["key", "integration", "ticket", "created_at"]
    list_filter = ["integration"]
    list_select_related = ["integration", "ticket"]
    search_fields = ["key", "ticket__id"]
