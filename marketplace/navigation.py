"""The site header's links: what each visitor can open from any page.

Who is logged in decides them: a visitor sees the chat, "become an agent" and the login; an
agent sees the portal once it may work (its application's status until then); staff see the
admin. The agent is looked up only when a template asks, so pages without a header (and
anonymous visitors) pay no query for it.
"""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from agents.models import Agent


def _agent_of(request: HttpRequest) -> Agent | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Agent.objects.filter(user_id=user.pk).only("id", "status").first()


def header_links(request: HttpRequest) -> dict:
    """Context processor: ``nav_agent``, the logged-in user's agent row or None (lazily)."""
    return {"nav_agent": SimpleLazyObject(lambda: _agent_of(request))}
