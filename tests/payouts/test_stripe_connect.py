"""Payout set-up on Stripe Connect Express and the `account.updated` webhook, against the local
fake Stripe server (tests/fakes/stripe_server.py) through the real `stripe` library: no test
touches the network."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.test import Client

from agents.models import Agent
from payouts import stripe_connect
from payouts.models import StripeEvent
from tests.agents.onboarding_support import (
    applicant,
)
from tests.fakes.stripe_fixtures import FAKE_WEBHOOK_SECRET
from tests.fakes.stripe_server import FakeStripe, sign_webhook_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_stripe_settings")]

S = Agent.Status
WEBHOOK = "/webhooks/stripe/"


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe) -> FakeStripe:
    return fake_stripe_settings


def account_requests(fake: FakeStripe, method: str = "POST") -> list:
    return [r for r in fake.requests if r.method == method and r.path.startswith("/v1/accounts")]


def agent_with_account(fake: FakeStripe, *, onboarded: bool = False, **kwargs) -> Agent:
    account = fake.add_account(email="agent@example.com", onboarded=onboarded)
    return applicant(S.ACTIVE, stripe_account_id=account["id"], **kwargs)


# --- Creating the connected account --------------------------------------------------------


def test_the_express_account_is_created_once_however_often_it_is_asked_for(fake):
    agent = applicant(S.APPROVED, country="US", user__email="ana@example.com")

    first = stripe_connect.payout_account_create(agent_id=agent.pk)
    second = stripe_connect.payout_account_create(agent_id=agent.pk)

    assert first == second
    assert list(fake.accounts) == [first]
    account = fake.accounts[first]
    assert account["type"] == "express"
    assert account["country"] == "US"
    assert account["email"] == "ana@example.com"
    assert account["metadata"] == {"agent_id": str(agent.pk)}
    assert "transfers" in account["capabilities"]
    agent.refresh_from_db()
    assert agent.stripe_account_id == first
    assert [r.idempotency_key for r in account_requests(fake)] == [
        f"humanline-agent-{agent.pk}-express-account"
    ]


def test_a_creation_whose_answer_was_lost_is_not_repeated_at_stripe(fake):
    agent = applicant(S.APPROVED, country="US")
    # Stripe creates the account, then the connection drops before the answer arrives; the
    # library retries with the same idempotency key and gets the same account back.
    fake.drop_response_after_commit("/v1/accounts", method="POST")

    account_id = stripe_connect.payout_account_create(agent_id=agent.pk)

    assert list(fake.accounts) == [account_id]
    keys = {r.idempotency_key for r in account_requests(fake)}
    assert len(account_requests(fake)) == 2
    assert keys == {f"humanline-agent-{agent.pk}-express-account"}


def test_an_account_created_but_never_saved_is_found_again_by_its_key(fake):
    agent = applicant(S.APPROVED, country="US")
    account_id = stripe_connect.payout_account_create(agent_id=agent.pk)
    # As if the process died between Stripe's answer and our write.
    Agent.objects.filter(pk=agent.pk).update(stripe_account_id="")

    again = stripe_connect.payout_account_create(agent_id=agent.pk)

    assert again == account_id
    assert len(fake.accounts) == 1


@pytest.mark.parametrize("status", [S.APPLIED, S.TRAINING, S.AWAITING_REVIEW, S.REJECTED])
def test_an_applicant_not_yet_approved_cannot_create_a_payout_account(fake, status):
    agent = applicant(status)

    with pytest.raises(stripe_connect.PayoutSetupError, match="once your application"):
        stripe_connect.payout_account_create(agent_id=agent.pk)

    assert fake.requests == []


def test_without_a_secret_key_payouts_are_not_configured(fake, settings):
    settings.STRIPE_SECRET_KEY = ""
    agent = applicant(S.ACTIVE)

    with pytest.raises(stripe_connect.PayoutSetupError, match="not configured"):
        stripe_connect.payout_account_create(agent_id=agent.pk)

    assert fake.requests == []


# --- The agent's payouts pages -------------------------------------------------------------


def test_starting_set_up_sends_the_agent_to_stripes_onboarding(client, fake):
    agent = applicant(S.ACTIVE, country="US")
    client.force_login(agent.user)

    response = client.post("/agents/payouts/start/")

    agent.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"] == f"{fake.url}/onboarding/{agent.stripe_account_id}"
    # Finishing on Stripe's side returns the agent to our return URL.
    finished = requests.post(response["Location"], allow_redirects=False, timeout=5)
    assert finished.status_code == 303
    assert finished.headers["Location"] == "http://testserver/agents/payouts/return/"
    page = requests.get(response["Location"], timeout=5).text
    assert "http://testserver/agents/payouts/refresh/" in page


def test_the_return_url_asks_stripe_whether_payouts_are_enabled(client, fake):
    agent = applicant(S.ACTIVE, country="US")
    client.force_login(agent.user)
    client.post("/agents/payouts/start/")
    agent.refresh_from_db()

    unfinished = client.get("/agents/payouts/return/", follow=True)
    agent.refresh_from_db()
    assert agent.payouts_enabled is False
    assert "Stripe still needs some details" in unfinished.content.decode()

    fake.complete_onboarding(agent.stripe_account_id)
    finished = client.get("/agents/payouts/return/", follow=True)

    agent.refresh_from_db()
    assert agent.payouts_enabled is True
    assert "Your payout account is ready." in finished.content.decode()
    assert "Connect a payout account" not in client.get("/agents/status/").content.decode()


def test_the_refresh_url_makes_a_new_onboarding_link_for_the_same_account(client, fake):
    agent = applicant(S.ACTIVE, country="US")
    client.force_login(agent.user)
    client.post("/agents/payouts/start/")

    response = client.get("/agents/payouts/refresh/")

    agent.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"].endswith(f"/onboarding/{agent.stripe_account_id}")
    assert len(fake.accounts) == 1
    links = [r for r in fake.requests if r.path == "/v1/account_links"]
    assert len(links) == 2


def test_an_applicant_cannot_start_payouts(client, fake):
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    page = client.get("/agents/payouts/")
    start = client.post("/agents/payouts/start/")
    back = client.get("/agents/payouts/return/")

    assert page.status_code == 302
    assert start.status_code == 404
    assert back.status_code == 404
    assert fake.requests == []


def test_when_stripe_is_down_the_agent_is_told_and_nothing_is_saved(client, fake):
    agent = applicant(S.ACTIVE, country="US")
    client.force_login(agent.user)
    fake.fail_next("/v1/accounts", 500, times=10, method="POST")

    response = client.post("/agents/payouts/start/", follow=True)

    assert "Stripe is not answering right now" in response.content.decode()
    agent.refresh_from_db()
    assert agent.stripe_account_id == ""
    assert fake.accounts == {}


def test_payout_start_answers_only_post(client, fake):
    client.force_login(applicant(S.ACTIVE).user)

    assert client.get("/agents/payouts/start/").status_code == 405


# --- The webhook ---------------------------------------------------------------------------


def deliver(
    client: Client,
    event: dict | None = None,
    *,
    body: bytes | None = None,
    secret: str = FAKE_WEBHOOK_SECRET,
    timestamp: int | None = None,
    signed: bool = True,
):
    body = json.dumps(event).encode() if body is None else body
    headers = {}
    if signed:
        headers["HTTP_STRIPE_SIGNATURE"] = sign_webhook_payload(body, secret, timestamp)
    return client.post(WEBHOOK, data=body, content_type="application/json", **headers)


def account_updated(fake: FakeStripe, account_id: str, *, payouts_enabled: bool, age: int = 0):
    snapshot = {**fake.accounts[account_id], "payouts_enabled": payouts_enabled}
    event = fake.make_event("account.updated", snapshot, account=account_id)
    event["created"] -= age
    return event


def test_an_account_updated_event_marks_the_agents_payouts_ready(client, fake):
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)

    response = deliver(client, event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.id, stored.type, stored.account) == (
        event["id"],
        "account.updated",
        agent.stripe_account_id,
    )
    assert stored.status == StripeEvent.Status.PROCESSED
    assert stored.processed_at is not None
    assert stored.payload == event
    agent.refresh_from_db()
    assert agent.payouts_enabled is True


def test_the_webhook_needs_no_csrf_token(fake):
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)

    response = deliver(Client(enforce_csrf_checks=True), event)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "tampering", ["unsigned", "wrong-secret", "too-old", "body-changed", "not-json", "not-an-event"]
)
def test_an_unverifiable_delivery_is_refused_and_nothing_is_stored(client, fake, tampering):
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)
    body = json.dumps(event).encode()

    if tampering == "unsigned":
        response = deliver(client, event, signed=False)
    elif tampering == "wrong-secret":
        response = deliver(client, event, secret="whsec_someone_else")
    elif tampering == "too-old":
        response = deliver(client, event, timestamp=int(time.time()) - 301)
    elif tampering == "body-changed":
        header = sign_webhook_payload(body, FAKE_WEBHOOK_SECRET)
        forged = body.replace(b'"payouts_enabled": true', b'"payouts_enabled": false')
        response = client.post(
            WEBHOOK, data=forged, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
    elif tampering == "not-json":
        response = deliver(client, body=b"{not json")
    else:
        response = deliver(client, body=b'["a", "list"]')

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    agent.refresh_from_db()
    assert agent.payouts_enabled is False
    assert account_requests(fake, "GET") == []


def test_a_replayed_event_has_no_second_effect(client, fake):
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)
    deliver(client, event)
    first = StripeEvent.objects.get()
    fetches = len(account_requests(fake, "GET"))

    replay = deliver(client, event)

    assert replay.status_code == 200
    assert replay.json() == {"id": event["id"], "status": "processed"}
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().processed_at == first.processed_at
    assert len(account_requests(fake, "GET")) == fetches


@pytest.mark.parametrize("stripe_says", [True, False])
def test_events_arriving_out_of_order_end_in_stripes_current_state(client, fake, stripe_says):
    agent = agent_with_account(fake, onboarded=stripe_says)
    older = account_updated(fake, agent.stripe_account_id, payouts_enabled=not stripe_says, age=60)
    newer = account_updated(fake, agent.stripe_account_id, payouts_enabled=stripe_says)

    deliver(client, newer)
    deliver(client, older)  # late: its snapshot is stale

    agent.refresh_from_db()
    assert agent.payouts_enabled is stripe_says
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_payouts_are_switched_off_again_when_stripe_disables_them(client, fake):
    agent = agent_with_account(fake, onboarded=False, payouts_enabled=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=False)

    deliver(client, event)

    agent.refresh_from_db()
    assert agent.payouts_enabled is False


def test_an_event_for_an_account_nobody_has_is_stored_and_ignored(client, fake):
    stranger = fake.add_account(onboarded=True)
    event = account_updated(fake, stranger["id"], payouts_enabled=True)

    response = deliver(client, event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.IGNORED
    assert stranger["id"] in stored.detail


def test_an_event_type_without_a_handler_is_stored_and_ignored(client, fake):
    event = fake.make_event("payout.paid", {"id": "po_1", "object": "payout", "amount": 500})

    response = deliver(client, event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.type, stored.status) == ("payout.paid", StripeEvent.Status.IGNORED)
    assert stored.processed_at is not None
    assert fake.requests == []


def test_when_stripe_is_down_the_event_fails_and_a_redelivery_handles_it(client, fake):
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)
    # Our client tries three times (two retries); all three fail.
    fake.fail_next("/v1/accounts/", 500, times=3, method="GET")

    failed = deliver(client, event)

    assert failed.status_code == 503
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.processed_at) == (StripeEvent.Status.FAILED, None)
    agent.refresh_from_db()
    assert agent.payouts_enabled is False

    assert len(account_requests(fake, "GET")) == 3
    retried = deliver(client, event)

    assert retried.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    agent.refresh_from_db()
    assert agent.payouts_enabled is True


def test_without_a_webhook_secret_nothing_is_accepted(client, fake, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    agent = agent_with_account(fake, onboarded=True)
    event = account_updated(fake, agent.stripe_account_id, payouts_enabled=True)

    response = deliver(client, event, secret="")

    assert response.status_code == 503
    assert StripeEvent.objects.count() == 0


def test_the_webhook_answers_only_post(client):
    assert client.get(WEBHOOK).status_code == 405
