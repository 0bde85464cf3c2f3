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


# --- What counts: failures, per account and per client address --------------------------

CAMPUS = "203.0.113.7"


def log_in(client: Client, how: str, email: str, password: str, **extra):
    if how == "api":
        return client.post(
            URL, {"email": email, "password": password}, content_type="application/json", **extra
        )
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def logged_in(how: str, response) -> bool:
    return response.status_code == (200 if how == "api" else 302)


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["api", "form"])
def test_fifty_agents_log_in_from_one_address_and_all_succeed(how):
    agents = AgentFactory.create_batch(50)

    results = [
        logged_in(how, log_in(Client(), how, agent.user.email, PASSWORD, REMOTE_ADDR=CAMPUS))
        for agent in agents
    ]

    assert all(results)


@pytest.mark.django_db
def test_successful_logins_leave_the_address_its_whole_budget_of_failures(client, settings):
    for agent in AgentFactory.create_batch(30):
        log_in(Client(), "api", agent.user.email, PASSWORD, REMOTE_ADDR=CAMPUS)
    address_limit = settings.LOGIN_MAX_FAILURES * 4

    failures = [
        log_in(client, "api", f"nobody{n}@example.com", "guess", REMOTE_ADDR=CAMPUS).status_code
        for n in range(address_limit + 1)
    ]

    assert failures == [401] * address_limit + [429]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["api", "form"])
def test_an_agent_who_logs_in_after_failures_gets_its_whole_budget_back(client, settings, how):
    agent = AgentFactory()
    email = agent.user.email
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        log_in(client, how, email, "guess")
    assert logged_in(how, log_in(client, how, email, PASSWORD))
    client.logout()

    failures = [log_in(client, how, email, "guess") for _ in range(settings.LOGIN_MAX_FAILURES)]
    after_a_full_budget = log_in(client, how, email, PASSWORD)

    assert all("Wrong email or password" in r.content.decode() for r in failures)
    assert "Too many login attempts" in after_a_full_budget.content.decode()


@pytest.mark.django_db
def test_a_browser_login_without_a_password_does_not_clear_the_accounts_failures(client, settings):
    agent = AgentFactory()
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        log_in(client, "form", agent.user.email, "guess")

    log_in(client, "form", agent.user.email, "")  # were it a success, the count would reset
    log_in(client, "form", agent.user.email, "guess")
    response = log_in(client, "form", agent.user.email, PASSWORD)

    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_the_address_limit_holds_under_a_concurrent_burst_of_guesses_on_many_accounts(settings):
    burst = 30
    address_limit = settings.LOGIN_MAX_FAILURES * 4
    start = threading.Barrier(burst)
    statuses: list[int] = []

    def guess(n: int) -> None:
        try:
            start.wait(timeout=10)
            response = log_in(
                Client(), "api", f"nobody{n}@example.com", "guess", REMOTE_ADDR=CAMPUS
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
    assert statuses.count(401) == address_limit
    assert statuses.count(429) == burst - address_limit


# --- Whose address: X-Forwarded-For only from a trusted proxy -----------------------------


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_give_a_guesser_new_addresses(client, settings):
    address_limit = settings.LOGIN_MAX_FAILURES * 4

    statuses = [
        log_in(
            client,
            "api",
            f"nobody{n}@example.com",
            "guess",
            REMOTE_ADDR=CAMPUS,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(address_limit + 1)
    ]

    assert statuses[-1] == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_budget(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    address_limit = settings.LOGIN_MAX_FAILURES * 4

    def guess(n: int, client_address: str) -> int:
        return log_in(
            client,
            "api",
            f"nobody{n}@example.com",
            "guess",
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=client_address,
        ).status_code

    first = [guess(n, "198.51.100.1") for n in range(address_limit + 1)]
    second = guess(99, "198.51.100.2")

    assert first[-1] == 429
    assert second == 401


# --- A Redis outage: the counts go on in the process ----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["api", "form"])
def test_with_the_cache_unreachable_an_agent_still_logs_in(client, cache_unreachable, how):
    agent = AgentFactory()

    response = log_in(client, how, agent.user.email, PASSWORD)

    assert logged_in(how, response)


@pytest.mark.django_db
def test_with_the_cache_unreachable_guesses_are_still_limited(client, settings, cache_unreachable):
    agent = AgentFactory()

    statuses = [
        log_in(client, "api", agent.user.email, "guess").status_code
        for _ in range(settings.LOGIN_MAX_FAILURES + 1)
    ]

    assert statuses == [401] * settings.LOGIN_MAX_FAILURES + [429]
