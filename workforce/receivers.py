"""What workforce planning does when the apps below it ask or announce something
(docs/architecture.md). Connected in ``WorkforceConfig.ready``."""

from __future__ import annotations

from datetime import datetime

from django.dispatch import receiver

from tickets.signals import help_expected
from workforce import selectors


@receiver(help_expected, dispatch_uid="workforce.next_shift_for_waiting_customer")
def next_shift_for_waiting_customer(
    sender, *, language: str, skills: frozenset[str], now: datetime, **kwargs
) -> datetime | None:
    """Nobody who can take a ticket is online: the start of the next shift of someone who
    can is the customer's honest estimate (tickets.selectors.DispatchView)."""
    return selectors.next_shift_start_for(language=language, skills=skills, now=now)
