"""Offer routing in real headless Chromium: a customer asks for a person at /chat/, the one
online agent's portal shows the offer card with its pay and a countdown, the agent accepts
and they chat both ways; an agent declines and the next one is offered the ticket; an offer
left to run out goes to the next agent; a portal in a background tab notifies of an offer.
One uvicorn process of the product with ROUTING_MODE=offer."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import Page, expect

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


@pytest.fixture
def expiring_offer_server(transactional_db, settings):
    """The embedded profile as `make run` starts it (bin/run): the in-process scheduler runs
    the beat schedule, whose `dispatch-offers` expires offers every second; offers last 3 s."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with running_server(
        ROUTING_MODE="offer",
        OFFER_TIMEOUT_SECONDS="3",
        CELERY_TASK_ALWAYS_EAGER="1",
        INPROCESS_SCHEDULER="1",
        # No Redis even when this run has one: the scheduler runs in the embedded profile only
        # (with Redis, Celery beat and a worker would, as separate processes).
        REDIS_URL="",
    ) as base:
        yield base


def offer_card(page: Page):
    return page.locator("#offer-list .offer-item")


def two_agents_online(base: str, new_context) -> dict[str, Page]:
    RateCardFactory(entries={(Ticket.Priority.NORMAL, ""): 300})
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    AgentFactory(user__email="ben@example.com", user__first_name="Ben")
    portals = {}
    for name in ("ana", "ben"):
        portals[name] = log_in(new_context(), base, f"{name}@example.com")
        go_online(portals[name])
    return portals


def ask_for_a_person(base: str, new_context) -> Page:
    customer = new_context().new_page()
    customer.goto(f"{base}/chat/")
    customer.get_by_label("Your name").fill("Sam Doe")
    customer.get_by_role("button", name="Talk to a person").click()
    # Pushed to the customer after the round that made the offer committed.
    expect(customer.locator("#chat-status")).to_have_text("Connecting you with a person now…")
    return customer


def first_and_other(portals: dict[str, Page], offer: Offer) -> tuple[Page, Page]:
    """The portal the offer went to, and the other one: read from the offer, not assumed
    (both agents are equally free, so the ranking's tie-breakers choose)."""
    (first,) = (name for name in portals if offer.agent.user.email == f"{name}@example.com")
    (other,) = (name for name in portals if name != first)
    return portals[first], portals[other]


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
    # The digest says what waits; the queue's own empty line does not say it a second time.
    expect(ana.locator("#queue-digest")).to_have_text(re.compile("Nobody is waiting"))
    expect(ana.locator("#queue-empty")).to_be_hidden()

    customer.get_by_label("Your message").fill("My card was charged twice")
    customer.get_by_role("button", name="Send").click()
    expect(chat.locator(".message.from-customer .text")).to_have_text(["My card was charged twice"])
    chat.get_by_label("Message to the customer").fill("Sorry about that, Sam. Refunding now.")
    chat.get_by_role("button", name="Send").click()
    expect(customer.locator(".message--agent .message-body")).to_have_text(
        ["Sorry about that, Sam. Refunding now."]
    )


def test_a_declined_offer_leaves_the_agent_and_is_offered_to_the_other_agent(
    offer_server, new_context
):
    base = offer_server
    portals = two_agents_online(base, new_context)
    ask_for_a_person(base, new_context)
    ticket = Ticket.objects.get()
    first_offer = Offer.objects.select_related("agent__user").get()
    first, other = first_and_other(portals, first_offer)

    card = offer_card(first)
    expect(card).to_have_attribute("data-ticket", str(ticket.pk))
    expect(offer_card(other)).to_have_count(0)

    reasons = card.get_by_role("group", name="Why not this one?")
    expect(reasons).to_be_hidden()  # asked only once the agent declines
    card.get_by_role("button", name="Decline").click()
    expect(reasons).to_be_visible()
    reasons.get_by_role("button", name="Not my skill").click()

    expect(card).to_have_count(0)
    expect(offer_card(other)).to_have_attribute("data-ticket", str(ticket.pk), timeout=5000)
    expect(offer_card(other).locator(".pay")).to_have_text("Pays $3.00")
    expect(offer_card(first)).to_have_count(0)  # not offered again to who declined it
    first_offer.refresh_from_db()
    assert first_offer.outcome == Offer.Outcome.DECLINED
    assert first_offer.decline_reason == Offer.DeclineReason.NOT_MY_SKILL
    second_offer = Offer.objects.exclude(pk=first_offer.pk).get()
    assert second_offer.outcome == Offer.Outcome.PENDING
    assert second_offer.agent_id != first_offer.agent_id


def test_an_offer_left_to_run_out_leaves_the_card_and_goes_to_the_other_agent(
    expiring_offer_server, new_context
):
    base = expiring_offer_server
    portals = two_agents_online(base, new_context)
    ask_for_a_person(base, new_context)
    ticket = Ticket.objects.get()
    first_offer = Offer.objects.select_related("agent__user").get()
    first, other = first_and_other(portals, first_offer)
    card = offer_card(first)
    expect(card).to_have_attribute("data-ticket", str(ticket.pk))

    # Nobody clicks: within the 3 s and the sweep's second the server says it ran out.
    expect(card).to_have_count(0, timeout=8000)
    expect(first.locator("#toast")).to_have_text("The offer ran out; it went to another agent.")
    expect(offer_card(other)).to_have_attribute("data-ticket", str(ticket.pk), timeout=5000)
    expect(offer_card(other).locator(".countdown")).to_have_text(re.compile(r"^\d s to accept$"))
    first_offer.refresh_from_db()
    assert first_offer.outcome == Offer.Outcome.EXPIRED
    assert first_offer.decided_at is not None
    second_offer = Offer.objects.exclude(pk=first_offer.pk).get()
    assert second_offer.outcome == Offer.Outcome.PENDING
    assert second_offer.agent_id != first_offer.agent_id


# The portal's page is told it is in a background tab, and Notification and AudioContext
# record what the portal asks of them (the real ones would show and play nothing headless).
BACKGROUND_TAB = """
(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", {
    get: () => (hidden ? "hidden" : "visible"),
  });
  window.sendToBackground = () => {
    hidden = true;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.notifications = [];
  window.closedNotifications = [];
  window.chimes = 0;
  const RealNotification = window.Notification;
  window.Notification = class {
    static get permission() {
      return RealNotification.permission;
    }
    static requestPermission() {
      return RealNotification.requestPermission();
    }
    constructor(title, options) {
      this.tag = options.tag;
      window.notifications.push({ title, ...options });
    }
    close() {
      window.closedNotifications.push(this.tag);
    }
  };
  const RealAudioContext = window.AudioContext;
  window.AudioContext = class extends RealAudioContext {
    constructor(...args) {
      super(...args);
      window.chimes += 1;
    }
  };
})();
"""


def portal_in_a_background_tab(base: str, new_context) -> Page:
    RateCardFactory(entries={(Ticket.Priority.NORMAL, ""): 300})
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    context = new_context()
    context.grant_permissions(["notifications"], origin=base)
    context.add_init_script(BACKGROUND_TAB)
    ana = log_in(context, base, "ana@example.com")
    ana.get_by_label("Notify me in the background").check()
    go_online(ana)
    assert ana.evaluate("Notification.permission") == "granted"
    ana.evaluate("sendToBackground()")
    return ana


def test_an_offer_to_a_portal_in_a_background_tab_notifies_and_chimes(offer_server, new_context):
    base = offer_server
    ana = portal_in_a_background_tab(base, new_context)

    ask_for_a_person(base, new_context)
    ticket = Ticket.objects.get()
    offer = Offer.objects.get()
    timeout = round((offer.expires_at - offer.sent_at).total_seconds())  # OFFER_TIMEOUT_SECONDS

    expect(offer_card(ana)).to_have_attribute("data-ticket", str(ticket.pk))
    notifications = ana.evaluate("notifications")
    assert notifications == [
        {
            "title": f"Offer: {ticket.topic or 'Conversation'}",
            "body": f"Pays $3.00 · Accept within {timeout} s",
            "tag": f"offer-{offer.pk}",
        }
    ]
    assert ana.evaluate("chimes") == 1
    assert ana.evaluate("closedNotifications") == []

    # Accepted: the offer is gone, and so is its notification.
    offer_card(ana).get_by_role("button", name="Accept").click()
    expect(ana.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')).to_be_visible()
    assert ana.evaluate("closedNotifications") == [f"offer-{offer.pk}"]


def test_the_notification_of_an_offer_that_ran_out_is_closed(expiring_offer_server, new_context):
    base = expiring_offer_server
    ana = portal_in_a_background_tab(base, new_context)

    ask_for_a_person(base, new_context)
    offer = Offer.objects.get()
    expect(offer_card(ana)).to_have_count(1)
    assert [n["tag"] for n in ana.evaluate("notifications")] == [f"offer-{offer.pk}"]

    expect(offer_card(ana)).to_have_count(0, timeout=8000)  # ran out: offer.gone expired
    assert ana.evaluate("closedNotifications") == [f"offer-{offer.pk}"]
    offer.refresh_from_db()
    assert offer.outcome == Offer.Outcome.EXPIRED
