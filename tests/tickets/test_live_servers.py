"""The protocol over real sockets: a websocket client against running server processes."""

import json

import pytest
from django.conf import global_settings
from websockets.sync.client import connect

from tests.factories import PASSWORD, AgentFactory
from tests.servers import login_cookie, post_json, running_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


def next_of(ws, *types: str, timeout: float = 5) -> dict:
    while True:
        event = json.loads(ws.recv(timeout=timeout))
        if event["type"] in types:
            return event


def next_message_from(ws, sender: str, timeout: float = 5) -> dict:
    while True:
        event = next_of(ws, "message", timeout=timeout)
        if event["sender"] == sender:
            return event


def round_trip(agent_base: str, customer_base: str, agent_email: str) -> None:
    """Escalate, claim and chat with the agent on one server and the customer on another."""
    conversation = post_json(f"{customer_base}/api/v1/conversations/", {"name": "Sam Doe"})
    cookie = login_cookie(agent_base, agent_email, PASSWORD)
    origin_agent = {"Origin": agent_base}
    origin_customer = {"Origin": customer_base}
    with (
        connect(
            ws_url(agent_base, "/ws/agent/"), additional_headers={**origin_agent, "Cookie": cookie}
        ) as agent,
        connect(
            ws_url(customer_base, f"/ws/chat/{conversation['token']}/"),
            additional_headers=origin_customer,
        ) as customer,
    ):
        assert next_of(agent, "queue")["type"] == "queue"
        assert next_of(customer, "status")["status"] == "bot"

        customer.send(json.dumps({"type": "request_human"}))
        ticket = next_of(agent, "ticket.new")["ticket"]
        assert ticket["customer_first_name"] == "Sam"

        agent.send(json.dumps({"type": "claim", "ticket": ticket["id"]}))
        assert next_of(agent, "claim.ok", "claim.failed")["type"] == "claim.ok"
        assert next_of(customer, "status")["status"] in {"queued", "assigned"}

        customer.send(json.dumps({"type": "message", "client_id": "c1", "body": "<b>hi</b>"}))
        ack = next_of(customer, "ack")
        seen = next_message_from(agent, "customer")
        assert (seen["seq"], seen["body"]) == (ack["seq"], "<b>hi</b>")

        agent.send(
            json.dumps(
                {"type": "message", "ticket": ticket["id"], "client_id": "a1", "body": "Hello Sam"}
            )
        )
        agent_ack = next_of(agent, "ack")
        reply = next_message_from(customer, "agent")
        assert (reply["seq"], reply["body"]) == (agent_ack["seq"], "Hello Sam")


def test_a_real_websocket_client_completes_the_round_trip_against_a_running_server(settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's hashers
    agent = AgentFactory()
    with running_server(ROUTING_MODE="pick") as base:  # the round trip claims from the queue
        round_trip(base, base, agent.user.email)


def test_a_foreign_origin_is_refused_by_a_running_server():
    with running_server() as base, pytest.raises(Exception, match="403"):
        connect(ws_url(base, "/ws/agent/"), additional_headers={"Origin": "https://evil.example"})


@pytest.mark.redis
@pytest.mark.postgres
def test_agent_and_customer_on_two_server_processes_chat_through_redis(settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    agent = AgentFactory()
    with (
        running_server(ROUTING_MODE="pick") as agent_base,
        running_server(ROUTING_MODE="pick") as customer_base,
    ):
        assert agent_base != customer_base
        round_trip(agent_base, customer_base, agent.user.email)
