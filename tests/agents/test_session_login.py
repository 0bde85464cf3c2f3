"""Logging in: the session API for non-browser clients and the browser form, both throttled."""

import threading

import pytest
from django.db import connections
from django.test import Client

from tests.factories import PASSWORD, AgentFactory

URL = "/api/v1/auth/session/"


@pytest.mark.django_db
def test_an_agent_logs_in_and_gets_a_session_cookie(client):
    agent = AgentFactory()

    response = client.post(
        URL, {"email": agent.user.email, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"email": agent.user.email, "agent_id": agent.pk}
    assert response.cookies["sessionid"].value


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["wrong-password", "unknown-email"])
def test_wrong_credentials_get_401_without_saying_which_part_was_wrong(client, which):
    agent = AgentFactory()
    email = agent.user.email if which == "wrong-password" else "nobody@example.com"

    response = client.post(
        URL, {"email": email, "password": "nope"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong email or password."}
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_a_malformed_login_gets_400(client):
    response = client.post(URL, {"email": "not-an-email"}, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


@pytest.mark.django_db
def test_after_five_attempts_even_the_right_password_is_refused(client, settings):
    agent = AgentFactory()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post(
            URL, {"email": agent.user.email, "password": "guess"}, content_type="application/json"
        )

    response = client.post(
        URL, {"email": agent.user.email, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_under_a_concurrent_burst_of_guesses(settings):
    agent = AgentFactory()
    burst = 30
    start = threading.Barrier(burst)
    statuses: list[int] = []

    def guess(n: int) -> None:
        try:
            start.wait(timeout=10)
            response = Client().post(
                URL,
                {"email": agent.user.email, "password": f"guess-{n}"},
                content_type="application/json",
                REMOTE_ADDR=f"10.0.0.{n}",
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(burst)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == burst
    assert statuses.count(401) == settings.LOGIN_MAX_FAILURES
    assert statuses.count(429) == burst - settings.LOGIN_MAX_FAILURES


@pytest.mark.django_db
def test_the_browser_login_form_is_throttled_too(client, settings):
    agent = AgentFactory()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/accounts/login/", {"username": agent.user.email, "password": "guess"})

    response = client.post("/accounts/login/", {"username": agent.user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_browser_login_form_logs_an_agent_in(client):
    agent = AgentFactory()

    response = client.post("/accounts/login/", {"username": agent.user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent.user.pk)
