from django.contrib import admin

from tickets.models import KnowledgeArticle, Message, Ticket, TicketEvent


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "sender", "agent", "body", "created_at"]
    readonly_fields = fields
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["from_status", "to_status", "actor_kind", "actor", "agent", "reason", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


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
    inlines = [TicketEventInline, MessageInline]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "from_status", "to_status", "actor_kind", "agent", "created_at"]
    list_filter = ["to_status", "actor_kind"]
    search_fields = ["ticket__id", "reason"]
    list_select_related = ["ticket", "agent__user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["ticket", "seq", "sender", "agent", "created_at"]
    list_filter = ["sender"]
    search_fields = ["ticket__id", "body"]
    list_select_related = ["ticket", "agent__user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "language", "is_published", "updated_at"]
    list_filter = ["topic", "language", "is_published"]
    search_fields = ["title", "body", "keywords"]
