"""The routing mode (settings.ROUTING_MODE, docs/dispatch.md) as the code asks about it."""

from django.conf import settings


def offers_routing() -> bool:
    """True when the dispatcher offers tickets to agents (offer and hybrid)."""
    return settings.ROUTING_MODE != "pick"


def queue_frames_routing() -> bool:
    """True when agents are sent the queue ticket by ticket (pick and hybrid); in offer
    routing they get a digest of it instead (docs/protocol.md)."""
    return settings.ROUTING_MODE != "offer"
