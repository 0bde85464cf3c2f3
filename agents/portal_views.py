"""The agent portal's pages. The live work happens over the agent socket (docs/protocol.md);
these views only decide who may open the portal and hand the page what it starts with."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from agents import onboarding
from agents.models import Agent
from agents.surge import surges_open_for


def portal_agent_or_refusal(request) -> tuple[Agent | None, object | None]:
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


@login_required
def portal(request):
    agent, refusal = portal_agent_or_refusal(request)
    if refusal is not None:
        return refusal
    from tickets.models import CannedReply

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
        "canned": canned,
    }
    return render(
        request,
        "portal/portal.html",
        {
            "agent": agent,
            "config": config,
            "payout_setup_url": onboarding.payout_setup_url(agent),
            "surges": surges_open_for(agent=agent),
        },
    )


@login_required
def profile(request):
    agent, refusal = portal_agent_or_refusal(request)
    if refusal is not None:
        return refusal
    from agents.selectors import agent_performance

    return render(
        request,
        "portal/profile.html",
        {"agent": agent, "performance": agent_performance(agent=agent)},
    )
