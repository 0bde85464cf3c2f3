"""The review queue in the admin: scoring a conversation on the rubric, settling disputes.

The review's page is our own (admin/quality/review.html), not a change form: a reviewer
reads the transcript with the agents' private notes, then scores it or settles its dispute,
each through quality.reviews. Reading takes the view permission on reviews, scoring and
settling the change permission; agents are not staff, so never get here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html

from core.admin import NoAddMixin
from quality import reviews, selectors
from quality.models import Dispute, Review, RubricCriterion
from tickets.models import Complaint


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    """Operators edit the rubric; a criterion no longer wanted is made inactive, not
    deleted, so the reviews scored on it keep it."""

    list_display = ["name", "weight", "position", "is_active"]
    list_editable = ["weight", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "guidance"]
    fields = ["name", "guidance", "weight", "position", "is_active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReviewStatusFilter(admin.SimpleListFilter):
    """Status, defaulting to the queue: what a reviewer opens the list for."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Review.Status.choices, (self.ALL, "All")]

    def choices(self, changelist):
        current = self.value() or Review.Status.QUEUED
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or Review.Status.QUEUED
        if value == self.ALL:
            return queryset
        if value not in Review.Status.values:
            return queryset.none()
        return queryset.filter(status=value)


@admin.register(Review)
class ReviewAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "ticket_number",
        "agent",
        "reason",
        "status",
        "score_pct",
        "created_at",
    ]
    list_filter = [ReviewStatusFilter, "reason", ("agent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agent__user"]
    search_fields = ["agent__user__email", "ticket__topic"]
    date_hierarchy = "created_at"
    review_template = "admin/quality/review.html"

    @admin.display(description="Ticket", ordering="ticket_id")
    def ticket_number(self, review: Review) -> str:
        return format_html("#{}", review.ticket_id)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        if review is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, review):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            if not self.has_change_permission(request, review):
                raise PermissionDenied
            try:
                done = self._act(request, review)
            except reviews.ReviewError as refusal:
                messages.error(request, str(refusal))
                status = 400
            else:
                messages.success(request, done)
                return HttpResponseRedirect(request.path)
        return TemplateResponse(
            request, self.review_template, self._context(request, review), status=status
        )

    def _act(self, request, review: Review) -> str:
        action = request.POST.get("action")
        if action == "score":
            reviews.review_score(
                review_id=review.pk,
                reviewer=request.user,
                scores=_posted_scores(request.POST),
                comments=request.POST.get("comments", ""),
            )
            return f"{review} scored. The agent now sees it on My quality."
        if action == "settle":
            outcome = request.POST.get("outcome", "")
            reviews.review_settle(
                review_id=review.pk,
                settler=request.user,
                outcome=outcome,
                note=request.POST.get("note", ""),
                revised_score_pct=_posted_percent(request.POST.get("revised_score_pct", ""))
                if outcome == Dispute.Outcome.REVISED
                else None,
            )
            return f"The dispute of {review} is settled."
        raise reviews.ReviewError("Score the review or settle its dispute.")

    def _context(self, request, review: Review) -> dict:
        review = (
            Review.objects.select_related("ticket", "agent__user", "reviewer")
            .prefetch_related("scores__criterion")
            .get(pk=review.pk)
        )
        dispute = Dispute.objects.select_related("settled_by").filter(review=review).first()
        may_change = self.has_change_permission(request, review)
        posted = request.POST if request.method == "POST" else {}
        return {
            **self.admin_site.each_context(request),
            "title": str(review),
            "opts": self.opts,
            "review": review,
            "ticket": review.ticket,
            "complaint": Complaint.objects.filter(ticket_id=review.ticket_id).first(),
            "transcript": selectors.review_transcript(ticket_id=review.ticket_id),
            # What a refused form had, so the reviewer corrects it instead of starting over.
            "criteria": [
                (c, posted.get(f"score-{c.pk}", ""), posted.get(f"comment-{c.pk}", ""))
                for c in RubricCriterion.objects.filter(is_active=True)
            ],
            "score_choices": [str(n) for n in range(reviews.SCORE_MIN, reviews.SCORE_MAX + 1)],
            "posted": posted,
            "dispute": dispute,
            "may_score": may_change and review.status == Review.Status.QUEUED,
            "may_settle": may_change
            and review.status == Review.Status.DISPUTED
            and review.reviewer_id != request.user.pk,
            "scored_it": review.reviewer_id == request.user.pk,
        }


def _posted_scores(post) -> dict[int, reviews.CriterionScore]:
    """The form's ``score-<criterion id>`` and ``comment-<criterion id>`` fields; the
    service decides whether they are the rubric, complete and in range."""
    scores = {}
    for key, value in post.items():
        if not key.startswith("score-") or value == "":
            continue
        try:
            criterion_id, score = int(key.removeprefix("score-")), int(value)
        except ValueError:
            raise reviews.ReviewError("A score is a whole number from 1 to 5.") from None
        scores[criterion_id] = reviews.CriterionScore(
            score, post.get(f"comment-{criterion_id}", "")
        )
    return scores


def _posted_percent(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
