"""The first hour in the portal and the chat, polished (issue #19), in real headless Chromium:
canned replies found with `/`, queue cards that read at a glance, a release that asks in the
page and leaves nothing that looks usable behind, and a customer page that says what "Talk to
a person" does after a resolve."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_portal_round_trip import go_online, log_in, queue_card
from tests.factories import AgentFactory, QueuedTicketFactory, RateCardFactory
from tickets.demo_canned_replies import DEMO_CANNED_REPLIES
from tickets.models import CannedReply, Ticket, TicketEvent

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CANNED = {title: body for title, language, body in DEMO_CANNED_REPLIES if language == "en"}

HANDOVER_SUMMARY = "\n".join(
    [
        "Topic: refunds",
        "Why a person: the customer asked for a person",
        "Customer said:",
        '- "I returned my shoes two weeks ago and still have no refund"',
        '- "talk to a person please"',
        'Assistant last answered: "Refunds are made by the store."',
        'Related article: "Refunds for purchases paid with Acme Pay"',
    ]
)


def claimed_chat(page: Page, ticket: Ticket):
    queue_card(page, ticket.pk).get_by_role("button", name=re.compile("^Claim")).click()
    chat = page.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')
    expect(chat).to_be_visible()
    return chat


def test_canned_replies_are_visible_and_a_slash_in_the_message_box_finds_one(
    portal_server, new_context
):
    for title, language, body in DEMO_CANNED_REPLIES:
        CannedReply.objects.create(title=title, language=language, body=body)
    AgentFactory(user__email="ana@example.com")
    ticket = QueuedTicketFactory()
    ana = log_in(new_context(), portal_server, "ana@example.com")
    go_online(ana)
    chat = claimed_chat(ana, ticket)
    box = chat.get_by_label("Message to the customer")
    replies = chat.get_by_role("listbox", name="Canned replies")

    # Visible without hunting, with the shortcut said next to it.
    expect(chat.get_by_role("button", name="Canned replies")).to_be_visible()
    expect(chat.locator(".composer-hint")).to_contain_text("type / in the message box")

    # "/" and a word: the list, filtered; Enter puts the reply in the box and sends nothing.
    box.press_sequentially("/refund")
    expect(replies).to_be_visible()
    expect(replies.get_by_role("option")).to_have_count(1)
    expect(replies.get_by_role("option")).to_contain_text("Refund timing")
    box.press("Enter")
    expect(replies).to_be_hidden()
    expect(box).to_have_value(CANNED["Refund timing"])
    expect(chat.locator(".message.from-agent")).to_have_count(0)

    # Escape closes the list and leaves the slash as typed.
    box.fill("")
    box.press_sequentially("Costs: /")
    expect(replies).to_be_visible()
    box.press("Escape")
    expect(replies).to_be_hidden()
    expect(box).to_have_value("Costs: /")

    # The button opens the whole list at the caret; arrows move, Enter chooses.
    box.fill("Thanks. ")
    chat.get_by_role("button", name="Canned replies").click()
    expect(replies.get_by_role("option")).to_have_count(len(CANNED))
    expect(box).to_be_focused()
    box.press("ArrowDown")
    box.press("ArrowDown")
    expected = sorted(CANNED)[2]
    expect(replies.get_by_role("option", selected=True)).to_contain_text(expected)
    box.press("Enter")
    expect(box).to_have_value(f"Thanks. {CANNED[expected]}")


def test_a_queue_card_shows_one_line_of_what_the_customer_wants_and_the_rest_on_demand(
    portal_server, new_context
):
    AgentFactory(user__email="ana@example.com")
    ticket = QueuedTicketFactory(
        topic="refunds", priority=Ticket.Priority.HIGH, summary=HANDOVER_SUMMARY
    )
    ana = log_in(new_context(), portal_server, "ana@example.com")
    go_online(ana)
    card = queue_card(ana, ticket.pk)

    expect(card.locator(".topic")).to_contain_text("refunds")
    expect(card.locator(".waiting")).to_contain_text(re.compile(r"^Waiting \d+"))
    expect(card.locator(".language")).to_have_text("en")
    expect(card.locator(".priority")).to_have_text("high")
    expect(card.locator(".ask")).to_have_text(
        "I returned my shoes two weeks ago and still have no refund"
    )
    full = card.get_by_text("Assistant last answered", exact=False)
    expect(full).to_be_hidden()

    expect(card).not_to_contain_text("{#")  # the template's comment stays in the template

    card.get_by_text("Full summary").click()
    expect(full).to_be_visible()
    expect(card.locator(".summary")).to_have_text(HANDOVER_SUMMARY)

    # The one line is cut to the card, which stays in its column: Claim is not covered.
    box, column = card.bounding_box(), ana.locator("section.queue").bounding_box()
    assert box["x"] + box["width"] <= column["x"] + column["width"]
    claimed_chat(ana, ticket)


def test_release_asks_in_the_page_for_a_reason_and_closes_the_released_conversation(
    portal_server, new_context
):
    AgentFactory(user__email="ana@example.com")
    kept = QueuedTicketFactory(customer_name="Kim Lee")
    released = QueuedTicketFactory(customer_name="Sam Doe")
    ana = log_in(new_context(), portal_server, "ana@example.com")
    native_dialogs: list[str] = []
    ana.on("dialog", lambda dialog: (native_dialogs.append(dialog.type), dialog.dismiss()))
    go_online(ana)
    claimed_chat(ana, kept)
    chat = claimed_chat(ana, released)
    release = chat.get_by_role("button", name="Release")
    dialog = ana.get_by_role("dialog", name="Hand this conversation back to the queue?")

    # An in-page dialog with labelled reasons; Escape closes it, changes nothing, and the
    # focus is back on the button.
    release.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Sam")
    expect(dialog.get_by_role("radio")).to_have_count(4)
    ana.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(release).to_be_focused()
    released.refresh_from_db()
    assert released.status == Ticket.Status.ASSIGNED

    # By keyboard: a reason, then Release. The tab goes; the other conversation stays.
    release.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Needs a language or skill I don't have").check()
    dialog.get_by_role("button", name="Release").press("Enter")

    expect(dialog).to_be_hidden()
    expect(ana.locator(f'.chat-panel[data-ticket="{released.pk}"]')).to_have_count(0)
    expect(ana.get_by_role("tab")).to_have_count(1)
    expect(ana.get_by_role("tab", name=re.compile("Kim"))).to_be_focused()
    expect(ana.locator("#toast")).to_contain_text("is back in the queue")
    expect(ana.locator("#chat-count")).to_have_text("1")
    event = TicketEvent.objects.filter(ticket=released).latest("pk")
    assert (event.to_status, event.reason) == (
        Ticket.Status.QUEUED,
        "Needs a language or skill I don't have",
    )
    assert native_dialogs == []


def test_after_a_resolve_the_customer_is_told_talk_to_a_person_starts_a_new_conversation(
    portal_server, new_context
):
    RateCardFactory(entries={(Ticket.Priority.NORMAL, ""): 300})
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    ana = log_in(new_context(), portal_server, "ana@example.com")
    go_online(ana)
    customer = new_context().new_page()
    customer.goto(f"{portal_server}/chat/")
    talk = customer.locator("#talk-to-person")
    expect(talk).to_have_text("Talk to a person")
    talk.click()
    expect(customer.locator("#queue-position")).to_have_text("1")
    first = Ticket.objects.get()
    chat = claimed_chat(ana, first)
    expect(customer.locator("#chat-status")).to_have_text("Ana is chatting with you.")

    chat.get_by_role("button", name="Resolve").click()

    # The agent's controls are out of use, and look it.
    expect(chat.locator(".closed-note")).to_contain_text("Resolved. Thank you!")
    for control in ("Resolve", "Release", "Send"):
        expect(chat.get_by_role("button", name=control, exact=True)).to_be_disabled()
        expect(chat.get_by_role("button", name=control, exact=True)).to_have_css("opacity", "0.45")
    # While "Did this solve your problem?" stands, "No" is the way back to a person: no
    # second button competes with it.
    expect(customer.get_by_role("heading", name="This conversation is resolved")).to_be_visible()
    expect(talk).to_be_hidden()
    customer.get_by_role("button", name="Yes", exact=True).click()
    # Then the customer's button says what it does now, and does it.
    expect(talk).to_have_text("Talk to a person in a new conversation")
    expect(talk).to_have_attribute("aria-disabled", "false")
    talk.click()
    expect(customer.locator("#queue")).to_be_visible()  # the position shown is the new one's
    expect(customer.locator("#queue-position")).to_have_text("1")
    expect(talk).to_have_text("Talk to a person")
    expect(customer.get_by_role("heading", name="This conversation is resolved")).to_be_hidden()
    second = Ticket.objects.exclude(pk=first.pk).get()
    assert second.status == Ticket.Status.QUEUED
