"""Hostile input on the HTTP edges: every refusal is a 4xx that says why, and stores nothing.

Deep or huge JSON is refused before it is parsed; text with NUL or a lone surrogate (which
PostgreSQL cannot store) is refused by field; a token that is not token-shaped is 404
before anything queries with it.
"""

import json

import pytest

from payouts.models import StripeEvent
from tests.factories import AgentFactory, TicketFactory
from tests.fakes.stripe_fixtures import FAKE_WEBHOOK_SECRET
from tests.fakes.stripe_server import sign_webhook_payload
from tickets import integrations
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/session/"
CONVERSATIONS = "/api/v1/conversations/"
ESCALATIONS = "/api/v1/escalations/"
STRIPE_WEBHOOK = "/webhooks/stripe/"

# 2 KB of nested brackets: enough to exhaust the stdlib parser's recursion (a 500 before).
NESTED = "[" * 2048


@pytest.fixture
def api_key() -> str:
    return integrations.integration_create(name="Acme").api_key


def post_json(client, url: str, body: str | bytes, api_key: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"} if api_key else {}
    content_type = extra.pop("content_type", "application/json")
    return client.post(url, data=body, content_type=content_type, **headers, **extra)


def escalation(**overrides) -> dict:
    body = {
        "transcript": [{"sender": "customer", "body": "My parcel never arrived"}],
        "reason": "Wants a refund.",
    }
    body.update(overrides)
    return body


def nothing_stored() -> bool:
    return not Ticket.objects.exists() and not Message.objects.exists()


def assert_invalid_json(response) -> None:
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_json"
    assert body["detail"]


# --- JSON depth and size ---------------------------------------------------------------


@pytest.mark.parametrize("url", [LOGIN, CONVERSATIONS])
def test_deeply_nested_json_gets_400_invalid_json_not_a_500(client, url):
    assert_invalid_json(post_json(client, url, NESTED))
    assert nothing_stored()


def test_deeply_nested_json_to_the_escalations_api_gets_400_and_stores_nothing(client, api_key):
    assert_invalid_json(post_json(client, ESCALATIONS, NESTED, api_key))
    assert nothing_stored()


def test_json_nested_one_level_past_the_limit_is_refused_and_says_so(client, settings):
    settings.JSON_MAX_DEPTH = 4
    body = json.dumps({"name": [[[["x"]]]]})  # depth 5

    response = post_json(client, CONVERSATIONS, body)

    assert_invalid_json(response)
    assert "4" in response.json()["detail"]
    assert nothing_stored()


def test_json_at_the_depth_limit_is_accepted(client, settings, api_key):
    settings.JSON_MAX_DEPTH = 3  # the escalation's own shape: object, transcript, turn
    response = post_json(client, ESCALATIONS, json.dumps(escalation()), api_key)

    assert response.status_code == 201


def test_brackets_inside_strings_do_not_count_as_nesting(client, settings, api_key):
    settings.JSON_MAX_DEPTH = 3
    body = escalation(transcript=[{"sender": "customer", "body": '[[[{{{"\\"[[[ ' * 100}])

    response = post_json(client, ESCALATIONS, json.dumps(body), api_key)

    assert response.status_code == 201
    assert Message.objects.filter(body__startswith="[[[{{{").exists()


def test_a_json_body_over_the_size_limit_is_refused_before_parsing(client, settings):
    settings.JSON_MAX_BYTES = 1000
    body = json.dumps({"name": "x" * 1000})

    response = post_json(client, CONVERSATIONS, body)

    assert_invalid_json(response)
    assert "1000 bytes" in response.json()["detail"]
    assert nothing_stored()


def test_malformed_json_gets_the_same_invalid_json_shape(client):
    assert_invalid_json(post_json(client, CONVERSATIONS, "{not json"))


def test_nan_is_not_json_and_is_refused(client, api_key):
    assert_invalid_json(post_json(client, ESCALATIONS, '{"transcript": NaN}', api_key))


@pytest.fixture
def stripe_secret(settings) -> str:
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    return FAKE_WEBHOOK_SECRET


@pytest.mark.usefixtures("stripe_secret")
def test_deeply_nested_json_to_the_stripe_webhook_gets_400_and_stores_no_event(client):
    body = NESTED.encode()

    response = post_json(
        client,
        STRIPE_WEBHOOK,
        body,
        HTTP_STRIPE_SIGNATURE=sign_webhook_payload(body, FAKE_WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert response.json() == {"error": "invalid payload"}
    assert not StripeEvent.objects.exists()


# --- NUL and lone surrogates in text fields --------------------------------------------
# JSON can carry both ("\u0000", "\ud800"); PostgreSQL stores neither, so each text field
# must refuse them by name rather than fail at the database. DRF's CharField (and so the
# email, regex and choice fields) already does; these pin it for every field we accept.

UNSTORABLE = ["a\u0000b", "a\ud800b"]


@pytest.mark.parametrize("text", UNSTORABLE)
def test_unstorable_text_in_a_conversation_name_gets_400_by_field(client, text):
    response = post_json(client, CONVERSATIONS, json.dumps({"name": text}))

    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert nothing_stored()


@pytest.mark.parametrize("text", UNSTORABLE)
@pytest.mark.parametrize("field", ["email", "password"])
def test_unstorable_text_in_a_login_gets_400_by_field(client, text, field):
    agent = AgentFactory()
    credentials = {"email": agent.user.email, "password": "secret-password"}
    credentials[field] = credentials[field] + text

    response = post_json(client, LOGIN, json.dumps(credentials))

    assert response.status_code == 400
    assert field in response.json()
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("text", UNSTORABLE)
@pytest.mark.parametrize(
    "overrides",
    [
        lambda text: {"transcript": [{"sender": "customer", "body": text}]},
        lambda text: {"reason": text},
        lambda text: {"topic": text},
        lambda text: {"customer_reference": text},
        lambda text: {"customer_name": text},
    ],
    ids=["transcript", "reason", "topic", "customer_reference", "customer_name"],
)
def test_unstorable_text_in_an_escalation_gets_400_and_stores_nothing(
    client, api_key, text, overrides
):
    response = post_json(client, ESCALATIONS, json.dumps(escalation(**overrides(text))), api_key)

    assert response.status_code == 400
    assert nothing_stored()


# --- Tokens in paths -------------------------------------------------------------------

GARBAGE_TOKENS = ["%00", "abc%00def", "%C3%A9t%C3%A9", "a%20b", "x" * 65, "%F0%9F%98%80"]


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_a_transcript_api_call_with_a_garbage_token_is_404(client, token):
    assert client.get(f"/api/v1/conversations/{token}/messages/").status_code == 404


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_a_transcript_download_with_a_garbage_token_is_404(client, token):
    assert client.get(f"/chat/{token}/transcript.txt").status_code == 404


def test_a_well_shaped_but_unknown_token_is_still_404(client):
    response = client.get("/api/v1/conversations/no-such-token/messages/")

    assert response.status_code == 404


def test_a_real_token_still_reaches_its_transcript(client):
    ticket = TicketFactory()

    response = client.get(f"/api/v1/conversations/{ticket.token}/messages/")

    assert response.status_code == 200
    assert client.get(f"/chat/{ticket.token}/transcript.txt").status_code == 200


def test_the_chat_page_ignores_a_garbage_conversation_parameter(client):
    assert client.get("/chat/?c=%00").status_code == 200
