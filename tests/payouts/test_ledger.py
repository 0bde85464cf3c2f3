"""The earnings ledger: what each event earns, written with the event, once."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payouts import ledger
from payouts.models import EarningLine, RateCardEntry
from tests.factories import (
    AgentFactory,
    EarningLineFactory,
    QueuedTicketFactory,
    RateCardFactory,
)
from tickets import services as ticket_services
from tickets.models import Ticket
from workforce.models import SurgePeriod

pytestmark = pytest.mark.django_db

Kind = EarningLine.Kind


def resolved_ticket(agent=None, **ticket_fields) -> Ticket:
    ticket = QueuedTicketFactory(**ticket_fields)
    agent = agent or AgentFactory(skills=ticket.required_skills, languages=[ticket.language])
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    return ticket_services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


def test_resolving_a_ticket_writes_its_pay_line_by_priority(settings):
    settings.PAYOUT_HOLD_HOURS = 24
    card = RateCardFactory()

    ticket = resolved_ticket(priority=Ticket.Priority.HIGH)

    line = EarningLine.objects.get(ticket=ticket, kind=Kind.TICKET)
    assert line.amount_cents == 500
    assert line.currency == "usd"
    assert line.agent_id == ticket.agent_id
    assert line.rate_card == card
    assert line.status == EarningLine.Status.UNCONFIRMED
    assert (line.resolution, line.source_key) == (1, f"ticket:{ticket.pk}")
    assert line.available_at == ticket.resolved_at + timedelta(hours=24)


def test_a_skill_entry_pays_instead_of_the_any_skill_entry_when_the_ticket_needs_it():
    RateCardFactory(entries={(3, ""): 500, (3, "fraud"): 700, (3, "billing"): 650})

    ticket = resolved_ticket(priority=Ticket.Priority.HIGH, required_skills=["fraud"])

    assert EarningLine.objects.get(ticket=ticket).amount_cents == 700


def test_the_card_in_effect_when_the_ticket_was_resolved_sets_the_amount():
    RateCardFactory(effective_from=timezone.now() - timedelta(days=30))
    RateCardFactory(effective_from=timezone.now() - timedelta(days=1), entries={(2, ""): 333})
    RateCardFactory(effective_from=timezone.now() + timedelta(days=1), entries={(2, ""): 999})

    ticket = resolved_ticket(priority=Ticket.Priority.NORMAL)

    assert EarningLine.objects.get(ticket=ticket).amount_cents == 333


def test_a_ticket_claimed_during_a_surge_is_paid_with_the_multiplier():
    RateCardFactory(surge_multiplier_pct=150, entries={(2, ""): 301})
    SurgePeriod.objects.create(language="en", started_at=timezone.now() - timedelta(minutes=5))

    ticket = resolved_ticket(priority=Ticket.Priority.NORMAL, language="en")

    line = EarningLine.objects.get(ticket=ticket)
    assert line.surge_applied is True
    assert line.amount_cents == 452  # 301 × 1.5 = 451.5, rounded half up, in integers


def test_a_surge_of_another_language_does_not_apply():
    RateCardFactory(entries={(2, ""): 300})
    SurgePeriod.objects.create(language="es", started_at=timezone.now() - timedelta(minutes=5))

    ticket = resolved_ticket(priority=Ticket.Priority.NORMAL, language="en")

    line = EarningLine.objects.get(ticket=ticket)
    assert (line.surge_applied, line.amount_cents) == (False, 300)


def test_a_ticket_without_a_rate_still_gets_a_visible_zero_line():
    RateCardFactory(entries={(1, ""): 200})

    ticket = resolved_ticket(priority=Ticket.Priority.URGENT)

    line = EarningLine.objects.get(ticket=ticket)
    assert line.amount_cents == 0
    assert "no rate" in line.description


def test_the_database_refuses_a_second_pay_line_for_one_resolution_of_a_ticket():
    RateCardFactory()
    ticket = resolved_ticket()
    line = EarningLine.objects.get(ticket=ticket)

    with pytest.raises(IntegrityError), transaction.atomic():
        EarningLine.objects.create(
            agent_id=line.agent_id,
            kind=Kind.TICKET,
            ticket=ticket,
            amount_cents=1,
            currency="usd",
            description="a second line",
            source_key="something-else",
            resolution=1,
            earned_at=line.earned_at,
            available_at=line.available_at,
        )


def test_creating_the_pay_line_again_returns_the_first():
    RateCardFactory()
    ticket = resolved_ticket()

    again = ledger.ticket_pay_line_create(ticket=ticket)

    assert EarningLine.objects.filter(ticket=ticket).count() == 1
    assert again.pk == EarningLine.objects.get(ticket=ticket).pk


def test_a_five_star_rating_of_a_confirmed_resolution_adds_a_bonus_line_of_its_own():
    RateCardFactory(top_rating_bonus_cents=75)
    ticket = resolved_ticket()
    ticket_services.ticket_resolution_confirm(token=ticket.token, solved=True)

    ticket_services.ticket_rate(token=ticket.token, score=5)

    bonus = EarningLine.objects.get(ticket=ticket, kind=Kind.TOP_RATING_BONUS)
    assert bonus.amount_cents == 75
    assert bonus.agent_id == ticket.agent_id


def test_a_four_star_rating_earns_no_bonus():
    RateCardFactory(top_rating_bonus_cents=75)
    ticket = resolved_ticket()

    ticket_services.ticket_rate(token=ticket.token, score=4)

    assert not EarningLine.objects.filter(kind=Kind.TOP_RATING_BONUS).exists()


def test_a_completed_shift_bonus_is_written_once_however_often_it_is_asked_for():
    RateCardFactory(shift_completion_bonus_cents=300)
    agent = AgentFactory()
    now = timezone.now()

    ledger.shift_bonus_line_create(agent_id=agent.pk, assignment_id=41, earned_at=now)
    ledger.shift_bonus_line_create(agent_id=agent.pk, assignment_id=41, earned_at=now)

    line = EarningLine.objects.get(kind=Kind.SHIFT_BONUS)
    assert (line.agent_id, line.amount_cents, line.source_key) == (agent.pk, 300, "shift:41")


@pytest.mark.parametrize(
    ("amount", "description", "code"),
    [(0, "fix", "zero_adjustment"), (500, "   ", "no_description")],
)
def test_an_adjustment_without_an_amount_or_a_reason_is_refused(amount, description, code):
    agent = AgentFactory()

    with pytest.raises(ledger.PayoutError) as refused:
        ledger.adjustment_line_create(
            agent_id=agent.pk, amount_cents=amount, description=description
        )

    assert refused.value.code == code
    assert not EarningLine.objects.exists()


def test_an_adjustment_is_a_new_line_that_waits_out_the_hold(settings):
    settings.PAYOUT_HOLD_HOURS = 24
    agent = AgentFactory()

    line = ledger.adjustment_line_create(
        agent_id=agent.pk, amount_cents=-250, description="Refund dispute on ticket 12"
    )

    assert line.kind == Kind.ADJUSTMENT
    assert line.amount_cents == -250
    assert line.status == EarningLine.Status.PENDING
    assert line.source_key == f"adjustment:{line.source_key.split(':', 1)[1]}"


def test_lines_become_payable_when_their_hold_ends():
    now = timezone.now()
    ended = EarningLineFactory(status="pending", available_at=now - timedelta(seconds=1))
    running = EarningLineFactory(status="pending", available_at=now + timedelta(hours=1))

    released = ledger.earning_lines_release_held(now=now)

    assert released == 1
    ended.refresh_from_db()
    running.refresh_from_db()
    assert (ended.status, running.status) == ("payable", "pending")


def test_a_zero_hold_makes_a_resolved_ticket_payable_at_the_next_release(settings):
    settings.PAYOUT_HOLD_HOURS = 0
    RateCardFactory()
    ticket = resolved_ticket()
    ticket_services.ticket_resolution_confirm(token=ticket.token, solved=True)

    ledger.earning_lines_release_held()

    assert EarningLine.objects.get(ticket=ticket).status == EarningLine.Status.PAYABLE


def test_rate_card_entries_are_unique_per_priority_and_skill():
    card = RateCardFactory(entries={(2, ""): 300})

    with pytest.raises(IntegrityError), transaction.atomic():
        RateCardEntry.objects.create(rate_card=card, priority=2, skill="", amount_cents=1)


# --- The quality tier's multiplier ------------------------------------------------------------


def test_an_expert_s_pay_line_carries_the_expert_multiplier_and_names_it():
    RateCardFactory(expert_multiplier_pct=110, entries={(2, ""): 305})
    expert = AgentFactory(quality_tier="expert")

    ticket = resolved_ticket(expert, priority=Ticket.Priority.NORMAL)

    line = EarningLine.objects.get(ticket=ticket)
    assert line.amount_cents == 336  # 305 × 1.1 = 335.5, rounded half up, in integers
    assert line.description.endswith(", expert ×1.1")


def test_a_probation_multiplier_below_one_lowers_the_pay():
    RateCardFactory(probation_multiplier_pct=90, entries={(2, ""): 300})
    on_probation = AgentFactory(quality_tier="probation")

    ticket = resolved_ticket(on_probation, priority=Ticket.Priority.NORMAL)

    line = EarningLine.objects.get(ticket=ticket)
    assert (line.amount_cents, line.description.endswith(", probation ×0.9")) == (270, True)


def test_a_tier_paid_at_1x_is_not_named_on_the_line():
    RateCardFactory(standard_multiplier_pct=100, entries={(2, ""): 300})

    ticket = resolved_ticket(AgentFactory(quality_tier="standard"), priority=2)

    line = EarningLine.objects.get(ticket=ticket)
    assert (line.amount_cents, line.description) == (300, f"Ticket #{ticket.pk} (normal priority)")


def test_surge_and_tier_multiply_together_with_one_rounding():
    RateCardFactory(surge_multiplier_pct=150, expert_multiplier_pct=110, entries={(2, ""): 303})
    SurgePeriod.objects.create(language="en", started_at=timezone.now() - timedelta(minutes=5))

    ticket = resolved_ticket(AgentFactory(quality_tier="expert"), priority=2, language="en")

    line = EarningLine.objects.get(ticket=ticket)
    # 303 × 1.5 × 1.1 = 499.95 → 500; rounding after the surge (455) would give 500.5 → 501.
    assert line.amount_cents == 500
    assert line.description.endswith(", surge ×1.5, expert ×1.1")


def test_the_tier_multiplier_is_the_tier_s_at_the_resolve():
    RateCardFactory(expert_multiplier_pct=120, entries={(2, ""): 300})
    agent = AgentFactory(quality_tier="standard")
    ticket = QueuedTicketFactory(priority=2)
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    agent.quality_tier = "expert"
    agent.save(update_fields=["quality_tier"])

    ticket_services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    assert EarningLine.objects.get(ticket=ticket).amount_cents == 360


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("probation", 95), ("standard", 100), ("expert", 115), (None, 100)],
)
def test_each_tier_has_its_multiplier_from_the_card(tier, expected):
    card = RateCardFactory(
        probation_multiplier_pct=95, standard_multiplier_pct=100, expert_multiplier_pct=115
    )

    assert ledger.tier_multiplier_pct(card, tier) == expected
    assert ledger.tier_multipliers_at(timezone.now()) == {
        "probation": 95,
        "standard": 100,
        "expert": 115,
    }


def test_without_a_card_every_tier_is_paid_at_1x():
    assert ledger.tier_multiplier_pct(None, "expert") == 100
