import base64
import json
import zlib
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.db import IntegrityError, models
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator

from agents import admin as agents_admin
from agents.models import Agent
from agents.vocabulary import LANGUAGE_CODES
from core.admin import NoAddMixin, RecordAdmin, RecordMixin, ViewOnlyAdmin, ViewOnlyMixin
from core.money import format_money
from tickets import dispatch, dispatch_ranking, integrations, knowledge, selectors
from tickets.models import (
    AnswerFeedback,
    CannedReply,
    Complaint,
    EscalationIdempotencyKey,
    Integration,
    KnowledgeArticle,
    Message,
    Offer,
    TextEmbedding,
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


class OfferInline(RecordMixin, admin.TabularInline):
    """The dispatcher's offers of the ticket and how each ended (docs/dispatch.md): a record,
    written only by tickets.dispatch."""

    model = Offer
    extra = 0
    can_delete = False
    fields = [
        "agent",
        "sent_at",
        "expires_at",
        "outcome",
        "decline_reason",
        "decline_note",
        "decided_at",
        "pay",
    ]
    readonly_fields = fields
    verbose_name_plural = "offers (newest first)"

    def get_queryset(self, request):
        # Each row shows its agent by name: one query for all the offers, not one per row.
        return super().get_queryset(request).select_related("agent__user")

    @admin.display(description="Pay quoted")
    def pay(self, offer: Offer) -> str:
        if offer.pay_amount_minor is None:
            return "—"
        return format_money(offer.pay_amount_minor, offer.pay_currency)


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
    list_filter = [
        "status",
        "priority",
        "language",
        "escalation_reason",
        "is_vip",
        "topic",
        # "Leave a message" (issue #19): the queued tickets whose customer awaits an email.
        ("reply_email_requested_at", admin.EmptyFieldListFilter),
        "resolution_confirmed_by",
    ]
    search_fields = [
        "id",
        "customer_name",
        "customer_email",
        "reply_email",
        "customer_reference",
        "topic",
    ]
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
        # Left by the customer for the reply (tickets.services.ticket_email_reply_request).
        "reply_email",
        "reply_email_requested_at",
        # When the answer by email was claimed for sending (tickets.reply_by_email); empty on
        # a resolved ticket with an address while the send is still to go or being retried.
        "reply_emailed_at",
        # Confirmed resolution (docs/quality.md): written by the customer's answer, a reopen
        # and the window sweep only.
        "resolved_by",
        "resolution_confirmed_at",
        "resolution_confirmed_by",
        "reopen_count",
    ]
    inlines = [TicketEventInline, OfferInline, MessageInline, TicketNoteInline]


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


class KnowledgeFileForm(forms.Form):
    file = forms.FileField(
        label="Knowledge file",
        help_text="A .json, .csv or .md file, or a .zip of .md files; at most 5 MB.",
        validators=[FileExtensionValidator(["json", "csv", "md", "zip"])],
        widget=forms.FileInput(attrs={"accept": ".json,.csv,.md,.zip"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > knowledge.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; at most 5 MB is accepted."
            )
        return upload


def knowledge_payload(entries: list[knowledge.ArticleEntry]) -> str:
    """Checked articles for the confirm step's hidden field: the preview keeps no state on
    the server. Compressed only to fit the request size limit; the confirm step checks what
    comes back as if it were a new file."""
    data = json.dumps([entry.as_dict() for entry in entries], ensure_ascii=False)
    return base64.urlsafe_b64encode(zlib.compress(data.encode(), 9)).decode("ascii")


def knowledge_payload_rows(payload: str) -> object:
    """The rows of a hidden field, or None when it cannot be read. Decompression is capped:
    the field comes from the browser, and a small one could inflate without end."""
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.urlsafe_b64decode(payload), 4 * knowledge.MAX_FILE_BYTES)
        if inflater.unconsumed_tail:
            return None
        return json.loads(data.decode())
    except (ValueError, zlib.error):  # binascii.Error and JSONDecodeError are ValueErrors
        return None


# --- Customers' verdicts on the assistant's answers (tickets.feedback) -----------------------
# The article admin's columns and field are functions here, so that KnowledgeArticleAdmin
# itself only names them.


def _feedback_list_link(article: KnowledgeArticle, *, verdict: str, count: int) -> str:
    url = reverse("admin:tickets_answerfeedback_changelist")
    query = urlencode({"article__id__exact": article.pk, "verdict__exact": verdict})
    return format_html('<a href="{}?{}">{}</a>', url, query, count)


@admin.display(description="Helped", ordering="helped_count")
def article_helped(article: KnowledgeArticle) -> str:
    return _feedback_list_link(
        article, verdict=AnswerFeedback.Verdict.HELPED, count=article.helped_count
    )


@admin.display(description="Wanted a person", ordering="person_count")
def article_wanted_person(article: KnowledgeArticle) -> str:
    return _feedback_list_link(
        article, verdict=AnswerFeedback.Verdict.PERSON, count=article.person_count
    )


@admin.display(description="Latest questions that led to “Talk to a person”")
def article_person_questions(article: KnowledgeArticle) -> str:
    if article.pk is None:
        return "—"
    asked = selectors.article_person_questions(article_id=article.pk)
    if not asked:
        return "None yet."
    return format_html(
        "<ol>{}</ol>",
        format_html_join(
            "",
            '<li>{} <span class="quiet">({}, <a href="{}">ticket #{}</a>)</span></li>',
            (
                (
                    feedback.question or "(no question)",
                    timezone.localtime(feedback.created_at).strftime("%Y-%m-%d %H:%M"),
                    reverse("admin:tickets_ticket_change", args=[feedback.message.ticket_id]),
                    feedback.message.ticket_id,
                )
                for feedback in asked
            ),
        ),
    )


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "topic",
        "language",
        "is_published",
        "updated_at",
        article_helped,
        article_wanted_person,
    ]
    list_filter = ["topic", "language", "is_published"]
    search_fields = ["title", "body", "keywords"]
    fields = [
        "title",
        "language",
        "topic",
        "is_published",
        "body",
        "keywords",
        "example_questions",
        article_person_questions,
    ]
    readonly_fields = [article_person_questions]
    change_list_template = "admin/tickets/knowledgearticle/change_list.html"
    import_template = "admin/tickets/knowledgearticle/import.html"

    def get_queryset(self, request):
        return selectors.articles_with_feedback_counts(super().get_queryset(request))

    # Import and export are pages of their own, staff only through admin_view; importing
    # creates and changes articles, so it takes both permissions (docs/knowledge.md).
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"may_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload, preview (nothing stored), confirm (stored). The confirm step gets the
        articles back from a hidden field and checks them again: never trusted."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Import articles",
            "opts": self.opts,
            "max_articles": knowledge.MAX_ARTICLES,
        }
        if request.method == "POST" and "confirm" in request.POST:
            rows = knowledge_payload_rows(request.POST.get("articles", ""))
            try:
                if rows is None:
                    raise knowledge.KnowledgeFileInvalid(
                        [
                            knowledge.KnowledgeError(
                                None, "", "The articles to confirm cannot be read."
                            )
                        ]
                    )
                report = knowledge.knowledge_import(
                    entries=knowledge.knowledge_rows_read(rows=rows)
                )
            except knowledge.KnowledgeFileInvalid as invalid:
                context |= {"errors": invalid.errors, "form": KnowledgeFileForm()}
                return TemplateResponse(request, self.import_template, context)
            except IntegrityError:
                messages.error(
                    request,
                    "Another import created some of these articles at the same time; nothing "
                    "was stored. Upload the file again.",
                )
                return HttpResponseRedirect(request.path)
            messages.success(request, f"{report.summary()}.")
            return HttpResponseRedirect(reverse("admin:tickets_knowledgearticle_changelist"))

        form = KnowledgeFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                entries = knowledge.knowledge_file_read(name=upload.name, content=upload.read())
            except knowledge.KnowledgeFileInvalid as invalid:
                context["errors"] = invalid.errors
            else:
                payload = knowledge_payload(entries)
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                context |= {
                    "file_name": upload.name,
                    "preview": knowledge.knowledge_import_preview(entries=entries),
                    "payload": payload,
                    # The confirm request would be refused with a 400 past Django's limit.
                    "too_large_to_confirm": limit is not None and len(payload) > limit - 4096,
                }
        context["form"] = form
        return TemplateResponse(request, self.import_template, context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        language = request.GET.get("language") or None
        if language is not None and language not in LANGUAGE_CODES:
            return HttpResponseBadRequest(f"Unknown language {language!r}.")
        articles = knowledge.knowledge_export(language=language)
        response = HttpResponse(
            knowledge.knowledge_json(articles), content_type="application/json; charset=utf-8"
        )
        name = f"knowledge-{language}.json" if language else "knowledge.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(TextEmbedding)
class TextEmbeddingAdmin(ViewOnlyAdmin):
    """The assistant's stored sentence embeddings of help-centre texts (a cache, written by
    tickets.assistant_flow.DatabaseVectorStore; the texts themselves are not kept)."""

    list_display = ["digest", "model", "created_at"]
    list_filter = ["model"]
    search_fields = ["digest"]


@admin.register(AnswerFeedback)
class AnswerFeedbackAdmin(ViewOnlyAdmin):
    """Customers' verdicts on the assistant's answers, written only by tickets.feedback."""

    list_display = ["created_at", "verdict", "article", "question_start", "ticket_link"]
    list_filter = ["verdict", "article"]
    search_fields = ["question"]
    list_select_related = ["article", "message"]
    date_hierarchy = "created_at"

    @admin.display(description="Question", ordering="question")
    def question_start(self, feedback: AnswerFeedback) -> str:
        return Truncator(feedback.question).chars(120) or "—"

    @admin.display(description="Ticket", ordering="message__ticket_id")
    def ticket_link(self, feedback: AnswerFeedback) -> str:
        ticket_id = feedback.message.ticket_id
        url = reverse("admin:tickets_ticket_change", args=[ticket_id])
        return format_html('<a href="{}">#{}</a>', url, ticket_id)


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


@admin.register(Complaint)
class ComplaintAdmin(RecordAdmin):
    """Customers' reports, as filed (tickets.complaints); each is reviewed in Quality."""

    list_display = ["id", "ticket", "category", "agent", "created_at"]
    list_filter = ["category"]
    list_select_related = ["ticket", "agent__user"]
    search_fields = ["ticket__id", "agent__user__email"]
    date_hierarchy = "created_at"


@admin.register(EscalationIdempotencyKey)
class EscalationIdempotencyKeyAdmin(RecordAdmin):
    list_display = ["key", "integration", "ticket", "created_at"]
    list_filter = ["integration"]
    list_select_related = ["integration", "ticket"]
    search_fields = ["key", "ticket__id"]


# --- Agents' offer record ---------------------------------------------------------------------
# Offers are tickets', and agents may not import tickets: the agents' admin is extended here,
# and registered again in place of the agents app's own (agents.admin registers it first, on
# the import above).


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


admin.site.unregister(Agent)


@admin.register(Agent)
class AgentAdmin(agents_admin.AgentAdmin):
    """The agents' admin with how each answers offers: its acceptance rate, declines and
    expiries of the last 7 days (tickets.selectors.ACCEPTANCE_WINDOW, the ranking's), in the
    list's one query, and its declines by reason on its page."""

    list_display = [
        *agents_admin.AgentAdmin.list_display,
        "offer_acceptance",
        "offers_declined",
        "offers_expired",
    ]
    readonly_fields = [
        *agents_admin.AgentAdmin.readonly_fields,
        "offer_acceptance",
        "offers_accepted",
        "offers_declined",
        "offers_expired",
        "declines_by_reason",
    ]

    def get_queryset(self, request):
        return selectors.agents_with_offer_record(super().get_queryset(request), now=timezone.now())

    def get_readonly_fields(self, request, obj=None):
        # An agent being added has no record (nor the annotations it is read from).
        if obj is None:
            return agents_admin.AgentAdmin.readonly_fields
        return super().get_readonly_fields(request, obj)

    # Agents with no offers answered last whichever way (NULLs sort first in PostgreSQL's
    # descending order, last in SQLite's): the first click sorts worst first, for finding
    # who declines or lets offers run out.
    @admin.display(
        description="Offers accepted (7 days)",
        ordering=models.F("offer_acceptance").asc(nulls_last=True),
    )
    def offer_acceptance(self, agent: Agent) -> str:
        return _percent(agent.offer_acceptance)

    @admin.display(description="Accepted (7 days)", ordering="offers_accepted")
    def offers_accepted(self, agent: Agent) -> int:
        return agent.offers_accepted

    @admin.display(description="Declines (7 days)", ordering="offers_declined")
    def offers_declined(self, agent: Agent) -> int:
        return agent.offers_declined

    @admin.display(description="Expiries (7 days)", ordering="offers_expired")
    def offers_expired(self, agent: Agent) -> int:
        return agent.offers_expired

    @admin.display(description="Declines by reason")
    def declines_by_reason(self, agent: Agent) -> str:
        counts = selectors.agent_declines_by_reason(agent_id=agent.pk, now=timezone.now())
        if not counts:
            return "No offer declined."
        return format_html_join(
            "",
            "<div>{}: {} in the last 7 days, {} in all</div>",
            ((count.reason, count.recent, count.total) for count in counts),
        )


# --- Dispatch settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchSetting:
    name: str
    value: object
    meaning: str


def dispatch_settings() -> tuple[list[DispatchSetting], list[DispatchSetting]]:
    """How tickets reach agents, as this process runs it: (the settings read from the
    environment, the rules fixed in the code). docs/dispatch.md explains each."""
    sweep = settings.CELERY_BEAT_SCHEDULE.get("dispatch-offers", {}).get("schedule")
    sweep_seconds = "not scheduled" if sweep is None else f"{sweep.total_seconds():g}"
    from_environment = [
        DispatchSetting(
            "ROUTING_MODE",
            settings.ROUTING_MODE,
            "offer: each ticket offered to one agent at a time; pick: agents claim from the "
            "open queue; hybrid: both.",
        ),
        DispatchSetting(
            "OFFER_TIMEOUT_SECONDS",
            settings.OFFER_TIMEOUT_SECONDS,
            "Seconds an agent has to accept an offer before it runs out and counts as a miss.",
        ),
        DispatchSetting(
            "OFFER_MISSES_BEFORE_AWAY",
            settings.OFFER_MISSES_BEFORE_AWAY,
            "Offers in a row an agent may let run out before it is set away.",
        ),
        DispatchSetting(
            "AGENT_QUEUE_RESYNC_SECONDS",
            settings.AGENT_QUEUE_RESYNC_SECONDS,
            "Seconds between the queue snapshots (the digest in offer routing) sent to agents.",
        ),
    ]
    in_code = [
        DispatchSetting(
            "Sweep interval (seconds)",
            sweep_seconds,
            "How often offers past their time are expired and a dispatch round runs, besides "
            "the rounds each queued ticket or freed agent starts (CELERY_BEAT_SCHEDULE).",
        ),
        DispatchSetting(
            "REOFFER_AFTER_SECONDS",
            dispatch.REOFFER_AFTER_SECONDS,
            "An agent who declined a ticket or let it run out is not offered it again for this "
            "long.",
        ),
        DispatchSetting(
            "DISPATCH_ROUND_TICKETS",
            dispatch.DISPATCH_ROUND_TICKETS,
            "Most tickets one round offers.",
        ),
        DispatchSetting(
            "QUEUE_SCAN_TICKETS",
            dispatch.QUEUE_SCAN_TICKETS,
            "How far down the queue a round looks for tickets a free agent could take.",
        ),
        DispatchSetting(
            "FAIRNESS_STEP_SECONDS",
            dispatch_ranking.FAIRNESS_STEP_SECONDS,
            "Agents idle for about as long (within a step) are ranked by acceptance rate and "
            "rating.",
        ),
        DispatchSetting(
            "Acceptance rate window (days)",
            selectors.ACCEPTANCE_WINDOW.days,
            "The offers an acceptance rate counts: accepted, declined and expired ones of these "
            "last days.",
        ),
    ]
    return from_environment, in_code


def dispatch_settings_view(request):
    """Read-only: these are set from the environment (or the code) and take a restart to
    change, so the admin shows them and never edits them. Staff only, through
    admin.site.admin_view (marketplace/urls.py)."""
    from_environment, in_code = dispatch_settings()
    context = {
        **admin.site.each_context(request),
        "title": "Dispatch settings",
        "from_environment": from_environment,
        "in_code": in_code,
    }
    return TemplateResponse(request, "admin/tickets/dispatch_settings.html", context)
