"""Confirmed resolution in real headless Chromium (docs/quality.md): after the agent
resolves, the customer is asked "Did this solve your problem?"; no puts them back in the
queue, yes confirms it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.test_chat_browser import agent_socket, next_of, open_chat
from tests.factories import AgentFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def resolved_by_an_agent(chat_server, new_context):
    """A customer's page whose conversation an agent (Ana) took and resolved."""
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    page = open_chat(new_context, chat_server)
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator("#queue-position")).to_have_text("1")
    ticket = Ticket.objects.get()
    with agent_socket(chat_server, "ana@example.com") as agent:
        next_of(agent, "queue")
        agent.send(json.dumps({"type": "claim", "ticket": ticket.pk}))
        next_of(agent, "claim.ok")
        expect(page.locator("#chat-status")).to_have_text("Ana is chatting with you.")
        agent.send(json.dumps({"type": "resolve", "ticket": ticket.pk}))
        next_of(agent, "resolve.ok")
    expect(page.get_by_role("heading", name="Did this solve your problem?")).to_be_visible()
    return page, ticket


def test_a_customer_who_says_no_is_back_in_the_queue(chat_server, new_context):
    page, ticket = resolved_by_an_agent(chat_server, new_context)

    page.get_by_role("button", name="No", exact=True).click()

    expect(page.locator("#chat-status")).to_have_text(
        "You're in the queue for a person. Someone will join you here."
    )
    expect(page.locator("#queue-position")).to_have_text("1")
    expect(
        page.locator(".message--system .message-body").filter(
            has_text="You said this wasn't solved, so you're at the front of the queue."
        )
    ).to_be_visible()
    expect(page.locator("#wrap-up")).to_be_hidden()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("queued", 1)


def test_a_customer_who_says_yes_is_thanked_and_the_question_goes(chat_server, new_context):
    page, ticket = resolved_by_an_agent(chat_server, new_context)

    page.get_by_role("button", name="Yes", exact=True).click()

    expect(page.locator("#confirm-done")).to_have_text("Thank you! We're glad that solved it.")
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.locator("#composer")).to_be_hidden()
    ticket.refresh_from_db()
    assert ticket.resolution_confirmed_by == "customer"

    page.reload()
    expect(page.locator("#chat-status")).to_have_text("This conversation is resolved.")
    expect(page.locator("#confirm")).to_be_hidden()


def test_a_reload_asks_again_until_the_customer_answers(chat_server, new_context):
    page, _ = resolved_by_an_agent(chat_server, new_context)

    page.reload()

    expect(page.get_by_role("heading", name="Did this solve your problem?")).to_be_visible()


def test_a_customer_who_writes_again_reopens_the_same_conversation(chat_server, new_context):
    page, ticket = resolved_by_an_agent(chat_server, new_context)

    page.get_by_label("Your message").fill("It stopped working again")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator("#chat-status")).to_have_text(
        "You're in the queue for a person. Someone will join you here."
    )
    expect(
        page.locator(".message--customer .message-body").filter(has_text="It stopped working again")
    ).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("queued", 1)
    assert ticket.messages.filter(body="It stopped working again").exists()
