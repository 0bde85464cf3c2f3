"""Creating conversations is limited per client address (30 a minute): the address comes
from trusted proxies only, and the limit holds while Redis is down."""

import urllib.error
import urllib.request

import pytest
from django.test import Client

from tests.servers import running_server

URL = "/api/v1/conversations/"
LIMIT = 30  # REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["conversation_create"]: 30/minute


def create(client: Client, **extra) -> int:
    return client.post(URL, {"name": "Sam"}, content_type="application/json", **extra).status_code


@pytest.mark.django_db
def test_the_thirty_first_conversation_in_a_minute_from_one_address_is_refused(client):
    statuses = [create(client) for _ in range(LIMIT + 1)]

    assert statuses == [201] * LIMIT + [429]


@pytest.mark.django_db
def test_a_refused_creation_says_when_to_try_again(client):
    for _ in range(LIMIT):
        create(client)

    response = client.post(URL, {}, content_type="application/json")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"


@pytest.mark.django_db
def test_a_rotating_forged_forwarded_for_header_does_not_lift_the_limit(client):
    statuses = [
        create(client, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(LIMIT + 10)
    ]

    assert statuses.count(201) == LIMIT
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = {"REMOTE_ADDR": "10.0.0.5"}

    first = [create(client, **via_proxy, HTTP_X_FORWARDED_FOR="198.51.100.1") for _ in range(31)]
    second = create(client, **via_proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert first[-1] == 429
    assert second == 201


@pytest.mark.django_db
def test_behind_a_trusted_proxy_a_forged_entry_left_of_the_client_does_not_help(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    statuses = [
        create(
            client,
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.1",
        )
        for n in range(LIMIT + 1)
    ]

    assert statuses[-1] == 429


@pytest.mark.django_db
def test_addresses_of_one_ipv6_slash_64_share_a_limit(client):
    statuses = [create(client, REMOTE_ADDR=f"2001:db8:1:2::{n:x}") for n in range(1, LIMIT + 2)]

    assert statuses[-1] == 429


@pytest.mark.django_db
def test_with_the_cache_unreachable_conversations_are_still_created(client, cache_unreachable):
    assert create(client) == 201


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_limit_still_holds(client, cache_unreachable):
    statuses = [create(client) for _ in range(LIMIT + 1)]

    assert statuses == [201] * LIMIT + [429]


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_running_server_does_not_take_the_client_address_from_a_forged_header():
    # uvicorn, unless told --no-proxy-headers, believes X-Forwarded-For from 127.0.0.1 and
    # hands Django the forged address as the peer: every request a new client.
    with running_server() as base:
        statuses = []
        for n in range(LIMIT + 1):
            request = urllib.request.Request(  # noqa: S310 - loopback test server
                f"{base}{URL}",
                data=b"{}",
                headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{n}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)

    assert statuses == [201] * LIMIT + [429]
