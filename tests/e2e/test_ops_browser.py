"""Issue #21 in real headless Chromium: a staff member watching /ops/ sees the queue grow
with a burst of escalations and shrink back to nothing as agents take them, without a
reload (the page polls its figures every 2 s).

The burst is written here, as service calls on the server's database (the load simulator,
bench/load.py, drives hundreds of sockets and is too heavy for a browser test)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection
from playwright.sync_api import expect

from agents.models import Agent
from tests.factories import PASSWORD, AgentFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import Ticket

T = TypeVar("T")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# Two polls and the time to render: the figure must change within this, not on a reload.
LIVE_MS = 10_000


def off_the_browsers_loop(work: Callable[[], T]) -> T:
    """Run ``work`` on a thread of its own: the services push to sockets through
    ``async_to_sync``, which refuses the thread where Playwright's event loop runs."""

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def escalate(count: int) -> list[Ticket]:
    def burst() -> list[Ticket]:
        tickets = [TicketFactory(language="en") for _ in range(count)]
        for ticket in tickets:
            services.ticket_escalate(
                ticket_id=ticket.pk,
                reason=Ticket.EscalationReason.CUSTOMER_REQUEST,
                required_skills=["general"],
            )
        return tickets

    return off_the_browsers_loop(burst)


def claim(pairs: list[tuple[Ticket, Agent]]) -> None:
    def claims() -> None:
        for ticket, agent in pairs:
            assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok

    off_the_browsers_loop(claims)


def test_staff_watch_the_queue_grow_and_shrink_live(live_server_url, new_context, settings):
    # Claims from the open queue: no dispatch round in this process offers the tickets.
    settings.ROUTING_MODE = "pick"
    UserFactory(email="ops@example.com", is_staff=True)
    agents = [AgentFactory(languages=["en"], skills=["general"], capacity=3) for _ in range(3)]
    page = new_context().new_page()

    page.goto(f"{live_server_url}/ops/")  # to the admin's login, and back
    page.get_by_label("Email address").fill("ops@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    waiting = page.locator("#ops-waiting")
    expect(waiting).to_have_text("0")
    page.evaluate("window.notReloaded = true")

    first = escalate(3)
    expect(waiting).to_have_text("3", timeout=LIVE_MS)
    tickets = first + escalate(5)
    expect(waiting).to_have_text("8", timeout=LIVE_MS)
    expect(page.locator("#ops-online")).to_have_text("3")

    claim(list(zip(tickets[:4], agents * 2, strict=False)))
    expect(waiting).to_have_text("4", timeout=LIVE_MS)
    claim(list(zip(tickets[4:], agents[1:] * 2, strict=False)))
    expect(waiting).to_have_text("0", timeout=LIVE_MS)

    assert page.evaluate("window.notReloaded") is True
    assert page.url == f"{live_server_url}/ops/"
