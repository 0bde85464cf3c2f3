"""The agent portal's round trip in real headless Chromium: a customer, two agents and the portal.

Three browser contexts against one uvicorn process of the product: the customer escalates
from /chat/, both agents see the ticket arrive in their portal queues without a reload, one
claims it (the other sees it go), they chat both ways, the agent keeps a private note the
customer never sees, resolves, the customer says it solved the problem and rates, and the
agent finds the ticket's pay line on the earnings page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import global_settings
from playwright.sync_api import BrowserContext, Page, expect

from tests.factories import PASSWORD, AgentFactory, RateCardFactory, UserFactory
from tests.servers import running_server
from tickets.models import Ticket, TicketNote

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

NOTE = "Customer <b>double-charged</b>; refund promised by Friday."


def log_in(context: BrowserContext, base: str, email: str) -> Page:
    """Log in through the real login page; lands wherever the login sends the user."""
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/portal/")  # LOGIN_REDIRECT_URL, for agents and others alike
    return page


def go_online(page: Page) -> None:
    page.get_by_label("Online", exact=True).check()
    expect(page.locator("#connection")).to_have_text("Online — customers can reach you")


def queue_card(page: Page, ticket_id: int):
    return page.locator(f'#queue .queue-item[data-ticket="{ticket_id}"]')


def test_a_ticket_goes_from_the_customer_through_two_agents_portals_to_a_pay_line(
    portal_server, new_context
):
    base = portal_server
    RateCardFactory(entries={(Ticket.Priority.NORMAL, ""): 300})
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    AgentFactory(user__email="ben@example.com", user__first_name="Ben")
    ana = log_in(new_context(), base, "ana@example.com")
    ben = log_in(new_context(), base, "ben@example.com")
    go_online(ana)
    go_online(ben)

    # The customer asks for a person; both agents' queues show it without a reload.
    customer = new_context().new_page()
    customer.goto(f"{base}/chat/")
    customer.get_by_label("Your name").fill("Sam Doe")
    customer.get_by_role("button", name="Talk to a person").click()
    expect(customer.locator("#queue-position")).to_have_text("1")
    ticket = Ticket.objects.get()
    expect(queue_card(ana, ticket.pk)).to_be_visible()
    expect(queue_card(ben, ticket.pk)).to_be_visible()

    # Ana claims it; it leaves Ben's queue.
    queue_card(ana, ticket.pk).get_by_role("button", name=re.compile("^Claim")).click()
    chat = ana.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')
    expect(chat).to_be_visible()
    expect(queue_card(ben, ticket.pk)).to_have_count(0)
    expect(queue_card(ana, ticket.pk)).to_have_count(0)
    expect(customer.locator("#chat-status")).to_have_text("Ana is chatting with you.")

    # Both ways.
    customer.get_by_label("Your message").fill("My card was charged twice")
    customer.get_by_role("button", name="Send").click()
    expect(chat.locator(".message.from-customer .text")).to_have_text(["My card was charged twice"])
    chat.get_by_label("Message to the customer").fill("Sorry about that, Sam. Refunding now.")
    chat.get_by_role("button", name="Send").click()
    expect(customer.locator(".message--agent .message-body")).to_have_text(
        ["Sorry about that, Sam. Refunding now."]
    )

    # A private note: saved, shown to Ana as text, never to the customer.
    chat.get_by_label("Private note (never shown to the customer)").fill(NOTE)
    chat.get_by_role("button", name="Add note").click()
    saved = chat.locator(".note-list .note[data-note]")
    expect(saved.locator(".text")).to_have_text([NOTE])
    assert chat.locator(".note-list b").count() == 0
    assert TicketNote.objects.get().body == NOTE
    # A message sent after the note reaches the customer: had the note been pushed to the
    # customer's socket, it would have arrived before this.
    chat.get_by_label("Message to the customer").fill("Done: you'll see it in 3 days.")
    chat.get_by_role("button", name="Send").click()
    expect(customer.locator(".message--agent .message-body")).to_have_count(2)
    expect(customer.locator("#messages")).not_to_contain_text("double-charged")

    # Resolve, then the customer confirms it solved the problem (which releases the pay
    # line, docs/quality.md) and rates.
    chat.get_by_role("button", name="Resolve").click()
    expect(chat.locator(".closed-note")).to_contain_text("Resolved. Thank you!")
    expect(customer.get_by_role("heading", name="This conversation is resolved")).to_be_visible()
    customer.get_by_role("button", name="Yes", exact=True).click()
    expect(customer.locator("#confirm-done")).to_have_text("Thank you! We're glad that solved it.")
    customer.get_by_label("5").check()
    customer.get_by_role("button", name="Send rating").click()
    expect(customer.locator("#rating-done")).to_have_text(
        "Thank you for rating this conversation 5 out of 5."
    )
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download transcript").click()
    transcript = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Refunding now." in transcript
    assert "double-charged" not in transcript
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == (Ticket.Status.RESOLVED, 5)

    # Ana's earnings page (URL name "portal-earnings") lists the ticket's pay line.
    response = ana.goto(f"{base}/portal/earnings/")
    assert response.status == 200, f"/portal/earnings/ answered {response.status}"
    line = ana.locator(f'tr[data-line-kind="ticket"][data-ticket="{ticket.pk}"]')
    expect(line).to_have_count(1)
    expect(line).to_contain_text(re.compile(r"\b(Pending|Payable|Paid)\b"))
    expect(line.locator(".amount")).to_have_text("$3.00")


def test_the_portal_turns_away_anyone_who_is_not_a_working_agent(portal_server, new_context):
    base = portal_server
    UserFactory(email="customer@example.com")
    AgentFactory(user__email="gone@example.com", status="suspended")

    visitor = new_context().new_page()
    visitor.goto(f"{base}/portal/")
    expect(visitor).to_have_url(re.compile(r"/accounts/login/\?next=/portal/$"))
    expect(visitor.get_by_role("heading", name="Agent login")).to_be_visible()

    for email in ("customer@example.com", "gone@example.com"):
        page = log_in(new_context(), base, email)
        response = page.goto(f"{base}/portal/")
        assert response.status == 403
        expect(
            page.get_by_role("heading", name="The agent portal is not available")
        ).to_be_visible()
        expect(page.locator("#online-switch")).to_have_count(0)


def test_the_portal_keeps_its_agent_present_by_heartbeat(transactional_db, settings, new_context):
    from agents.models import AgentConnection

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    AgentFactory(user__email="cara@example.com", is_online=False, connection_count=0)
    # Heard every second or closed after two: without heartbeats the socket would be closed
    # (4408) and reopened within the five seconds watched here.
    with running_server(
        CELERY_TASK_ALWAYS_EAGER="1",
        AGENT_HEARTBEAT_SECONDS="1",
        AGENT_HEARTBEAT_TIMEOUT_SECONDS="2",
        AGENT_QUEUE_RESYNC_SECONDS="1",
    ) as base:
        page = log_in(new_context(), base, "cara@example.com")
        go_online(page)
        expect(page.locator("#connection")).to_have_text("Online — customers can reach you")
        opened = AgentConnection.objects.get()

        page.wait_for_timeout(5000)  # the behaviour under test is what happens over time

        still = AgentConnection.objects.get()
        assert (still.channel_name, still.opened_at) == (opened.channel_name, opened.opened_at)
        assert still.heard_at > opened.heard_at
