"""Open websockets counted for /metrics: in this process, and summed across processes."""

import asyncio
import json
import math
import time
import uuid

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from marketplace import open_sockets
from tests.factories import AgentFactory, TicketFactory
from tests.tickets.wsclient import open_agent, open_customer

TOKEN = "metrics-test-token-0123456789"  # noqa: S105 - a test value

needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL, reason="the shared counts live in Redis (production profile)"
)


@pytest.fixture
def own_key(monkeypatch):
    key = f"test:open-websockets:{uuid.uuid4().hex}"
    monkeypatch.setattr(open_sockets, "KEY", key)
    yield key
    redis.Redis.from_url(django_settings.REDIS_URL).delete(key)


def websocket_figures(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(response.content.decode())
        if family.name == "humanline_websocket_connections"
        for sample in family.samples
    }


@pytest.mark.django_db(transaction=True)
async def test_open_agent_and_customer_sockets_are_counted_until_they_close():
    before = open_sockets.this_process_counts()
    ticket = await sync_to_async(TicketFactory)()
    agent = await sync_to_async(AgentFactory)()
    customer, _, _ = await open_customer(ticket.token)
    agent_socket, _, _ = await open_agent(agent.user)

    during = open_sockets.this_process_counts()
    await customer.close()
    await agent_socket.close()

    assert during == {"agent": before["agent"] + 1, "customer": before["customer"] + 1}
    assert open_sockets.this_process_counts() == before


def test_a_socket_to_an_unknown_path_is_not_counted():
    assert open_sockets.socket_kind("/ws/nope/") is None
    assert open_sockets.socket_kind("/ws/agent/") == "agent"
    assert open_sockets.socket_kind("/ws/chat/abc/") == "customer"


@pytest.mark.django_db
def test_metrics_report_this_process_sockets_when_nothing_is_shared(client, settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setitem(open_sockets._counts, "agent", 3)
    monkeypatch.setitem(open_sockets._counts, "customer", 5)

    assert websocket_figures(client) == {"agent": 3, "customer": 5}


@needs_redis
def test_counts_published_by_live_processes_are_summed_and_stale_ones_dropped(settings, own_key):
    settings.OPEN_SOCKETS_SHARED = True
    client = redis.Redis.from_url(settings.REDIS_URL)
    now = time.time()
    client.hset(own_key, "web-1:10", json.dumps({"at": now, "agent": 2, "customer": 7}))
    client.hset(own_key, "web-2:11", json.dumps({"at": now - 1, "agent": 1, "customer": 0}))
    stale = now - open_sockets.STALE_SECONDS - 1
    client.hset(own_key, "killed:12", json.dumps({"at": stale, "agent": 9, "customer": 9}))

    counts = open_sockets.open_socket_counts()

    assert counts == {"agent": 3, "customer": 7}
    assert set(client.hkeys(own_key)) == {b"web-1:10", b"web-2:11"}


@needs_redis
@pytest.mark.django_db(transaction=True)
async def test_a_socket_opening_publishes_this_process_counts_at_once(settings, own_key):
    settings.OPEN_SOCKETS_SHARED = True
    client = redis.Redis.from_url(settings.REDIS_URL)
    ticket = await sync_to_async(TicketFactory)()
    expected = open_sockets.this_process_counts()["customer"] + 1

    customer, _, _ = await open_customer(ticket.token)
    published = None
    for _ in range(100):
        raw = client.hget(own_key, open_sockets.PROCESS)
        published = json.loads(raw) if raw else None
        if published and published["customer"] == expected:
            break
        await asyncio.sleep(0.02)
    await customer.close()
    open_sockets._publisher.cancel()

    assert published is not None
    assert published["customer"] == expected


@pytest.mark.django_db
def test_an_unreachable_redis_leaves_the_figure_unknown_and_the_scrape_served(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.OPEN_SOCKETS_SHARED = True
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    figures = websocket_figures(client)

    assert math.isnan(figures["agent"])
    assert math.isnan(figures["customer"])
