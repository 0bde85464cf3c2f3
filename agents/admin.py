import zoneinfo
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from agents import onboarding
from agents.countries import country_name
from agents.forms import ReviewReasonForm
from agents.models import (
    Agent,
    AgentAvailabilityEvent,
    AgentConnection,
    AgentStatusEvent,
    ApplicantAwaitingReview,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingModule,
    User,
)
from agents.services import AgentTransitionError
from agents.vocabulary import Language, Skill
from core.admin import NoAddMixin, ViewOnlyAdmin
from core.site_url import site_url


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


class AgentStatusEventInline(NoAddMixin, admin.TabularInline):
    model = AgentStatusEvent
    fk_name = "agent"
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]


class QuizAttemptInline(NoAddMixin, admin.TabularInline):
    model = QuizAttempt
    extra = 0
    can_delete = False
    fields = ["submitted_at", "score_percent", "correct_count", "question_count", "passed"]
    readonly_fields = fields


class ReviewActions:
    """Approve, reject, suspend, reinstate and send back to training: each asks for a reason
    on an intermediate page, then calls the onboarding service per agent (which audits the
    change and emails the agent after commit)."""

    review_template = "admin/agents/review_action.html"

    def _review(
        self,
        request,
        queryset: QuerySet,
        *,
        service: Callable[..., Agent],
        title: str,
        done: str,
        explanation: str,
    ):
        form = ReviewReasonForm(request.POST if "apply" in request.POST else None)
        agents = list(queryset.select_related("user").order_by("pk"))
        if form.is_bound and form.is_valid():
            changed, refused = [], []
            for agent in agents:
                try:
                    service(
                        agent_id=agent.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        site_url=site_url(request),
                    )
                except (AgentTransitionError, onboarding.OnboardingError) as error:
                    refused.append(f"{agent.user.email}: {error}")
                except ValidationError as error:
                    refused.append(f"{agent.user.email}: {' '.join(error.messages)}")
                else:
                    changed.append(agent.user.email)
            if changed:
                self.message_user(
                    request,
                    f"{done}: {', '.join(changed)}. They have been emailed.",
                    messages.SUCCESS,
                )
            if refused:
                self.message_user(request, "Not changed — " + "; ".join(refused), messages.ERROR)
            return None  # back to the change list
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "agents": agents,
            "form": form,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, self.review_template, context)

    @admin.action(description="Approve selected applicants…", permissions=["change"])
    def approve(self, request, queryset):
        return self._review(
            request,
            queryset,
            service=onboarding.agent_approve,
            title="Approve applicants",
            done="Approved",
            explanation="Approved applicants are asked to accept the code of conduct, after "
            "which they can go online.",
        )

    @admin.action(description="Reject selected applicants…", permissions=["change"])
    def reject(self, request, queryset):
        return self._review(
            request,
            queryset,
            service=onboarding.agent_reject,
            title="Reject applicants",
            done="Rejected",
            explanation="Rejection is final. An approved or active agent must be suspended first.",
        )

    @admin.action(description="Suspend selected agents…", permissions=["change"])
    def suspend(self, request, queryset):
        return self._review(
            request,
            queryset,
            service=onboarding.agent_suspend,
            title="Suspend agents",
            done="Suspended",
            explanation="Suspended agents are disconnected at once and the conversations they "
            "hold go back to the queue.",
        )

    @admin.action(description="Reinstate selected suspended agents…", permissions=["change"])
    def reinstate(self, request, queryset):
        return self._review(
            request,
            queryset,
            service=onboarding.agent_reinstate,
            title="Reinstate agents",
            done="Reinstated",
            explanation="Each agent returns to the status it was suspended from.",
        )

    @admin.action(description="Send selected applicants back to training…", permissions=["change"])
    def send_back_to_training(self, request, queryset):
        return self._review(
            request,
            queryset,
            service=onboarding.agent_send_back_to_training,
            title="Send applicants back to training",
            done="Sent back to training",
            explanation="They can retake the quiz at once.",
        )


@admin.register(Agent)
class AgentAdmin(ReviewActions, admin.ModelAdmin):
    list_display = [
        "__str__",
        "user",
        "status",
        "segment",
        "is_online",
        "quality_tier",
        "quality_score",
        "capacity",
        "reliability_pct",
        "payouts_enabled",
    ]
    list_filter = [
        "status",
        "quality_tier",
        "segment",
        "is_online",
        "availability",
        "payouts_enabled",
        "surge_opt_in",
        "country",
    ]
    search_fields = ["user__email", "user__first_name", "user__last_name", "stripe_account_id"]
    list_select_related = ["user"]
    # Status, presence, availability for offers, payout readiness and quality tier change
    # only through services (audited): the tier by the nightly score or a staff decision on a
    # consequence proposal (docs/quality.md).
    readonly_fields = [
        "status",
        "quality_tier",
        "quality_score",
        "quality_scored_at",
        "is_online",
        "connection_count",
        "last_seen_at",
        "disconnected_at",
        "availability",
        "consecutive_missed_offers",
        "last_offered_at",
        "last_assigned_at",
        "stripe_account_id",
        "payouts_enabled",
        "email_verified_at",
        "code_of_conduct_accepted_at",
        "created_at",
        "updated_at",
    ]
    inlines = [QuizAttemptInline, AgentStatusEventInline]
    actions = ["approve", "reject", "suspend", "reinstate", "send_back_to_training"]


def _labels(choices: type, codes: list[str]) -> str:
    labels = dict(choices.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes or []) or "—"


class ApplicationReadout:
    """An application as a person reads it: names instead of codes, the week as a table."""

    @admin.display(description="Name")
    def full_name(self, obj):
        return obj.user.get_full_name() or obj.display_name

    @admin.display(description="Country")
    def country_name(self, obj):
        return f"{country_name(obj.country)} ({obj.country})" if obj.country else "—"

    @admin.display(description="Time zone")
    def time_zone_readout(self, obj):
        try:
            local = timezone.now().astimezone(zoneinfo.ZoneInfo(obj.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return obj.time_zone
        offset = local.strftime("%z")  # +0300
        return f"{obj.time_zone} (UTC{offset[:3]}:{offset[3:]}, now {local:%H:%M} there)"

    @admin.display(description="Languages")
    def language_names(self, obj):
        return _labels(Language, obj.languages)

    @admin.display(description="Can help with")
    def skill_names(self, obj):
        return _labels(Skill, obj.skills)

    @admin.display(description="Usually available (in their time zone)")
    def availability_table(self, obj):
        week = obj.weekly_availability or {}
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            (
                (
                    day_name,
                    ", ".join(f"{start}–{end}" for start, end in week.get(day) or [])
                    or "not available",
                )
                for day, day_name in onboarding.WEEKDAYS.items()
            ),
        )
        return format_html('<table class="availability">{}</table>', rows)

    @admin.display(description="Why they want to do this work")
    def motivation_text(self, obj):
        return format_html('<div class="motivation">{}</div>', obj.motivation or "—")


@admin.register(ApplicantAwaitingReview)
class ApplicantAwaitingReviewAdmin(ApplicationReadout, ReviewActions, NoAddMixin, admin.ModelAdmin):
    """The review queue: applicants who passed the quiz, longest waiting first. An
    applicant's page reads as the application and carries the decisions, which post to the
    queue's own actions (one path: the same services, audit rows and emails)."""

    list_display = [
        "__str__",
        "email",
        "segment",
        "country",
        "languages",
        "skills",
        "quiz_score",
        "in_review_since",
    ]
    list_display_links = ["__str__", "email"]
    list_filter = ["segment", "country"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "motivation"]
    list_select_related = ["user"]
    actions = ["approve", "reject", "send_back_to_training"]
    # The decisions the applicant's page offers: (action, button label), all list actions.
    page_decisions = [
        ("approve", "Approve"),
        ("reject", "Reject"),
        ("send_back_to_training", "Send back to training"),
    ]
    fieldsets = [
        ("Applicant", {"fields": ["full_name", "email", "segment", "country_name"]}),
        (
            "Work",
            {
                "fields": [
                    "language_names",
                    "skill_names",
                    "time_zone_readout",
                    "availability_table",
                ]
            },
        ),
        ("In their words", {"fields": ["motivation_text"]}),
        (
            "Vetting",
            {"fields": ["quiz_score", "email_verified_at", "created_at", "in_review_since"]},
        ),
    ]
    readonly_fields = [
        "full_name",
        "email",
        "segment",
        "country_name",
        "language_names",
        "skill_names",
        "time_zone_readout",
        "availability_table",
        "motivation_text",
        "quiz_score",
        "email_verified_at",
        "created_at",
        "in_review_since",
    ]
    inlines = [QuizAttemptInline, AgentStatusEventInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Review an application",
            # Nothing on the page is edited: the decisions below replace Save.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_decide": self.has_change_permission(request),
            "decisions": self.page_decisions,
            "decision_form": ReviewReasonForm(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        latest_attempt = QuizAttempt.objects.filter(agent=OuterRef("pk")).order_by(
            "-submitted_at", "-id"
        )
        entered_review = AgentStatusEvent.objects.filter(
            agent=OuterRef("pk"), to_status=Agent.Status.AWAITING_REVIEW
        ).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .filter(status=Agent.Status.AWAITING_REVIEW)
            .annotate(
                latest_score=Subquery(latest_attempt.values("score_percent")[:1]),
                entered_review_at=Subquery(entered_review.values("created_at")[:1]),
            )
            .order_by("entered_review_at", "pk")
        )

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description="Quiz score")
    def quiz_score(self, obj):
        return "—" if obj.latest_score is None else f"{obj.latest_score}%"

    @admin.display(description="Waiting since", ordering="entered_review_at")
    def in_review_since(self, obj):
        # Formatted here: the change page shows a method's value as text, unlocalized.
        at = obj.entered_review_at
        return "—" if at is None else date_format(timezone.localtime(at), "DATETIME_FORMAT")

    def has_delete_permission(self, request, obj=None):
        return False  # an applicant is rejected, with a reason, never deleted


@admin.register(AgentConnection)
class AgentConnectionAdmin(ViewOnlyAdmin):
    """Open agent sockets as presence sees them: opened by the sockets, forgotten when they
    close or fall silent (docs/reliability.md)."""

    list_display = ["agent", "channel_name", "opened_at", "heard_at"]
    list_select_related = ["agent__user"]
    search_fields = ["agent__user__email", "channel_name"]


@admin.register(AgentStatusEvent)
class AgentStatusEventAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ["agent", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["agent__user__email", "reason"]
    list_select_related = ["agent__user", "actor"]
    readonly_fields = ["agent", "from_status", "to_status", "actor", "reason", "created_at"]


@admin.register(AgentAvailabilityEvent)
class AgentAvailabilityEventAdmin(ViewOnlyAdmin):
    """Agents set away after missed offers, and back (docs/dispatch.md)."""

    list_display = ["agent", "from_availability", "to_availability", "actor", "created_at"]
    list_filter = ["to_availability"]
    search_fields = ["agent__user__email", "reason"]
    list_select_related = ["agent__user", "actor"]


# --- Training content ----------------------------------------------------------------------


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "position", "is_published"]
    list_editable = ["position", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}


class QuizChoiceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(kept) < 2:
            raise ValidationError("Give at least two answers.")
        if sum(bool(form.cleaned_data.get("is_correct")) for form in kept) != 1:
            raise ValidationError("Mark exactly one answer as correct.")

    def save_existing_objects(self, commit=True):
        # The database allows one correct answer per question; when the correct answer moves
        # from one choice to another, clear the old one first whatever the forms' order.
        if commit:
            losing = [
                form.instance.pk
                for form in self.initial_forms
                if form.cleaned_data
                and form.initial.get("is_correct")
                and not form.cleaned_data.get("is_correct")
            ]
            QuizChoice.objects.filter(pk__in=losing).update(is_correct=False)
        return super().save_existing_objects(commit)


class QuizChoiceInline(admin.TabularInline):
    model = QuizChoice
    formset = QuizChoiceFormSet
    extra = 3
    fields = ["text", "is_correct", "position"]


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["text", "choices__text"]
    inlines = [QuizChoiceInline]


@admin.register(QuizChoice)
class QuizChoiceAdmin(ViewOnlyAdmin):
    """Answers are edited with their question; this list is for finding one across questions.
    Changing the correct answer here, one choice at a time, would trip the one-correct
    constraint; the question's page changes them together."""

    list_display = ["text", "question", "is_correct", "position"]
    list_filter = ["is_correct", "question__is_active"]
    search_fields = ["text", "question__text"]
    list_select_related = ["question"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ViewOnlyAdmin):
    """Attempts are the record of vetting: they are read here, never edited."""

    list_display = ["agent", "submitted_at", "score_percent", "passed"]
    list_filter = ["passed"]
    search_fields = ["agent__user__email"]
    list_select_related = ["agent__user"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "agent",
        "submitted_at",
        "question_count",
        "correct_count",
        "score_percent",
        "pass_percent",
        "passed",
        "answers",
    ]
