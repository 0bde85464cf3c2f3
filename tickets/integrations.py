"""Bring your own AI: companies whose own assistant hands conversations over to our agents.

* API keys look like ``hl_<8 hex>_<43 url-safe chars>``: 256 random bits after a public
  prefix. Only a SHA-256 of the key is stored. A fast hash is right here, unlike for
  passwords: a key with 256 bits of entropy cannot be guessed from its hash, and every API
  call must look its key up quickly.
* A handover turns the company's transcript into the new ticket's first messages and puts
  the ticket straight in the queue, with reason "handoff".
* When such a ticket is resolved, a ``WebhookDelivery`` row is stored once per (integration,
  ticket, event) and POSTed to the company, signed with HMAC-SHA256 over
  ``f"{timestamp}.{body}"``. A failed attempt is retried with exponential backoff from the
  row's ``next_attempt_at`` by a periodic drain. The HTTP call is never made inside a
  transaction, and delivery is at least once: receivers dedupe by ``Humanline-Delivery``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from tickets import services
from tickets.assistant import Turn, summarize_handover
from tickets.assistant.handover import handover_summary
from tickets.assistant.topics import GENERAL_TOPIC, skills_for_topic
from tickets.language import detect_language
from tickets.masking import mask_secrets
from tickets.models import EscalationIdempotencyKey, Integration, Ticket, WebhookDelivery

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "hl_"
SIGNATURE_HEADER = "Humanline-Signature"
EVENT_HEADER = "Humanline-Event"
DELIVERY_HEADER = "Humanline-Delivery"

WEBHOOK_TIMEOUT_SECONDS = 5
# An attempt in flight holds its delivery this long; a sender that died mid-attempt is
# retried by the drain once it runs out.
WEBHOOK_ATTEMPT_LEASE = timedelta(seconds=60)
WEBHOOK_FIRST_RETRY_SECONDS = 30
WEBHOOK_MAX_RETRY_SECONDS = 60 * 60
# 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about five hours before giving up.
WEBHOOK_MAX_ATTEMPTS = 10
# The drain also stores deliveries whose enqueue was lost (a broker outage at resolve
# time); resolves older than this are left alone.
WEBHOOK_CATCH_UP_WINDOW = timedelta(days=1)
DRAIN_BATCH = 100

HANDOVER_PRIORITIES = {
    "low": Ticket.Priority.LOW,
    "normal": Ticket.Priority.NORMAL,
    "high": Ticket.Priority.HIGH,
    "urgent": Ticket.Priority.URGENT,
}


class IntegrationError(Exception):
    pass


class IdempotencyKeyReused(IntegrationError):
    """An Idempotency-Key already used for a request with a different body."""


# --- API keys ----------------------------------------------------------------------------


def api_key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedIntegration:
    """A new integration and its API key, which exists nowhere else: show it once."""

    integration: Integration
    api_key: str


@transaction.atomic
def integration_create(*, name: str, webhook_url: str = "") -> IssuedIntegration:
    prefix = f"{API_KEY_PREFIX}{secrets.token_hex(4)}"
    api_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    integration = Integration.objects.create(
        name=name.strip(),
        key_prefix=prefix,
        key_hash=api_key_hash(api_key),
        webhook_url=_checked_webhook_url(webhook_url),
    )
    return IssuedIntegration(integration=integration, api_key=api_key)


def integration_for_api_key(api_key: str) -> Integration | None:
    """The integration a key belongs to, revoked or not (the caller decides); None if none."""
    if not api_key.startswith(API_KEY_PREFIX):
        return None
    return Integration.objects.filter(key_hash=api_key_hash(api_key)).first()


def integration_revoke(*, integration_id: int) -> Integration:
    """Refuse the integration's key from now on. Revoking twice keeps the first time."""
    Integration.objects.filter(pk=integration_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return Integration.objects.get(pk=integration_id)


def integration_update(*, integration_id: int, name: str, webhook_url: str) -> Integration:
    Integration.objects.filter(pk=integration_id).update(
        name=name.strip(), webhook_url=_checked_webhook_url(webhook_url)
    )
    return Integration.objects.get(pk=integration_id)


def _checked_webhook_url(url: str) -> str:
    url = url.strip()
    # urlopen would also follow file:// and ftp:// URLs; a webhook is HTTP only.
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise IntegrationError("A webhook URL must start with http:// or https://.")
    return url


# --- Handover ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HandedOverTurn:
    sender: str  # "customer" or "bot"
    body: str


# The customer's turns read to tell a handover's language: enough for the detector (it is
# sure of a language within a sentence or two), and a 200-turn transcript stays a
# millisecond's work rather than a second's.
LANGUAGE_DETECTION_MAX_CHARS = 2000


def handover_language(*, transcript: Sequence[HandedOverTurn]) -> str:
    """The language a handover that names none is in: the one the detector is sure the
    customer's turns are written in (tickets.language, LANGUAGE_DETECTION), else English.
    Only the customer's turns are read: the company's assistant may answer in its own default
    language whatever the customer writes."""
    text = "\n".join(turn.body for turn in transcript if turn.sender == "customer")
    return detect_language(text[:LANGUAGE_DETECTION_MAX_CHARS]) or "en"


def escalation_handover(
    *,
    integration: Integration,
    transcript: Sequence[HandedOverTurn],
    reason: str,
    language: str | None = None,
    topic: str = "",
    priority: str = "normal",
    customer_reference: str = "",
    customer_name: str = "",
) -> Ticket:
    """Open a ticket from a company assistant's conversation and queue it for a person.

    Precondition: the integration is not revoked (the API refuses revoked keys).
    The customer continues in our chat with the ticket's token. ``language`` None means the
    company did not say: it is detected from the customer's turns (``handover_language``),
    before the transaction, since the first detection in a process loads the models.
    """
    return _escalation_handover(
        integration=integration,
        transcript=transcript,
        reason=reason,
        language=handover_language(transcript=transcript) if language is None else language,
        topic=topic,
        priority=priority,
        customer_reference=customer_reference,
        customer_name=customer_name,
    )


@transaction.atomic
def _escalation_handover(
    *,
    integration: Integration,
    transcript: Sequence[HandedOverTurn],
    reason: str,
    language: str,
    topic: str,
    priority: str,
    customer_reference: str,
    customer_name: str,
) -> Ticket:
    if integration.is_revoked:
        raise IntegrationError("This integration was revoked.")
    ticket = services.conversation_start(
        name=customer_name,
        language=language,
        customer_reference=customer_reference,
        greet=False,
    )
    Ticket.objects.filter(pk=ticket.pk).update(integration=integration)
    ticket.integration = integration
    turns = [Turn(sender=turn.sender, body=mask_secrets(turn.body)) for turn in transcript]
    for turn in turns:
        # The public posting services apply live-chat rules (the assistant's turn, closed
        # conversations) that a history being handed over must not trigger; this is the
        # same locked, gapless append they use, on a ticket made in this transaction.
        services.append_message(ticket, sender=turn.sender, body=turn.body)

    # A sensitive subject in the transcript (fraud, disputes…) routes the ticket and sets a
    # floor on its priority whatever the company's assistant said, as our own assistant does.
    inferred = summarize_handover(
        history=turns, articles=(), language=language, is_vip=False, reason=reason
    )
    if inferred.topic == GENERAL_TOPIC:
        topic = topic.strip().lower() or GENERAL_TOPIC
    else:
        topic = inferred.topic
    why = f"{integration.name}'s assistant handed it over: {' '.join(reason.split())}"
    return services.ticket_escalate(
        ticket_id=ticket.pk,
        reason=Ticket.EscalationReason.HANDOFF,
        actor_kind=services.Actor.SYSTEM,
        topic=topic,
        priority=max(HANDOVER_PRIORITIES[priority], inferred.priority),
        required_skills=list(skills_for_topic(topic)),
        summary=handover_summary(
            topic=topic, why=why, message=None, history=turns, related_article=None
        ),
    )


def request_body_sha256(fields: dict[str, Any]) -> str:
    """A fingerprint of a request's validated fields, whatever their key order."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def escalation_handover_once(
    *,
    integration: Integration,
    idempotency_key: str,
    body_sha256: str,
    transcript: Sequence[HandedOverTurn],
    **handover: Any,
) -> tuple[Ticket, bool]:
    """``escalation_handover`` at most once per (integration, idempotency key).

    Returns (ticket, created). A key used before with the same body returns that call's
    ticket; with another body it raises ``IdempotencyKeyReused`` and stores nothing. Of two
    concurrent calls with one key, the unique constraint lets one insert its key; the other
    rolls back its whole handover (no ticket, no announcement: those wait for commit) and
    returns the winner's ticket.
    """

    def earlier_ticket() -> Ticket | None:
        used = (
            EscalationIdempotencyKey.objects.select_related("ticket")
            .filter(integration=integration, key=idempotency_key)
            .first()
        )
        if used is None:
            return None
        if used.body_sha256 != body_sha256:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request body."
            )
        return used.ticket

    earlier = earlier_ticket()
    if earlier is not None:
        return earlier, False
    # Detected here, outside the transaction below, as escalation_handover would; the key's
    # fingerprint is of the body as sent, so a retry without a language is still the same.
    if handover.get("language") is None:
        handover["language"] = handover_language(transcript=transcript)
    try:
        with transaction.atomic():
            ticket = escalation_handover(integration=integration, transcript=transcript, **handover)
            EscalationIdempotencyKey.objects.create(
                integration=integration, key=idempotency_key, body_sha256=body_sha256, ticket=ticket
            )
    except IntegrityError:
        earlier = earlier_ticket()
        if earlier is None:
            raise
        return earlier, False
    return ticket, True


# --- Webhooks ----------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``Humanline-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256>``.

    The signed text is ``f"{timestamp}.{body}"``, so a receiver can refuse old timestamps
    and a replayed body cannot be given a fresh one.
    """
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _resolved_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "type": WebhookDelivery.Event.TICKET_RESOLVED,
        "conversation": {
            "id": ticket.pk,
            "customer_reference": ticket.customer_reference,
            "status": ticket.status,
            "topic": ticket.topic,
            "escalated_at": ticket.escalated_at.isoformat() if ticket.escalated_at else None,
            "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        },
    }


def _wants_webhooks(integration: Integration | None) -> bool:
    return bool(integration and integration.webhook_url and not integration.is_revoked)


def webhook_record_resolved(
    *, ticket_id: int, now: datetime | None = None
) -> WebhookDelivery | None:
    """Store the resolve notification of a handed-over ticket, once; None if none is due."""
    ticket = Ticket.objects.select_related("integration").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Ticket.Status.RESOLVED:
        return None
    if not _wants_webhooks(ticket.integration):
        return None
    event = WebhookDelivery.Event.TICKET_RESOLVED
    try:
        with transaction.atomic():
            delivery, _ = WebhookDelivery.objects.get_or_create(
                integration=ticket.integration,
                ticket=ticket,
                event=event,
                defaults={
                    "payload": _resolved_payload(ticket),
                    "next_attempt_at": now or timezone.now(),
                },
            )
    except IntegrityError:
        # Another sender stored it between our read and our insert: theirs is the one.
        delivery = WebhookDelivery.objects.get(
            integration=ticket.integration, ticket=ticket, event=event
        )
    return delivery


def _retry_delay(attempts: int) -> timedelta:
    seconds = WEBHOOK_FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, WEBHOOK_MAX_RETRY_SECONDS))


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without its body: report it as a failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def _post(url: str, *, body: bytes, headers: dict[str, str]) -> None:
    """POST and return on a 2xx answer; raise with a short reason otherwise."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only, checked on save
    with _opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, response.reason, None, None)


def webhook_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Try one due delivery once; returns its status afterwards.

    The attempt is claimed with a conditional UPDATE (pending and due, pushed forward by
    the lease), so of several senders only one posts. No transaction is open during the
    POST.
    """
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + WEBHOOK_ATTEMPT_LEASE)
    delivery = WebhookDelivery.objects.select_related("integration").get(pk=delivery_id)
    if claimed != 1:
        return delivery.status
    integration = delivery.integration
    body = json.dumps(
        {"id": delivery.pk, "created_at": delivery.created_at.isoformat(), **delivery.payload},
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Humanline-Webhooks/1",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(
            secret=integration.webhook_secret, timestamp=int(now.timestamp()), body=body
        ),
    }
    error = ""
    if not _wants_webhooks(integration):
        error = "The integration was revoked or has no webhook URL."
    else:
        try:
            _post(integration.webhook_url, body=body, headers=headers)
        except urllib.error.HTTPError as failure:
            error = f"HTTP {failure.code}"
        except (OSError, ValueError, http.client.HTTPException) as failure:
            # Refused, timed out, reset, a malformed answer: all worth another try.
            error = f"{type(failure).__name__}: {failure}"[:500]
    pending = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
    if not error:
        pending.update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=timezone.now(),
            next_attempt_at=None,
            last_error="",
        )
        return WebhookDelivery.Status.DELIVERED
    if delivery.attempts >= WEBHOOK_MAX_ATTEMPTS or not _wants_webhooks(integration):
        logger.warning("webhook delivery %s given up: %s", delivery_id, error)
        pending.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None, last_error=error)
        return WebhookDelivery.Status.FAILED
    pending.update(next_attempt_at=now + _retry_delay(delivery.attempts), last_error=error)
    return WebhookDelivery.Status.PENDING


def webhook_retry_now(*, delivery_id: int) -> bool:
    """Make an undelivered notification due at once (an operator's "try again")."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        ).update(status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now())
    )


def webhooks_deliver_due(*, now: datetime | None = None) -> int:
    """The periodic drain: store missed resolve notifications, then try every due delivery.

    Returns how many deliveries were attempted.
    """
    now = now or timezone.now()
    missed = (
        Ticket.objects.filter(
            status=Ticket.Status.RESOLVED,
            integration__isnull=False,
            integration__revoked_at__isnull=True,
            resolved_at__gte=now - WEBHOOK_CATCH_UP_WINDOW,
        )
        .exclude(integration__webhook_url="")
        .filter(
            ~Exists(
                WebhookDelivery.objects.filter(
                    ticket=OuterRef("pk"), event=WebhookDelivery.Event.TICKET_RESOLVED
                )
            )
        )
        .values_list("pk", flat=True)[:DRAIN_BATCH]
    )
    for ticket_id in list(missed):
        webhook_record_resolved(ticket_id=ticket_id, now=now)
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:DRAIN_BATCH]
    )
    for delivery_id in due:
        webhook_attempt(delivery_id=delivery_id, now=now)
    return len(due)
