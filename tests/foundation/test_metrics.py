import math
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from payouts.models import Payout
from tests.factories import (
    AgentFactory,
    DecidedOfferFactory,
    KnowledgeArticleFactory,
    OfferFactory,
    QueuedTicketFactory,
    TicketFactory,
)
from tickets.models import AnswerFeedback, Message, Offer, Ticket

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"  # noqa: S105 - a test value
# One aggregated query per figure: queue, offers, claim latency, messages, escalations,
# answer feedback, payouts, agents online; and the cockpit's alerts (the queue read above,
# the online agents with their chats, the day's failed payouts).
SCRAPE_QUERIES = 10


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def ago(**delta) -> datetime:
    return timezone.now() - timedelta(**delta)


def message(ticket: Ticket, *, sender: str, created_at=None, article=None) -> Message:
    ticket.last_seq += 1
    ticket.save(update_fields=["last_seq"])
    stored = Message.objects.create(
        ticket=ticket, seq=ticket.last_seq, sender=sender, body="…", article=article
    )
    if created_at is not None:
        Message.objects.filter(pk=stored.pk).update(created_at=created_at)
    return stored


def payout(*, status: str, n: int) -> Payout:
    return Payout.objects.create(
        agent=AgentFactory(),
        status=status,
        amount_cents=1500,
        currency="usd",
        destination="acct_test",
        requested_on=timezone.now().date(),
        stripe_transfer_id=f"tr_test{n}" if status == Payout.Status.PAID else "",
    )


def test_it_is_not_found_while_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404


def test_it_refuses_a_wrong_token(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_missing_token_and_other_schemes(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401


def test_it_refuses_post(client, metrics_token):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_it_answers_the_right_token_in_the_text_exposition_format(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert names == {
        "humanline_queue_waiting",
        "humanline_queue_oldest_wait_seconds",
        "humanline_offers_last_hour",
        "humanline_claim_latency_seconds",
        "humanline_messages_last_minute",
        "humanline_assistant_answers_last_hour",
        "humanline_escalations_last_hour",
        "humanline_answer_feedback_last_hour",
        "humanline_payouts",
        "humanline_agents_online",
        "humanline_websocket_connections",
        "humanline_ops_alerts",
    }


def test_an_empty_database_gives_zeros_and_no_latency(client, metrics_token):
    figures = scrape(client)

    assert figures[("humanline_offers_last_hour", (("outcome", "accepted"),))] == 0
    assert figures[("humanline_payouts", (("status", "failed"),))] == 0
    assert figures[("humanline_agents_online", ())] == 0
    assert math.isnan(figures[("humanline_claim_latency_seconds", (("quantile", "0.5"),))])
    assert not any(name == "humanline_queue_waiting" for name, _ in figures)


def test_the_queue_is_counted_by_language_with_its_oldest_wait(client, metrics_token):
    QueuedTicketFactory(language="en", escalated_at=ago(seconds=300))
    QueuedTicketFactory(language="en", escalated_at=ago(seconds=30))
    QueuedTicketFactory(language="de", escalated_at=ago(seconds=60))
    TicketFactory(language="fr")  # with the assistant: not queued

    figures = scrape(client)

    assert figures[("humanline_queue_waiting", (("language", "en"),))] == 2
    assert figures[("humanline_queue_waiting", (("language", "de"),))] == 1
    assert ("humanline_queue_waiting", (("language", "fr"),)) not in figures
    assert 300 <= figures[("humanline_queue_oldest_wait_seconds", (("language", "en"),))] < 310
    assert 60 <= figures[("humanline_queue_oldest_wait_seconds", (("language", "de"),))] < 70


def test_offers_of_the_last_hour_are_counted_by_outcome(client, metrics_token):
    OfferFactory()
    DecidedOfferFactory(outcome=Offer.Outcome.ACCEPTED)
    DecidedOfferFactory(outcome=Offer.Outcome.ACCEPTED)
    DecidedOfferFactory(outcome=Offer.Outcome.DECLINED)
    DecidedOfferFactory(outcome=Offer.Outcome.EXPIRED)
    DecidedOfferFactory(outcome=Offer.Outcome.EXPIRED, sent_at=ago(hours=2))  # too old

    figures = scrape(client)

    by_outcome = {
        labels[0][1]: value
        for (name, labels), value in figures.items()
        if name == "humanline_offers_last_hour"
    }
    assert by_outcome == {"pending": 1, "accepted": 2, "declined": 1, "expired": 1, "withdrawn": 0}


def test_claim_latency_gives_the_median_and_p90_of_the_last_hours_claims(client, metrics_token):
    agent = AgentFactory()
    for wait in range(1, 11):  # 10 s … 100 s
        claimed_at = ago(minutes=5)
        TicketFactory(
            status=Ticket.Status.ASSIGNED,
            agent=agent,
            escalated_at=claimed_at - timedelta(seconds=wait * 10),
            claimed_at=claimed_at,
        )
    TicketFactory(  # claimed two hours ago: outside the window
        status=Ticket.Status.ASSIGNED,
        agent=agent,
        escalated_at=ago(hours=3),
        claimed_at=ago(hours=2),
    )

    figures = scrape(client)

    assert figures[("humanline_claim_latency_seconds", (("quantile", "0.5"),))] == 50
    assert figures[("humanline_claim_latency_seconds", (("quantile", "0.9"),))] == 90


def test_messages_answers_escalations_and_feedback_are_counted(client, metrics_token):
    article = KnowledgeArticleFactory()
    ticket = TicketFactory()
    message(ticket, sender=Message.Sender.CUSTOMER)
    message(ticket, sender=Message.Sender.CUSTOMER)
    answer = message(ticket, sender=Message.Sender.BOT, article=article)
    message(ticket, sender=Message.Sender.BOT)  # no article: not an answer
    message(ticket, sender=Message.Sender.BOT, article=article, created_at=ago(minutes=10))
    message(ticket, sender=Message.Sender.CUSTOMER, created_at=ago(hours=2))
    AnswerFeedback.objects.create(message=answer, article=article, verdict="helped")
    QueuedTicketFactory(escalation_reason=Ticket.EscalationReason.LOW_CONFIDENCE)
    QueuedTicketFactory(escalation_reason=Ticket.EscalationReason.LOW_CONFIDENCE)
    QueuedTicketFactory(escalation_reason=Ticket.EscalationReason.VIP)
    QueuedTicketFactory(escalation_reason=Ticket.EscalationReason.VIP, escalated_at=ago(hours=2))

    figures = scrape(client)

    assert figures[("humanline_messages_last_minute", (("sender", "customer"),))] == 2
    assert figures[("humanline_messages_last_minute", (("sender", "bot"),))] == 2
    assert figures[("humanline_messages_last_minute", (("sender", "agent"),))] == 0
    assert figures[("humanline_assistant_answers_last_hour", ())] == 2
    assert figures[("humanline_escalations_last_hour", (("reason", "low_confidence"),))] == 2
    assert figures[("humanline_escalations_last_hour", (("reason", "vip"),))] == 1
    assert figures[("humanline_escalations_last_hour", (("reason", "frustration"),))] == 0
    assert figures[("humanline_answer_feedback_last_hour", (("verdict", "helped"),))] == 1
    assert figures[("humanline_answer_feedback_last_hour", (("verdict", "person"),))] == 0


def test_payouts_are_counted_by_status_and_agents_online(client, metrics_token):
    payout(status=Payout.Status.PAID, n=1)
    payout(status=Payout.Status.PAID, n=2)
    payout(status=Payout.Status.FAILED, n=3)
    AgentFactory(is_online=False, connection_count=0)  # the payouts' three are online

    figures = scrape(client)

    assert figures[("humanline_payouts", (("status", "paid"),))] == 2
    assert figures[("humanline_payouts", (("status", "failed"),))] == 1
    assert figures[("humanline_payouts", (("status", "pending"),))] == 0
    assert figures[("humanline_agents_online", ())] == 3


def seed(n: int) -> None:
    agent = AgentFactory()
    for i in range(n):
        ticket = QueuedTicketFactory(language=("en", "de", "fr")[i % 3])
        DecidedOfferFactory(ticket=ticket, agent=agent, outcome=Offer.Outcome.EXPIRED)
        message(ticket, sender=Message.Sender.CUSTOMER)
        TicketFactory(
            status=Ticket.Status.ASSIGNED,
            agent=agent,
            escalated_at=ago(minutes=3),
            claimed_at=ago(minutes=1),
        )
        payout(status=Payout.Status.PAID, n=i)


@pytest.mark.parametrize("tickets", [1, 30])
def test_a_scrape_costs_the_same_queries_whatever_the_number_of_tickets(
    client, metrics_token, django_assert_num_queries, tickets
):
    seed(tickets)

    with django_assert_num_queries(SCRAPE_QUERIES):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200


def test_the_cockpits_alerts_are_counted_by_kind(client, metrics_token, settings):
    settings.SERVICE_LEVEL_TARGET_SECONDS = 60
    settings.QUEUE_UNSERVED_ALERT_AFTER_SECONDS = 60
    AgentFactory(languages=["en"], skills=["general"])
    QueuedTicketFactory(language="en", escalated_at=ago(seconds=90))  # long, but someone can
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=120))  # long, and nobody can
    QueuedTicketFactory(language="de", escalated_at=ago(seconds=5))  # nobody, but just came
    payout(status=Payout.Status.FAILED, n=1)
    Payout.objects.update(failed_at=ago(hours=2))

    samples = scrape(client)

    assert samples[("humanline_ops_alerts", (("kind", "wait_over_target"),))] == 2
    assert samples[("humanline_ops_alerts", (("kind", "no_agent"),))] == 1
    assert samples[("humanline_ops_alerts", (("kind", "payout_failed"),))] == 1


def test_no_alert_is_a_zero_of_every_kind(client, metrics_token):
    samples = scrape(client)

    for kind in ("wait_over_target", "no_agent", "payout_failed"):
        assert samples[("humanline_ops_alerts", (("kind", kind),))] == 0
