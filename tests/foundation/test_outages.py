"""A lost database or Redis: HTTP answers 503 with Retry-After and says so, never a 500.

Transactional tests: answering an outage closes the broken connection, which inside a
test's wrapping transaction would close the test's own.
"""

import json

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.utils import CursorWrapper
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from marketplace.outages import server_error
from tests.factories import AgentFactory
from tests.fakes.stripe_fixtures import FAKE_WEBHOOK_SECRET
from tests.fakes.stripe_server import sign_webhook_payload
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

CONVERSATIONS = "/api/v1/conversations/"


def refuse_query(self, sql, params=None):
    raise OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as it does when PostgreSQL has dropped the connection."""
    monkeypatch.setattr(CursorWrapper, "execute", refuse_query)


def assert_unavailable_json(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "unavailable"
    assert "unavailable" in body["detail"]


@pytest.mark.usefixtures("database_down")
def test_the_api_answers_503_json_with_retry_after_while_the_database_is_down(client):
    assert_unavailable_json(client.post(CONVERSATIONS, {}, content_type="application/json"))


@pytest.mark.parametrize(
    "outage",
    [
        OperationalError("could not connect to server"),
        InterfaceError("connection already closed"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        RedisTimeoutError("Timeout reading from socket"),
    ],
    ids=["db-operational", "db-interface", "redis-connection", "redis-timeout"],
)
def test_each_kind_of_outage_is_a_503(client, monkeypatch, outage):
    def fail(**kwargs):
        raise outage

    monkeypatch.setattr(services, "conversation_start", fail)

    assert_unavailable_json(client.post(CONVERSATIONS, {}, content_type="application/json"))


def test_an_unreachable_redis_cache_is_a_503(client, monkeypatch):
    # Django's own Redis cache backend, pointed where nothing listens: the real client's error.
    unreachable = RedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )

    def read_the_cache(**kwargs):
        return unreachable.get("anything")

    monkeypatch.setattr(services, "conversation_start", read_the_cache)

    assert_unavailable_json(client.post(CONVERSATIONS, {}, content_type="application/json"))


def test_a_page_answers_a_plain_html_503_while_the_database_is_down(client, monkeypatch):
    client.force_login(AgentFactory().user)
    monkeypatch.setattr(CursorWrapper, "execute", refuse_query)

    response = client.get("/portal/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Briefly unavailable" in response.content


@pytest.mark.usefixtures("database_down")
def test_the_stripe_webhook_answers_json_503_so_stripe_retries(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    body = json.dumps({"id": "evt_1", "type": "transfer.created", "object": "event"}).encode()

    response = client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_webhook_payload(body, FAKE_WEBHOOK_SECRET),
    )

    assert_unavailable_json(response)


def test_other_errors_are_still_500s_not_disguised_as_outages(client, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "conversation_start", fail)
    client.raise_request_exception = False

    assert client.post(CONVERSATIONS, {}, content_type="application/json").status_code == 500


@pytest.mark.postgres
def test_a_dropped_database_connection_is_closed_so_the_next_request_gets_a_fresh_one(client):
    # The server ends this connection, as a PostgreSQL restart or failover would.
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    first = client.post(CONVERSATIONS, {}, content_type="application/json")
    second = client.post(CONVERSATIONS, {}, content_type="application/json")

    assert_unavailable_json(first)
    assert second.status_code == 201
    assert Ticket.objects.count() == 1


def test_the_500_handler_answers_an_outage_raised_outside_any_view_with_a_503(rf):
    # Saving the session happens in middleware on the way out, where no view's exception
    # handling reaches; Django then calls the 500 handler inside its except block.
    request = rf.post(CONVERSATIONS, content_type="application/json")
    try:
        refuse_query(None, "UPDATE django_session …")
    except OperationalError:
        response = server_error(request)

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert json.loads(response.content)["code"] == "unavailable"


def test_the_500_handler_leaves_other_errors_a_500(rf):
    request = rf.get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)

    assert response.status_code == 500
