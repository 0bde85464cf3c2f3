from datetime import timedelta

import factory
from django.utils import timezone

from agents.models import Agent, User
from tickets.models import KnowledgeArticle, Offer, Ticket
from workforce.models import ShiftAssignment, ShiftSlot

PASSWORD = "correct horse battery staple"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(factory.django.DjangoModelFactory):
    """An active agent, online, speaking English with general skills."""

    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory)
    status = Agent.Status.ACTIVE
    languages = factory.LazyFunction(lambda: ["en"])
    skills = factory.LazyFunction(lambda: ["general"])
    capacity = 3
    is_online = True
    connection_count = 1
    last_seen_at = factory.LazyFunction(timezone.now)


class TicketFactory(factory.django.DjangoModelFactory):
    """A conversation still with the assistant."""

    class Meta:
        model = Ticket

    customer_name = factory.Faker("name")
    customer_email = factory.Faker("email")
    language = "en"
    topic = "billing"


class QueuedTicketFactory(TicketFactory):
    status = Ticket.Status.QUEUED
    escalated_at = factory.LazyFunction(timezone.now)
    escalation_reason = Ticket.EscalationReason.CUSTOMER_REQUEST
    required_skills = factory.LazyFunction(lambda: ["general"])
    summary = "Customer asks about a double charge."


class OfferFactory(factory.django.DjangoModelFactory):
    """A pending offer of a queued ticket to an agent, made just now (tickets.dispatch makes
    the real ones; this is for setting up a state directly)."""

    class Meta:
        model = Offer

    ticket = factory.SubFactory(QueuedTicketFactory)
    agent = factory.SubFactory(AgentFactory)
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda offer: offer.sent_at + timedelta(seconds=15))


class DecidedOfferFactory(OfferFactory):
    """An offer already answered (accepted by default), a few seconds after it was sent; a
    decline gets a reason. Pass ``outcome`` and, to age it, ``sent_at``."""

    outcome = Offer.Outcome.ACCEPTED
    decided_at = factory.LazyAttribute(lambda offer: offer.sent_at + timedelta(seconds=5))
    decline_reason = factory.LazyAttribute(
        lambda offer: Offer.DeclineReason.BUSY if offer.outcome == Offer.Outcome.DECLINED else ""
    )


class KnowledgeArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    title = factory.Sequence(lambda n: f"Article {n}")
    body = "How to reset your password: open Settings, then Security, then Reset."
    topic = "accounts"
    language = "en"
    keywords = "password, reset, login"


# --- Quality reviews ------------------------------------------------------------------------


class ResolvedTicketFactory(TicketFactory):
    """A conversation an agent resolved just now (set up directly, without the signals)."""

    status = Ticket.Status.RESOLVED
    agent = factory.SubFactory(AgentFactory)
    resolved_by = factory.SelfAttribute("agent")
    escalated_at = factory.LazyFunction(timezone.now)
    claimed_at = factory.LazyFunction(timezone.now)
    resolved_at = factory.LazyFunction(timezone.now)


def ensure_default_rubric() -> None:
    """The rubric quality's data migration seeds, again: a test on ``transaction=True`` (and
    every browser test) flushes the tables after it, taking the seeded rows with them."""
    from importlib import import_module

    from quality.models import RubricCriterion

    seeded = import_module("quality.migrations.0002_default_rubric").DEFAULT_RUBRIC
    for position, (name, guidance) in enumerate(seeded):
        RubricCriterion.objects.get_or_create(
            name=name, defaults={"guidance": guidance, "position": position}
        )


class ReviewFactory(factory.django.DjangoModelFactory):
    """A queued review of a resolved conversation (score it with quality.reviews)."""

    class Meta:
        model = "quality.Review"

    ticket = factory.SubFactory(ResolvedTicketFactory)
    agent = factory.SelfAttribute("ticket.agent")
    reason = "sample"


# --- Payouts --------------------------------------------------------------------------------


class RateCardFactory(factory.django.DjangoModelFactory):
    """A card in effect since 2020 paying 200/300/500/800 cents by priority, any skill."""

    class Meta:
        model = "payouts.RateCard"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rates {n}")
    effective_from = factory.LazyFunction(lambda: timezone.now().replace(year=2020, month=1, day=1))
    currency = "usd"
    top_rating_bonus_cents = 50
    shift_completion_bonus_cents = 300
    surge_multiplier_pct = 150
    instant_payout_fee_bps = 150
    instant_payout_fee_min_cents = 50

    @factory.post_generation
    def entries(obj, create, extracted, **kwargs):
        if not create:
            return
        from payouts.models import RateCardEntry

        amounts = (
            extracted
            if extracted is not None
            else {(1, ""): 200, (2, ""): 300, (3, ""): 500, (4, ""): 800}
        )
        RateCardEntry.objects.bulk_create(
            RateCardEntry(rate_card=obj, priority=priority, skill=skill, amount_cents=cents)
            for (priority, skill), cents in amounts.items()
        )


class PayableAgentFactory(AgentFactory):
    """An active agent whose Stripe account can receive payouts (pass the fake's account)."""

    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:08d}")
    payouts_enabled = True


class EarningLineFactory(factory.django.DjangoModelFactory):
    """A payable line of one adjustment, earned yesterday."""

    class Meta:
        model = "payouts.EarningLine"

    agent = factory.SubFactory(PayableAgentFactory)
    kind = "adjustment"
    status = "payable"
    amount_cents = 1500
    currency = "usd"
    description = "Test earnings"
    source_key = factory.Sequence(lambda n: f"test-line:{n}")
    earned_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    available_at = factory.LazyAttribute(lambda line: line.earned_at)


class ShiftSlotFactory(factory.django.DjangoModelFactory):
    """A four-hour English general shift starting tomorrow, for two agents."""

    class Meta:
        model = ShiftSlot

    # Each new slot four hours after the last, wrapping after twelve days so that a slot made
    # late in a long run still falls inside the two weeks the shifts page lists.
    starts_at = factory.Sequence(
        lambda n: (
            timezone.now().replace(minute=0, second=0, microsecond=0)
            + timedelta(days=1, hours=4 * (n % 72))
        )
    )
    ends_at = factory.LazyAttribute(lambda slot: slot.starts_at + timedelta(hours=4))
    language = "en"
    skill = "general"
    headcount_required = 2


class ShiftAssignmentFactory(factory.django.DjangoModelFactory):
    """An open offer of a slot to an agent, answerable for a day."""

    class Meta:
        model = ShiftAssignment

    slot = factory.SubFactory(ShiftSlotFactory)
    agent = factory.SubFactory(AgentFactory)
    state = ShiftAssignment.State.OFFERED
    source = ShiftAssignment.Source.MATCHED
    offer_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


def load_demo_help_centre() -> None:
    """The demo help centre, loaded as seed_demo loads it, and its vectors stored so that a
    server process started by the test answers at once (use with the assistant_warm fixture,
    or the vectors are computed here, ~10 s)."""
    from tickets import assistant_flow, knowledge
    from tickets.assistant.demo_articles import DEMO_HELP_CENTRE_PATH

    knowledge.knowledge_import(entries=knowledge.knowledge_path_read(path=DEMO_HELP_CENTRE_PATH))
    assistant_flow.assistant_prepare()


# --- Quality: resolved tickets, reviews, scores and proposals ------------------------------


class ResolvedTicketFactory(TicketFactory):
    """A conversation an agent resolved just now, not yet confirmed."""

    status = Ticket.Status.RESOLVED
    agent = factory.SubFactory(AgentFactory)
    resolved_by = factory.SelfAttribute("agent")
    escalated_at = factory.LazyFunction(timezone.now)
    claimed_at = factory.LazyFunction(timezone.now)
    resolved_at = factory.LazyFunction(timezone.now)


class QualityReviewFactory(factory.django.DjangoModelFactory):
    """A scored review of a resolved ticket, of the agent who resolved it."""

    class Meta:
        model = "quality.Review"

    ticket = factory.SubFactory(ResolvedTicketFactory)
    agent = factory.SelfAttribute("ticket.resolved_by")
    reason = "sample"
    status = "scored"
    reviewer = factory.SubFactory(UserFactory, is_staff=True)
    score_pct = 80
    scored_at = factory.LazyFunction(timezone.now)


class QualityScoreFactory(factory.django.DjangoModelFactory):
    """An agent's score for today: 30 tickets resolved, every component and the score 60."""

    class Meta:
        model = "quality.AgentQualityScore"

    agent = factory.SubFactory(AgentFactory, quality_tier=Agent.QualityTier.STANDARD)
    day = factory.LazyFunction(lambda: timezone.now().date())
    tickets_resolved = 30
    confirmed_resolution_pct = 60
    reopen_pct = 10
    csat_pct = 60
    qa_pct = 60
    offer_acceptance_pct = 60
    score = 60
    tier = "standard"


class ConsequenceProposalFactory(factory.django.DjangoModelFactory):
    """An open proposal of coaching, on a score of 60."""

    class Meta:
        model = "quality.ConsequenceProposal"

    agent = factory.SubFactory(AgentFactory, quality_tier=Agent.QualityTier.STANDARD)
    kind = "coaching"
    evidence = factory.LazyFunction(lambda: {"score": 60})
