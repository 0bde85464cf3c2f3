"""Bring your own AI: API keys, the escalations API, and the signed resolve webhook.

Webhooks go to a real HTTP server on 127.0.0.1 in a thread; nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from tests.factories import AgentFactory, UserFactory
from tests.servers import free_port
from tickets import dispatch, integrations, services, tasks
from tickets.models import Integration, Message, Offer, Ticket, TicketEvent, WebhookDelivery

pytestmark = pytest.mark.django_db

ESCALATIONS = "/api/v1/escalations/"
CARD = "4242 4242 4242 4242"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


# --- A company's webhook receiver ----------------------------------------------------------


class Receiver:
    """Answers each POST with the next scripted status (then 200) and records it."""

    def __init__(self, statuses: list[int], delay: float):
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/humanline"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator:
    started: list[Receiver] = []

    def start(*statuses: int, delay: float = 0) -> Receiver:
        started.append(Receiver(list(statuses), delay))
        return started[-1]

    yield start
    for running in started:
        running.server.shutdown()
        running.server.server_close()


def signature_matches(secret: str, header: str, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


# --- Helpers -------------------------------------------------------------------------------


def handover_body(**overrides) -> dict:
    body = {
        "transcript": [
            {"sender": "customer", "body": "My parcel never arrived"},
            {"sender": "bot", "body": "Sorry! Could you give me the order number?"},
            {"sender": "customer", "body": f"Order 1234, I paid with {CARD}"},
        ],
        "reason": "The customer wants a refund, which our bot cannot grant.",
        "language": "en",
        "topic": "refunds",
        "priority": "high",
        "customer_reference": "acme-cust-77",
        "customer_name": "Maria Lopez",
    }
    body.update(overrides)
    return body


def post_handover(
    client,
    api_key: str | None,
    body,
    *,
    authorization: str | None = None,
    idempotency_key: str | None = None,
):
    headers = {}
    if idempotency_key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    elif api_key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(ESCALATIONS, data=data, content_type="application/json", **headers)


def nothing_stored() -> bool:
    return not Ticket.objects.exists() and not Message.objects.exists()


def handed_over_ticket(webhook_url: str = "") -> tuple[Ticket, Integration]:
    integration = integrations.integration_create(
        name="Acme Bot", webhook_url=webhook_url
    ).integration
    ticket = integrations.escalation_handover(
        integration=integration,
        transcript=[integrations.HandedOverTurn(sender="customer", body="Where is my refund?")],
        reason="Refunds need a person.",
        customer_reference="acme-cust-77",
    )
    return ticket, integration


def resolve(ticket: Ticket) -> None:
    agent = AgentFactory(skills=["general", "refunds"])
    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


# --- API keys ------------------------------------------------------------------------------


def test_a_new_api_key_is_stored_only_as_its_sha256():
    issued = integrations.integration_create(name="Acme Bot")

    key = issued.api_key
    assert re.fullmatch(r"hl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    stored = Integration.objects.values().get(pk=issued.integration.pk)
    assert key not in json.dumps(stored, default=str)
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["key_prefix"] == key[:11]
    assert integrations.integration_for_api_key(key) == issued.integration
    assert integrations.integration_for_api_key(key[:-1] + "x") is None
    assert integrations.integration_for_api_key("") is None


def test_two_integrations_never_share_a_key():
    keys = {integrations.integration_create(name=f"Bot {n}").api_key for n in range(20)}

    assert len(keys) == 20


def test_revoking_keeps_the_first_revocation_time():
    integration = integrations.integration_create(name="Acme Bot").integration

    first = integrations.integration_revoke(integration_id=integration.pk).revoked_at
    second = integrations.integration_revoke(integration_id=integration.pk).revoked_at

    assert first is not None
    assert second == first


# --- The escalations API -------------------------------------------------------------------


def test_a_handover_queues_a_ticket_with_the_masked_transcript(client):
    issued = integrations.integration_create(name="Acme Bot")

    response = post_handover(client, issued.api_key, handover_body())

    assert response.status_code == 201
    reply = response.json()
    ticket = Ticket.objects.get()
    assert reply == {
        "id": ticket.pk,
        "token": ticket.token,
        "chat_url": f"http://testserver/chat/?c={ticket.token}",
        "ws_url": f"ws://testserver/ws/chat/{ticket.token}/",
        "status": "queued",
    }
    assert ticket.integration == issued.integration
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.escalation_reason == Ticket.EscalationReason.HANDOFF
    assert (ticket.topic, ticket.required_skills) == ("refunds", ["refunds"])
    assert ticket.priority == Ticket.Priority.HIGH
    assert ticket.customer_reference == "acme-cust-77"
    assert ticket.customer_first_name == "Maria"
    messages = list(Message.objects.filter(ticket=ticket).values_list("seq", "sender", "body"))
    assert messages == [
        (1, "customer", "My parcel never arrived"),
        (2, "bot", "Sorry! Could you give me the order number?"),
        (3, "customer", "Order 1234, I paid with •••• •••• •••• 4242"),
        (4, "system", "You're in the queue for a person."),
    ]
    assert "Acme Bot's assistant handed it over: The customer wants a refund" in ticket.summary
    assert CARD not in ticket.summary
    assert TicketEvent.objects.filter(ticket=ticket, from_status="bot", to_status="queued").exists()


def test_a_sensitive_subject_in_the_transcript_routes_and_raises_the_ticket(client):
    issued = integrations.integration_create(name="Acme Bot")
    body = handover_body(
        transcript=[{"sender": "customer", "body": "I didn't make this charge, it's fraud"}],
        topic="billing",
        priority="low",
    )

    assert post_handover(client, issued.api_key, body).status_code == 201

    ticket = Ticket.objects.get()
    assert (ticket.topic, ticket.required_skills) == ("unrecognised_payment", ["fraud"])
    assert ticket.priority == Ticket.Priority.URGENT


def test_the_handed_over_customer_reads_the_transcript_in_our_chat(client):
    issued = integrations.integration_create(name="Acme Bot")
    token = post_handover(client, issued.api_key, handover_body()).json()["token"]

    transcript = client.get(f"/api/v1/conversations/{token}/messages/").json()

    assert transcript["status"] == "queued"
    assert [m["sender"] for m in transcript["messages"]] == [
        "customer",
        "bot",
        "customer",
        "system",
    ]


# --- The handover's language ---------------------------------------------------------------

SPANISH_TRANSCRIPT = [
    {
        "sender": "customer",
        "body": "Hola, mi pedido nunca llegó y quiero que me devuelvan el dinero",
    },
    {"sender": "bot", "body": "Sorry! Could you give me the order number?"},
    {"sender": "customer", "body": "Es el pedido 1234, lo pagué hace dos semanas"},
]


def without_language(**overrides) -> dict:
    body = handover_body(**overrides)
    del body["language"]
    return body


def test_a_handover_without_a_language_is_in_the_customers_detected_language(client):
    issued = integrations.integration_create(name="Acme Bot")

    response = post_handover(
        client, issued.api_key, without_language(transcript=SPANISH_TRANSCRIPT)
    )

    assert response.status_code == 201
    assert Ticket.objects.get().language == "es"


def test_a_handover_without_a_language_too_short_to_tell_is_in_english(client):
    issued = integrations.integration_create(name="Acme Bot")
    transcript = [
        {"sender": "customer", "body": "ok"},
        {"sender": "bot", "body": "¿Me das el número de pedido, por favor?"},
        {"sender": "customer", "body": "1234"},
    ]

    response = post_handover(client, issued.api_key, without_language(transcript=transcript))

    assert response.status_code == 201

    assert Ticket.objects.get().language == "en"


def test_the_language_the_company_gives_wins_over_the_transcript(client):
    issued = integrations.integration_create(name="Acme Bot")
    body = handover_body(transcript=SPANISH_TRANSCRIPT, language="en")

    assert post_handover(client, issued.api_key, body).status_code == 201

    assert Ticket.objects.get().language == "en"


def test_with_detection_off_a_handover_without_a_language_is_in_english(client, settings):
    settings.LANGUAGE_DETECTION = "off"
    issued = integrations.integration_create(name="Acme Bot")

    post_handover(client, issued.api_key, without_language(transcript=SPANISH_TRANSCRIPT))

    assert Ticket.objects.get().language == "en"


def test_a_detected_spanish_handover_is_offered_to_a_spanish_speaker_only(client):
    english_only = AgentFactory(languages=["en"], skills=["general", "refunds"])
    spanish = AgentFactory(languages=["en", "es"], skills=["general", "refunds"])
    issued = integrations.integration_create(name="Acme Bot")
    post_handover(client, issued.api_key, without_language(transcript=SPANISH_TRANSCRIPT))

    dispatch.dispatch_round()

    [offer] = Offer.objects.all()
    assert offer.agent_id == spanish.pk
    assert offer.agent_id != english_only.pk


def test_a_retried_handover_without_a_language_returns_the_same_ticket(client):
    issued = integrations.integration_create(name="Acme Bot")
    body = without_language(transcript=SPANISH_TRANSCRIPT)
    first = post_handover(client, issued.api_key, body, idempotency_key="conv-es")

    retry = post_handover(client, issued.api_key, body, idempotency_key="conv-es")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Ticket.objects.get().language == "es"


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer", 401),
        ("Bearer hl_00000000_not-a-real-key-at-all-000000000000000000000", 401),
        ("Bearer not-even-our-format", 401),
        ("Basic dXNlcjpwYXNz", 401),
        ("Bearer one two", 401),
    ],
)
def test_a_missing_or_unknown_key_is_refused_with_401_and_stores_nothing(
    client, authorization, status
):
    integrations.integration_create(name="Acme Bot")

    response = post_handover(client, None, handover_body(), authorization=authorization)

    assert response.status_code == status
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert nothing_stored()


def test_a_revoked_key_is_refused_with_403_and_stores_nothing(client):
    issued = integrations.integration_create(name="Acme Bot")
    integrations.integration_revoke(integration_id=issued.integration.pk)

    response = post_handover(client, issued.api_key, handover_body())

    assert response.status_code == 403
    assert response.json() == {"detail": "This API key was revoked."}
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (handover_body(transcript=[]), "transcript"),
        ({k: v for k, v in handover_body().items() if k != "transcript"}, "transcript"),
        (handover_body(transcript=[{"sender": "agent", "body": "hi"}]), "transcript"),
        (handover_body(transcript=[{"sender": "customer", "body": "   "}]), "transcript"),
        (handover_body(transcript=[{"sender": "customer", "body": "x" * 4001}]), "transcript"),
        (handover_body(transcript=[{"sender": "customer", "body": "hi"}] * 201), "transcript"),
        (handover_body(transcript="hello"), "transcript"),
        ({k: v for k, v in handover_body().items() if k != "reason"}, "reason"),
        (handover_body(reason=""), "reason"),
        (handover_body(language="xx"), "language"),
        (handover_body(language="ES"), "language"),
        (handover_body(language=None), "language"),
        (handover_body(language=""), "language"),
        (handover_body(transcript=SPANISH_TRANSCRIPT, language="xx"), "language"),
        (handover_body(priority="asap"), "priority"),
        (handover_body(topic="<script>"), "topic"),
        (handover_body(customer_reference="r" * 129), "customer_reference"),
    ],
)
def test_an_invalid_body_is_refused_with_field_errors_and_stores_nothing(client, body, field):
    issued = integrations.integration_create(name="Acme Bot")

    response = post_handover(client, issued.api_key, body)

    assert response.status_code == 400
    assert field in response.json()
    assert nothing_stored()


def test_a_body_that_is_not_json_is_refused_with_400_and_stores_nothing(client):
    issued = integrations.integration_create(name="Acme Bot")

    response = post_handover(client, issued.api_key, "{not json")

    assert response.status_code == 400
    assert nothing_stored()


def test_the_escalations_api_only_accepts_post(client):
    issued = integrations.integration_create(name="Acme Bot")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.api_key}"}

    assert client.get(ESCALATIONS, **auth).status_code == 405
    assert (
        client.put(ESCALATIONS, data="{}", content_type="application/json", **auth).status_code
        == 405
    )
    assert nothing_stored()


def test_the_openapi_schema_documents_the_escalations_api_and_its_webhook(client):
    schema = client.get("/api/schema/").content.decode()

    assert "/api/v1/escalations/" in schema
    assert "IntegrationKey" in schema
    assert "scheme: bearer" in schema
    assert "Humanline-Signature" in schema


def test_the_openapi_schema_says_an_omitted_language_is_detected(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    escalation = schema["components"]["schemas"]["EscalationInput"]
    assert "language" not in escalation["required"]
    assert "default" not in escalation["properties"]["language"]
    assert (
        "detected from the customer's turns" in escalation["properties"]["language"]["description"]
    )


# --- Idempotency-Key: safe retries -----------------------------------------------------------


def test_a_retried_handover_with_the_same_idempotency_key_returns_the_same_ticket(client):
    issued = integrations.integration_create(name="Acme Bot")
    first = post_handover(client, issued.api_key, handover_body(), idempotency_key="conv-77")

    retry = post_handover(client, issued.api_key, handover_body(), idempotency_key="conv-77")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(sender="customer").count() == 2  # the transcript, once


def test_an_idempotency_key_reused_with_a_different_body_is_refused_with_422(client):
    issued = integrations.integration_create(name="Acme Bot")
    post_handover(client, issued.api_key, handover_body(), idempotency_key="conv-77")
    stored = (Ticket.objects.count(), Message.objects.count())

    response = post_handover(
        client, issued.api_key, handover_body(reason="Something else"), idempotency_key="conv-77"
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("This Idempotency-Key was already used")
    assert (Ticket.objects.count(), Message.objects.count()) == stored


def test_idempotency_keys_are_scoped_to_the_integration(client):
    acme = integrations.integration_create(name="Acme Bot")
    globex = integrations.integration_create(name="Globex Bot")

    first = post_handover(client, acme.api_key, handover_body(), idempotency_key="1")
    second = post_handover(client, globex.api_key, handover_body(), idempotency_key="1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert not second.has_header("Idempotent-Replayed")


def test_handovers_without_an_idempotency_key_are_never_deduplicated(client):
    issued = integrations.integration_create(name="Acme Bot")

    post_handover(client, issued.api_key, handover_body())
    post_handover(client, issued.api_key, handover_body())

    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9"])
def test_a_malformed_idempotency_key_is_refused_with_400_and_stores_nothing(client, key):
    issued = integrations.integration_create(name="Acme Bot")

    response = post_handover(client, issued.api_key, handover_body(), idempotency_key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert nothing_stored()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_handovers_with_one_idempotency_key_make_one_ticket():
    integration = integrations.integration_create(name="Acme Bot").integration
    body = handover_body()
    start = threading.Barrier(4)
    tickets = []

    def hand_over():
        try:
            start.wait()
            ticket, _ = integrations.escalation_handover_once(
                integration=integration,
                idempotency_key="conv-77",
                body_sha256=integrations.request_body_sha256(body),
                transcript=[integrations.HandedOverTurn(**turn) for turn in body["transcript"]],
                reason=body["reason"],
            )
            tickets.append(ticket.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_over) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(tickets) == 4
    assert len(set(tickets)) == 1
    assert Ticket.objects.count() == 1


# --- The resolve webhook -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_resolving_a_handed_over_ticket_posts_one_signed_webhook_after_commit(
    receiver, monkeypatch
):
    company = receiver()
    ticket, integration = handed_over_ticket(company.url)
    in_transaction_during_post = []
    real_post = integrations._post

    def spy(url, **kwargs):
        in_transaction_during_post.append(connection.in_atomic_block)
        return real_post(url, **kwargs)

    monkeypatch.setattr(integrations, "_post", spy)
    before = int(time.time())

    resolve(ticket)

    assert in_transaction_during_post == [False]
    [(headers, body)] = company.requests
    delivery = WebhookDelivery.objects.get()
    assert headers["Content-Type"] == "application/json"
    assert headers["Humanline-Event"] == "ticket.resolved"
    assert headers["Humanline-Delivery"] == str(delivery.pk)
    signature = headers["Humanline-Signature"]
    assert signature_matches(integration.webhook_secret, signature, body)
    assert not signature_matches("whsec_someone-else", signature, body)
    assert before <= int(re.search(r"t=(\d+)", signature)[1]) <= time.time() + 1
    payload = json.loads(body)
    assert payload["id"] == delivery.pk
    assert payload["type"] == "ticket.resolved"
    assert payload["conversation"]["id"] == ticket.pk
    assert payload["conversation"]["customer_reference"] == "acme-cust-77"
    assert payload["conversation"]["status"] == "resolved"
    assert payload["conversation"]["resolved_at"]
    assert "token" not in body.decode()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "delivered",
        1,
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_a_failing_webhook_is_retried_with_growing_backoff_until_it_lands(receiver):
    company = receiver(500, 503)
    ticket, integration = handed_over_ticket(company.url)

    resolve(ticket)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 500")
    first_retry = delivery.next_attempt_at
    assert timedelta(seconds=29) < first_retry - timezone.now() <= timedelta(seconds=30)

    assert integrations.webhooks_deliver_due() == 0  # not due yet: nothing sent
    assert len(company.requests) == 1

    assert integrations.webhooks_deliver_due(now=first_retry) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 2, "HTTP 503")
    assert delivery.next_attempt_at == first_retry + timedelta(seconds=60)

    assert integrations.webhooks_deliver_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, "")
    bodies = company.bodies()
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]  # the same notification, re-signed each time
    for headers, body in company.requests:
        assert signature_matches(integration.webhook_secret, headers["Humanline-Signature"], body)


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_is_down_is_retried_later():
    closed_port = free_port()
    ticket, _ = handed_over_ticket(f"http://127.0.0.1:{closed_port}/hooks")

    resolve(ticket)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "ConnectionRefused" in delivery.last_error or "URLError" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_given_up_after_the_last_attempt(receiver):
    company = receiver(*[500] * integrations.WEBHOOK_MAX_ATTEMPTS)
    ticket, _ = handed_over_ticket(company.url)
    resolve(ticket)
    delivery = WebhookDelivery.objects.get()
    later = timezone.now()

    for _ in range(integrations.WEBHOOK_MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        integrations.webhooks_deliver_due(now=later)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", integrations.WEBHOOK_MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert integrations.webhooks_deliver_due(now=later + timedelta(days=1)) == 0
    assert len(company.requests) == integrations.WEBHOOK_MAX_ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_a_resolve_notifies_the_company_once_however_often_it_is_announced(receiver):
    company = receiver()
    ticket, _ = handed_over_ticket(company.url)
    resolve(ticket)

    tasks.deliver_resolved_ticket_webhook(ticket.pk)  # a redelivered task
    tasks.deliver_resolved_ticket_webhook(ticket.pk)
    integrations.webhooks_deliver_due(now=timezone.now() + timedelta(days=1))

    assert WebhookDelivery.objects.count() == 1
    assert len(company.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_post_a_due_delivery_once(receiver):
    company = receiver(delay=0.3)
    ticket, _ = handed_over_ticket(company.url)
    ticket_id = ticket.pk
    Ticket.objects.filter(pk=ticket_id).update(
        status=Ticket.Status.RESOLVED, resolved_at=timezone.now()
    )
    delivery = integrations.webhook_record_resolved(ticket_id=ticket_id)
    start = threading.Barrier(4)
    results = []

    def sender():
        try:
            start.wait()
            results.append(integrations.webhook_attempt(delivery_id=delivery.pk))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(company.requests) == 1
    assert "delivered" in results
    assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_lost_enqueue_is_caught_up_by_the_drain(receiver, monkeypatch):
    company = receiver()
    ticket, _ = handed_over_ticket(company.url)
    monkeypatch.setattr(tasks.deliver_resolved_ticket_webhook, "delay", lambda ticket_id: None)

    resolve(ticket)
    assert not WebhookDelivery.objects.exists()

    assert integrations.webhooks_deliver_due() == 1
    assert WebhookDelivery.objects.get().status == "delivered"
    assert len(company.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_ticket_from_our_own_chat_or_a_revoked_integration_sends_no_webhook(receiver):
    company = receiver()
    own = services.conversation_start()
    services.ticket_escalate(ticket_id=own.pk, reason="customer_request")
    resolve(own)
    revoked, integration = handed_over_ticket(company.url)
    integrations.integration_revoke(integration_id=integration.pk)
    resolve(revoked)

    integrations.webhooks_deliver_due()

    assert not WebhookDelivery.objects.exists()
    assert company.requests == []


# --- The admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_new_key_once_and_keeps_only_its_hash(admin_client):
    response = admin_client.post(
        "/admin/tickets/integration/add/",
        {"name": "Acme Bot", "webhook_url": "https://hooks.acme.example/humanline"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    api_key = re.search(r"hl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", page)[0]
    integration = Integration.objects.get()
    assert integration.webhook_secret in page
    assert "no-store" in response["Cache-Control"]
    assert integrations.integration_for_api_key(api_key) == integration
    assert api_key not in json.dumps(list(Integration.objects.values()), default=str)
    change_page = admin_client.get(f"/admin/tickets/integration/{integration.pk}/change/")
    assert change_page.status_code == 200
    assert api_key not in change_page.content.decode()
    assert integration.webhook_secret not in change_page.content.decode()


def test_the_admin_refuses_a_webhook_url_that_is_not_http(admin_client):
    response = admin_client.post(
        "/admin/tickets/integration/add/", {"name": "Acme Bot", "webhook_url": "ftp://x.example/"}
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not Integration.objects.exists()


def test_a_key_revoked_in_the_admin_is_refused_by_the_api(admin_client):
    issued = integrations.integration_create(name="Acme Bot")

    response = admin_client.post(
        "/admin/tickets/integration/",
        {"action": "revoke_keys", "_selected_action": [issued.integration.pk]},
    )

    assert response.status_code == 302
    assert Integration.objects.get().revoked_at is not None
    assert post_handover(admin_client, issued.api_key, handover_body()).status_code == 403
    assert not Ticket.objects.exists()
