"""The agent portal's pages. The live work happens over the agent socket (docs/protocol.md);
these views only decide who may open the portal and hand the page what it starts with."""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from agents import onboarding
from agents.models import Agent
from agents.vocabulary import Skill
from tickets.models import CannedReply
from tickets.selectors import agent_offer_acceptance, agent_performance
from workforce.surge import surges_open_for

# What the release dialog offers; the chosen one is sent as the release frame's reason and
# recorded on the ticket's event row (docs/protocol.md). "Other" lets the agent write one.
# The recorded reason stays English, whatever the agent's language (staff read the event
# rows); the dialog shows each in the page's language.
RELEASE_REASONS = [
    gettext_noop("Needs a language or skill I don't have"),
    gettext_noop("Needs a specialist team (fraud, disputes)"),
    gettext_noop("I have to step away"),
]


def _portal_agent_or_refusal(request) -> tuple[Agent | None, object | None]:
    """The agent behind the request, or the response that sends everyone else away."""
    agent = Agent.objects.select_related("user").filter(user_id=request.user.pk).first()
    if agent is None:
        return None, render(request, "portal/refused.html", {"reason": "not_agent"}, status=403)
    if agent.status in (Agent.Status.SUSPENDED, Agent.Status.REJECTED):
        return None, render(
            request, "portal/refused.html", {"reason": agent.status, "agent": agent}, status=403
        )
    next_step = onboarding.next_step_url(agent)
    if next_step is not None:
        return None, redirect(next_step)
    return agent, None


def agent_portal_view(view):
    """A portal page: log in first, then working agents only; everyone else is sent away.
    The view is called with the agent after the request."""

    @login_required
    @functools.wraps(view)
    def page(request, *args, **kwargs):
        agent, refusal = _portal_agent_or_refusal(request)
        if refusal is not None:
            return refusal
        return view(request, agent, *args, **kwargs)

    return page


@agent_portal_view
def portal(request, agent):
    canned = list(
        CannedReply.objects.filter(is_active=True, language__in=agent.languages)
        .order_by("title")
        .values("title", "body")
    )
    config = {
        "agentId": agent.pk,
        "agentName": agent.display_name,
        "capacity": agent.capacity,
        "wsPath": "/ws/agent/",
        "heartbeatSeconds": settings.AGENT_HEARTBEAT_SECONDS,
        "routingMode": settings.ROUTING_MODE,
        "canned": canned,
        # Names for the skill codes of the queue's "waiting for agents with …" hint.
        "skillLabels": dict(Skill.choices),
    }
    return render(
        request,
        "portal/portal.html",
        {
            "agent": agent,
            "config": config,
            "payout_setup_url": onboarding.payout_setup_url(agent),
            "surges": surges_open_for(agent=agent),
            "release_reasons": [
                {"value": reason, "label": gettext(reason)} for reason in RELEASE_REASONS
            ],
        },
    )


@agent_portal_view
def profile(request, agent):
    return render(
        request,
        "portal/profile.html",
        {
            "agent": agent,
            "performance": agent_performance(agent=agent),
            "acceptance": agent_offer_acceptance(agent_id=agent.pk, now=timezone.now()),
        },
    )
