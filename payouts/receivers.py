"""Payouts listens: what other apps announce that earns an agent money, or asks for it.

Nobody calls payouts; the apps below it announce what happened (``tickets.signals``,
``workforce.signals``) inside the transaction of the change, and the receivers here write
the ledger line in that same transaction, so the change and its line commit together or
not at all. Connected in ``PayoutsConfig.ready``.
"""

from django.dispatch import receiver

from core.jobs import enqueue_on_commit
from payouts import ledger
from tickets.signals import ticket_rated, ticket_resolved
from workforce.signals import shift_completed, surge_started


@receiver(ticket_resolved, dispatch_uid="payouts.ticket_pay_line")
def write_ticket_pay_line(sender, *, ticket, **kwargs) -> None:
    ledger.ticket_pay_line_create(ticket=ticket)


@receiver(ticket_rated, dispatch_uid="payouts.top_rating_bonus")
def write_top_rating_bonus_line(sender, *, ticket, **kwargs) -> None:
    ledger.top_rating_bonus_line_create(ticket=ticket)


@receiver(shift_completed, dispatch_uid="payouts.shift_bonus")
def write_shift_bonus_line(sender, *, agent_id, assignment_id, ended_at, **kwargs) -> None:
    ledger.shift_bonus_line_create(
        agent_id=agent_id, assignment_id=assignment_id, earned_at=ended_at
    )


@receiver(surge_started, dispatch_uid="payouts.surge_offers")
def email_surge_offers(sender, *, surge_period_id, **kwargs) -> None:
    enqueue_on_commit("agents.tasks.send_surge_offers", surge_period_id)
