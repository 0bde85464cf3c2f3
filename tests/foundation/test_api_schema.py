"""The HTTP API does what its OpenAPI schema (/api/schema/) says, and the schema says all of it.

`make schema-check` fuzzes a running server against the schema with schemathesis; these pin
what it and the issue found, through the real API: input of the wrong JSON type that DRF
coerced, checks that ran on trimmed text while the schema describes the text as sent, an
empty query value read as none, a form body the schema never offered, and answers that were
not JSON. Every refusal stores nothing.
"""

import json

import jsonschema_rs
import pytest
from django.core.management import call_command

from agents.models import User
from agents.serializers import SessionLoginInput
from tests.factories import AgentFactory, TicketFactory
from tickets import integrations
from tickets.integration_serializers import EscalationInput
from tickets.models import Message, Ticket
from tickets.serializers import ConversationCreateInput

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/session/"
CONVERSATIONS = "/api/v1/conversations/"
ESCALATIONS = "/api/v1/escalations/"
API_OPERATIONS = {
    ("/api/v1/auth/session/", "post"),
    ("/api/v1/conversations/", "post"),
    ("/api/v1/conversations/{token}/messages/", "get"),
    ("/api/v1/escalations/", "post"),
}


@pytest.fixture
def api_key() -> str:
    return integrations.integration_create(name="Acme").api_key


@pytest.fixture
def schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def post_json(client, url: str, body: dict, api_key: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"} if api_key else {}
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def escalation(**overrides) -> dict:
    body = {
        "transcript": [{"sender": "customer", "body": "My parcel never arrived"}],
        "reason": "Wants a refund.",
    }
    body.update(overrides)
    return body


def nothing_stored() -> bool:
    return not Ticket.objects.exists() and not Message.objects.exists()


# --- The schema itself -------------------------------------------------------------------


def test_the_schema_is_valid_openapi_without_a_single_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s"))


def test_the_schema_lists_the_api_and_not_the_pages_or_the_stripe_webhook(schema):
    listed = {(path, method) for path, item in schema["paths"].items() for method in item}

    assert listed == API_OPERATIONS


def test_every_operation_documents_its_refusals_and_the_outage_answer(schema):
    for path, method in API_OPERATIONS:
        responses = schema["paths"][path][method]["responses"]
        assert "400" in responses, (path, method)
        assert responses["503"]["headers"]["Retry-After"]["required"] is True, (path, method)
        for status, response in responses.items():
            assert "application/json" in response["content"], (path, method, status)


# --- The schema's validation is the server's ------------------------------------------
# Edge cases a fuzzer may or may not draw: each body is valid by the schema (read by the
# Rust validator behind schemathesis) exactly when the server's serializer accepts it.

TURN = {"sender": "customer", "body": "Hello"}
AGREEMENT_CASES = (
    [
        (ConversationCreateInput, body)
        for body in [
            {},
            {"name": ""},
            {"name": "   "},
            {"name": "x" * 120},
            {"name": "x" * 121},
            {"name": "x" * 119 + "  "},
            {"name": "a\u0000b"},
            {"name": 0},
            {"name": None},
            {"name": "Sam", "not_a_field": [1]},  # unknown fields are ignored, as documented
            {"email": ""},
            {"email": "sam@example.com"},
            {"email": " sam@example.com"},
            {"email": "sam"},
            {"email": 0},
            {"language": "fr"},
            {"language": "xx"},
            {"language": 0},
        ]
    ]
    + [
        (SessionLoginInput, body)
        for body in [
            {},
            {"email": "sam@example.com", "password": ""},
            {"email": "sam@example.com", "password": " "},
            {"email": "sam@example.com", "password": "x" * 256},
            {"email": "sam@example.com", "password": "x" * 257},
            {"email": "sam@example.com", "password": 123456},
            {"email": "sam@example.com", "password": "a\u0000"},
        ]
    ]
    + [
        (EscalationInput, escalation(**overrides))
        for overrides in [
            {},
            {"reason": " "},
            {"reason": "\u3000"},  # ideographic space: whitespace to str.strip and to the schema
            {"reason": "\x1c"},  # a separator Python strips, which \s would not name in Rust
            {"reason": "\ufeff"},  # a BOM is not whitespace to either
            {"reason": "a" * 500},
            {"reason": "a" * 501},
            {"topic": ""},
            {"topic": "billing"},
            {"topic": " billing"},
            {"topic": "billing\n"},
            {"topic": "b!lling"},
            {"topic": 7},
            {"transcript": []},
            {"transcript": [TURN] * 200},
            {"transcript": [TURN] * 201},
            {"transcript": [{"sender": "customer", "body": " "}]},
            {"transcript": [{"sender": "customer", "body": "x" * 4000}]},
            {"transcript": [{"sender": "customer", "body": "x" * 4001}]},
            {"transcript": [{"sender": "agent", "body": "Hi"}]},
            {"transcript": "Hello"},
            {"priority": "urgent"},
            {"priority": "URGENT"},
            {"customer_reference": "x" * 128},
            {"customer_reference": "x" * 129},
        ]
    ]
)


@pytest.mark.parametrize(("serializer", "body"), AGREEMENT_CASES)
def test_the_schema_accepts_a_body_exactly_when_the_server_does(schema, serializer, body):
    validator = jsonschema_rs.Draft4Validator(
        {"$ref": f"#/components/schemas/{serializer.__name__}", "components": schema["components"]},
        validate_formats=True,
    )

    assert validator.is_valid(body) == serializer(data=body).is_valid()


# --- Input of the wrong JSON type is refused, not coerced ---------------------------------


@pytest.mark.parametrize("value", [0, 12.5, True, ["Sam"], {"first": "Sam"}])
def test_a_conversation_name_that_is_not_a_string_gets_400_and_stores_nothing(client, value):
    response = post_json(client, CONVERSATIONS, {"name": value})

    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert nothing_stored()


def test_a_conversation_email_that_is_a_number_gets_400(client):
    response = post_json(client, CONVERSATIONS, {"email": 0})

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert nothing_stored()


def test_a_password_sent_as_a_number_is_refused_not_tried(client):
    agent = AgentFactory()
    agent.user.set_password("123456")
    agent.user.save()

    response = post_json(client, LOGIN, {"email": agent.user.email, "password": 123456})

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": 404},
        {"topic": 7},
        {"customer_reference": 12345},
        {"customer_name": False},
        {"transcript": [{"sender": "customer", "body": 42}]},
    ],
    ids=["reason", "topic", "customer_reference", "customer_name", "transcript-body"],
)
def test_an_escalation_field_that_is_not_a_string_gets_400_and_stores_nothing(
    client, api_key, overrides
):
    response = post_json(client, ESCALATIONS, escalation(**overrides), api_key)

    assert response.status_code == 400
    assert list(response.json()) == list(overrides)
    assert nothing_stored()


# --- Text is checked as sent, as the schema describes it ----------------------------------


def test_a_name_over_the_limit_by_a_trailing_space_is_refused(client):
    response = post_json(client, CONVERSATIONS, {"name": "x" * 120 + " "})

    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert nothing_stored()


def test_a_name_is_still_trimmed_once_it_passed_the_checks(client):
    response = post_json(client, CONVERSATIONS, {"name": "  Sam  "})

    assert response.status_code == 201
    assert Ticket.objects.get().customer_name == "Sam"


def test_an_email_with_surrounding_spaces_is_refused(client):
    response = post_json(client, CONVERSATIONS, {"email": " sam@example.com"})

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert nothing_stored()


def test_a_topic_with_a_trailing_newline_does_not_match_its_pattern(client, api_key):
    # Python's $ matches before a final newline; the schema's (ECMAScript's) does not.
    response = post_json(client, ESCALATIONS, escalation(topic="billing\n"), api_key)

    assert response.status_code == 400
    assert list(response.json()) == ["topic"]
    assert nothing_stored()


def test_a_blank_topic_is_still_accepted(client, api_key):
    response = post_json(client, ESCALATIONS, escalation(topic=""), api_key)

    assert response.status_code == 201


def test_an_idempotency_key_with_a_leading_space_is_refused(client, api_key):
    # HTTP drops a header value's surrounding spaces on the way: such a key never arrives
    # as sent, so the schema's pattern refuses it and so does the server.
    response = client.post(
        ESCALATIONS,
        data=json.dumps(escalation()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
        HTTP_IDEMPOTENCY_KEY=" key-1",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert nothing_stored()


# --- Query values ---------------------------------------------------------------------


@pytest.mark.parametrize("after_seq", ["", "1.0", "%201", "+1", "%D9%A1", "true"])
def test_an_after_seq_that_is_not_ascii_digits_gets_400(client, after_seq):
    ticket = TicketFactory()

    response = client.get(f"/api/v1/conversations/{ticket.token}/messages/?after_seq={after_seq}")

    assert response.status_code == 400
    assert list(response.json()) == ["after_seq"]


def test_an_after_seq_past_the_largest_possible_seq_gets_400(client):
    ticket = TicketFactory()

    response = client.get(f"/api/v1/conversations/{ticket.token}/messages/?after_seq={2**31}")

    assert response.status_code == 400
    assert list(response.json()) == ["after_seq"]


# --- JSON in, JSON out ----------------------------------------------------------------


def test_a_form_encoded_body_gets_415_and_stores_nothing(client):
    response = client.post(CONVERSATIONS, {"name": "Sam"})  # multipart, the test client's default

    assert response.status_code == 415
    assert "detail" in response.json()
    assert nothing_stored()


def test_a_form_encoded_login_gets_415_and_no_session(client):
    agent = AgentFactory()

    response = client.post(LOGIN, {"email": agent.user.email, "password": "secret-password"})

    assert response.status_code == 415
    assert "sessionid" not in response.cookies
    assert User.objects.filter(pk=agent.user.pk, last_login__isnull=True).exists()


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_opening_an_api_url_gets_json_not_the_browsable_api(client):
    ticket = TicketFactory()
    url = f"/api/v1/conversations/{ticket.token}/messages/"

    response = client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/v1/conversations/%00/messages/", "/api/v1/nothing/"])
def test_a_path_under_api_that_matches_no_route_gets_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_matches_no_route_still_gets_the_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
