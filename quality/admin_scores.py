"""Agents' quality scores, thresholds and the consequences staff decide, in the admin; and
the quality metrics page (docs/quality.md §5 and §6)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from agents.models import Agent
from core.admin import ViewOnlyAdmin
from quality import charts, consequences, metrics
from quality.models import AgentQualityScore, ConsequenceProposal, QualityThresholds, Review

Status = ConsequenceProposal.Status


def _agent_link(agent: Agent) -> str:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:agents_agent_change", args=[agent.pk]), agent
    )


# --- Scores and the metrics page ------------------------------------------------------------


@admin.register(AgentQualityScore)
class AgentQualityScoreAdmin(ViewOnlyAdmin):
    """Computed daily by quality.scoring; read here, never edited."""

    list_display = [
        "agent_link",
        "day",
        "score",
        "tier",
        "tickets_resolved",
        "confirmed_resolution_pct",
        "reopen_pct",
        "csat_pct",
        "qa_pct",
        "offer_acceptance_pct",
    ]
    list_filter = ["day", "tier"]
    date_hierarchy = "day"
    search_fields = ["agent__user__email", "agent__user__first_name"]
    list_select_related = ["agent__user"]
    readonly_fields = [f.name for f in AgentQualityScore._meta.fields]
    change_list_template = "admin/quality/agentqualityscore/change_list.html"

    @admin.display(description="agent", ordering="agent")
    def agent_link(self, obj):
        return _agent_link(obj.agent)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.metrics_view)
        return [path("metrics/", view, name="quality_metrics"), *super().get_urls()]

    def metrics_view(self, request):
        """Confirmed resolutions, reopens, CSAT and QA by week, overall and by tier, topic
        and agent (quality.metrics)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = metrics.quality_metrics()
        # A topic or an agent picked in the tables is charted from the report, no new query.
        picked = None
        if "topic" in request.GET:
            picked = next((s for s in report.by_topic if s.key == request.GET["topic"]), None)
        elif "agent" in request.GET:
            picked = next((s for s in report.by_agent if s.key == request.GET["agent"]), None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Quality metrics",
            "report": report,
            "charts": charts.metric_charts(report),
            "picked_chart": picked and charts.series_chart(picked, week_starts=report.week_starts),
            "tier_rows": report.by_tier,
            "topic_rows": report.by_topic,
            "agent_rows": report.by_agent,
        }
        return TemplateResponse(request, "admin/quality/metrics.html", context)


# --- Thresholds -------------------------------------------------------------------------------


class QualityThresholdsForm(forms.ModelForm):
    class Meta:
        model = QualityThresholds
        fields = ["coaching_below", "probation_below", "suspension_below", "expert_from"]
        fields += ["min_tickets"]

    def clean(self):
        data = super().clean()
        order = ["suspension_below", "probation_below", "coaching_below", "expert_from"]
        values = [data.get(name) for name in order]
        if None not in values and not (values == sorted(values) and values[-1] <= 100):
            raise ValidationError(
                "The lines must go up in this order, none above 100: suspension below ≤ "
                "probation below ≤ coaching below ≤ expert from. "
                f"Now: {values[0]}, {values[1]}, {values[2]}, {values[3]}."
            )
        return data


@admin.register(QualityThresholds)
class QualityThresholdsAdmin(admin.ModelAdmin):
    """The one row: edited, never added or deleted."""

    form = QualityThresholdsForm
    list_display = [
        "__str__",
        "coaching_below",
        "probation_below",
        "suspension_below",
        "expert_from",
        "min_tickets",
    ]

    def has_add_permission(self, request) -> bool:
        # The row is seeded (quality/migrations/0002) and never deleted here. Asking whether
        # it exists would cost a query on every admin page: the sidebar asks each admin.
        return False

    def changelist_view(self, request, extra_context=None):
        """There is one row: the list opens it (made with the defaults if it went missing)."""
        thresholds = QualityThresholds.objects.order_by("pk").first()
        if thresholds is None:
            thresholds = QualityThresholds.objects.create()
        return redirect("admin:quality_qualitythresholds_change", thresholds.pk)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Consequences -----------------------------------------------------------------------------


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Recorded with the decision and, when you accept, emailed to the agent.",
    )


@admin.register(ConsequenceProposal)
class ConsequenceProposalAdmin(admin.ModelAdmin):
    """Open proposals first; each opens on a decision page (accept or dismiss, with a
    reason) through quality.consequences.consequence_decide. Proposals are never added,
    edited or deleted here."""

    list_display = [
        "agent_link",
        "kind",
        "status",
        "score",
        "proposed_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["agent__user__email", "agent__user__first_name"]
    list_select_related = ["agent__user", "decided_by"]
    decide_template = "admin/quality/consequenceproposal/decide.html"
    # Open ones first, newest first within each.
    ordering = [
        Case(
            When(status=Status.PROPOSED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "-proposed_at",
        "-id",
    ]

    @admin.display(description="agent", ordering="agent")
    def agent_link(self, obj):
        return _agent_link(obj.agent)

    @admin.display(description="score")
    def score(self, obj):
        return (obj.evidence or {}).get("score")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The decision page, in place of the model form."""
        proposal = get_object_or_404(
            ConsequenceProposal.objects.select_related("agent__user", "decided_by"),
            pk=object_id,
        )
        if not self.has_view_or_change_permission(request, proposal):
            raise PermissionDenied
        may_decide = proposal.status == Status.PROPOSED and self.has_change_permission(
            request, proposal
        )
        form = DecisionForm(request.POST if request.method == "POST" else None)
        error = None
        if request.method == "POST":
            if not may_decide:
                raise PermissionDenied
            accept = "_accept" in request.POST
            if not accept and "_dismiss" not in request.POST:
                error = "Choose Accept or Dismiss."
            elif form.is_valid():
                try:
                    consequences.consequence_decide(
                        proposal_id=proposal.pk,
                        decided_by=request.user,
                        accept=accept,
                        reason=form.cleaned_data["reason"],
                    )
                except consequences.ConsequenceError as refused:
                    error = str(refused)
                except ValidationError as refused:
                    error = " ".join(refused.messages)
                else:
                    proposal.refresh_from_db()
                    verb = "Accepted" if accept else "Dismissed"
                    self.log_change(
                        request,
                        proposal,
                        f"{verb} {proposal.get_kind_display().lower()}: {proposal.decision_reason}",
                    )
                    emailed = " The agent has been emailed." if accept else ""
                    self.message_user(
                        request,
                        f"{verb}: {proposal.get_kind_display().lower()} for {proposal.agent}."
                        f"{emailed}",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:quality_consequenceproposal_changelist")
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{proposal.get_kind_display()} proposed for {proposal.agent}",
            "proposal": proposal,
            "agent": proposal.agent,
            "evidence": evidence_readout(proposal),
            "form": form,
            "error": error,
            "may_decide": may_decide,
        }
        return TemplateResponse(request, self.decide_template, context)


def evidence_readout(proposal: ConsequenceProposal) -> dict:
    """The evidence as a person reads it: each component beside the average of every agent
    scored that day, the score against the thresholds, and the low-scored reviews."""
    evidence = proposal.evidence or {}
    components = evidence.get("components", {})
    averages = {}
    if evidence.get("day"):
        averages = AgentQualityScore.objects.filter(day=evidence["day"]).aggregate(
            **{name: Avg(name) for name, _ in consequences.COMPONENTS}
        )
    rows = [
        {
            "label": label,
            "value": components.get(name),
            "average": None if averages.get(name) is None else round(averages[name]),
            "lower_is_better": name == "reopen_pct",
        }
        for name, label in consequences.COMPONENTS
    ]
    thresholds = evidence.get("thresholds", {})
    score = evidence.get("score")
    lines = [
        (kind, thresholds.get(f"{key}_below"))
        for kind, key in (
            (ConsequenceProposal.Kind.COACHING, "coaching"),
            (ConsequenceProposal.Kind.PROBATION, "probation"),
            (ConsequenceProposal.Kind.SUSPENSION, "suspension"),
        )
    ]
    threshold_rows = [
        {
            "label": ConsequenceProposal.Kind(kind).label,
            "below": below,
            "crossed": score is not None and below is not None and score < below,
        }
        for kind, below in lines
    ]
    review_ids = evidence.get("low_review_ids", [])
    reviews = []
    for review in Review.objects.filter(pk__in=review_ids).order_by("score_pct", "pk"):
        try:
            url = reverse("admin:quality_review_change", args=[review.pk])
        except NoReverseMatch:  # the review admin not installed
            url = ""
        reviews.append({"review": review, "url": url})
    return {
        "day": evidence.get("day"),
        "score": score,
        "tier": evidence.get("tier"),
        "counts": evidence.get("counts", {}),
        "components": rows,
        "thresholds": threshold_rows,
        "min_tickets": thresholds.get("min_tickets"),
        "reviews": reviews,
    }
