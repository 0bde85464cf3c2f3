"""The agent's "My quality" page: its scored reviews, and disputing one (portal/views.py
decides who may see it). Only the agent's own reviews, and never a customer's identity:
what the page shows comes from quality.selectors.agent_review_cards."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from payouts.ledger import tier_multipliers_at
from payouts.money import format_multiplier
from portal.forms import DisputeForm
from portal.views import agent_portal_view
from quality import reviews, selectors
from quality.charts import agent_quality_trend_context


def _page(request, agent, *, status: int = 200, refused_review_id: int | None = None, form=None):
    score_card = selectors.agent_score_card(agent_id=agent.pk)
    return render(
        request,
        "portal/quality.html",
        {
            "agent": agent,
            "cards": selectors.agent_review_cards(agent_id=agent.pk),
            "waiting": selectors.agent_reviews_waiting(agent_id=agent.pk),
            "quality_trend": agent_quality_trend_context(agent_id=agent.pk),
            "score_card": score_card,
            "tier_pay_multiplier": format_multiplier(
                tier_multipliers_at(timezone.now())[score_card.tier]
            ),
            "refused_review_id": refused_review_id,
            "refused_form": form,
        },
        status=status,
    )


@agent_portal_view
@require_safe
def quality(request, agent):
    return _page(request, agent)


@agent_portal_view
@require_POST
def dispute(request, agent, review_id: int):
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _page(request, agent, status=400, refused_review_id=review_id, form=form)
    try:
        reviews.review_dispute(
            review_id=review_id, agent_id=agent.pk, reason=form.cleaned_data["reason"]
        )
    except reviews.ReviewNotFound:
        raise Http404("No such review.") from None
    except reviews.ReviewError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            gettext(
                "Your dispute is sent. A second reviewer will settle it and you'll see it here."
            ),
        )
    return redirect("portal-quality")
