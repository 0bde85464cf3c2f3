"""Offer routing in real headless Chromium: a customer asks for a person at /chat/, the one
online agent's portal shows the offer card with its pay and a countdown, the agent accepts
and they chat both ways. One uvicorn process of the product with ROUTING_MODE=offer."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from tests.e2e.test_portal_round_trip import go_online, log_in
from tests.factories import AgentFactory, RateCardFactory
from tests.servers import running_server
from tickets.models import Offer, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


@pytest.fixture
def offer_server(transactional_db, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    # No worker beside this server: the dispatch rounds an escalation enqueues run in it.
    with running_server(ROUTING_MODE="offer", CELERY_TASK_ALWAYS_EAGER="1") as base:
        yield base


def test_an_agent_accepts_an_offer_from_its_card_and_chats_with_the_customer(
    offer_server, new_context
):
    base = offer_server
    RateCardFactory(entries={(Ticket.Priority.NORMAL, ""): 300})
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    ana = log_in(new_context(), base, "ana@example.com")
    go_online(ana)
    expect(ana.locator("#queue")).to_be_hidden()  # offer mode: no queue to pick from

    customer = new_context().new_page()
    customer.goto(f"{base}/chat/")
    customer.get_by_label("Your name").fill("Sam Doe")
    customer.get_by_role("button", name="Talk to a person").click()

    # The offer card: pay and a countdown, within a second or two of the escalation.
    card = ana.locator("#offer-list .offer-item")
    expect(card).to_have_count(1, timeout=5000)
    ticket = Ticket.objects.get()
    expect(card).to_have_attribute("data-ticket", str(ticket.pk))
    expect(card.locator(".pay")).to_have_text("Pays $3.00")
    expect(card.locator(".countdown")).to_have_text(re.compile(r"^\d+ s to accept$"))
    expect(customer.locator("#chat-status")).to_have_text("Connecting you with a person now…")

    card.get_by_role("button", name="Accept").click()

    chat = ana.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')
    expect(chat).to_be_visible()
    expect(card).to_have_count(0)
    expect(customer.locator("#chat-status")).to_have_text("Ana is chatting with you.")
    assert Offer.objects.get().outcome == Offer.Outcome.ACCEPTED

    customer.get_by_label("Your message").fill("My card was charged twice")
    customer.get_by_role("button", name="Send").click()
    expect(chat.locator(".message.from-customer .text")).to_have_text(["My card was charged twice"])
    chat.get_by_label("Message to the customer").fill("Sorry about that, Sam. Refunding now.")
    chat.get_by_role("button", name="Send").click()
    expect(customer.locator(".message--agent .message-body")).to_have_text(
        ["Sorry about that, Sam. Refunding now."]
    )
