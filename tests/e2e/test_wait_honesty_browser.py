"""Issue #19 in real headless Chromium: a customer whose ticket nobody online can take is
told so and may leave an email address for the reply; an agent without the skill sees why
its queue is empty."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import Page, expect

from tests.e2e.test_portal_round_trip import go_online, log_in, queue_card
from tests.factories import AgentFactory, QueuedTicketFactory
from tests.servers import running_server
from tickets import services
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

NOBODY = "No one who can help with this is online right now."


@pytest.fixture
def pick_server(transactional_db, settings):
    # Users made in the test log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with running_server(ROUTING_MODE="pick") as base:
        yield base


def urgent_fraud_ticket() -> Ticket:
    return QueuedTicketFactory(
        required_skills=["fraud"],
        priority=Ticket.Priority.URGENT,
        topic="fraud",
        customer_email="",
        summary="Someone used my card for purchases I did not make.",
    )


def open_conversation(new_context, base: str, ticket: Ticket) -> Page:
    page = new_context().new_page()
    page.goto(f"{base}/chat/?c={ticket.token}")  # the conversation, as a handover opens it
    return page


def send_email(page: Page, email: str) -> None:
    page.get_by_label("Your email address").fill(email)
    page.locator("#email-reply-form").get_by_role("button", name="Send").click()


def test_an_urgent_fraud_customer_with_no_fraud_agent_online_leaves_an_email(
    pick_server, new_context
):
    AgentFactory(skills=["general"])  # speaks English, but cannot take a fraud case
    ticket = urgent_fraud_ticket()
    page = open_conversation(new_context, pick_server, ticket)

    expect(page.locator("#chat-status")).to_have_text(NOBODY)
    expect(page.locator("#queue-wait")).to_have_text("we don't know yet")
    expect(page.get_by_role("button", name="Keep waiting")).to_be_visible()
    page.get_by_role("button", name="Leave a message").click()
    send_email(page, "ana@example.com")

    expect(page.locator("#email-reply-done")).to_have_text(
        "Thanks! We'll answer you at ana@example.com. "
        "Your place in the queue is kept, so you can close this page."
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reply_email) == (Ticket.Status.QUEUED, "ana@example.com")


def test_an_email_the_server_refuses_shows_an_error_and_nothing_is_stored(pick_server, new_context):
    ticket = urgent_fraud_ticket()
    page = open_conversation(new_context, pick_server, ticket)
    page.get_by_role("button", name="Leave a message").click()

    send_email(page, "ana@example")  # the browser lets it through; the server does not

    expect(page.locator("#reply-email-error")).to_have_text(
        "Enter a valid email address, like name@example.com."
    )
    expect(page.locator("#email-reply-done")).to_be_hidden()
    ticket.refresh_from_db()
    assert (ticket.reply_email, ticket.reply_email_requested_at) == ("", None)


def test_keep_waiting_leaves_the_customer_in_the_queue_with_the_honest_status(
    pick_server, new_context
):
    ticket = urgent_fraud_ticket()
    page = open_conversation(new_context, pick_server, ticket)

    page.get_by_role("button", name="Keep waiting").click()

    expect(page.locator("#kept-waiting")).to_be_visible()
    expect(page.get_by_role("button", name="Leave a message instead")).to_be_visible()
    expect(page.locator("#chat-status")).to_have_text(NOBODY)


def test_an_agent_without_the_skill_sees_how_many_wait_for_it_instead_of_nobody(
    pick_server, new_context
):
    AgentFactory(user__email="gus@example.com", skills=["general"])
    urgent_fraud_ticket()
    urgent_fraud_ticket()
    portal = log_in(new_context(), pick_server, "gus@example.com")

    go_online(portal)

    expect(portal.locator("#queue-empty")).to_have_text(
        "2 conversations are waiting for agents with the Fraud and scams skill."
    )
    expect(portal.locator("#queue-empty")).not_to_contain_text("card")


def test_the_agent_who_takes_a_left_message_is_told_the_replies_go_by_email(
    pick_server, new_context
):
    AgentFactory(user__email="fay@example.com", skills=["fraud"])
    ticket = urgent_fraud_ticket()
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana.secret@example.com")
    portal = log_in(new_context(), pick_server, "fay@example.com")
    go_online(portal)

    queue_card(portal, ticket.pk).get_by_role("button", name=re.compile("^Claim")).click()

    chat = portal.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')
    expect(chat.locator(".reply-by-email")).to_have_text(
        "The customer left a message and will get your replies by email when you resolve."
    )
    expect(portal.locator("body")).not_to_contain_text("ana.secret")
