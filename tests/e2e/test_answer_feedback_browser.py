"""A customer's "That helped" / "Talk to a person" under the assistant's answers, in real
headless Chromium against a uvicorn process of the product (as test_chat_browser.py).

The question is one of the demo help centre's example questions, word for word ("How do I
pay my invoice?", answered by "Pay your invoice"), so the answer does not hang on the
retrieval's finer choices.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tickets.models import AnswerFeedback, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

QUESTION = "How do I pay my invoice?"
ARTICLE = "Pay your invoice"


def ask(chat: Page | FrameLocator, body: str):
    """Send a question; the assistant's answer from the article, once it shows."""
    chat.get_by_label("Your message").fill(body)
    chat.get_by_role("button", name="Send").click()
    answer = chat.locator(".message--bot").filter(has_text=f"Source: {ARTICLE}")
    expect(answer).to_be_visible()
    return answer


def test_a_customer_says_an_answer_helped_and_is_thanked(chat_server, new_context):
    page = new_context().new_page()
    page.goto(f"{chat_server}/chat/")

    answer = ask(page, QUESTION)

    # The source on a line of its own, not in the text; the two choices under the answer.
    expect(answer.locator(".message-source")).to_have_text(f"Source: {ARTICLE}")
    expect(answer.locator(".message-body")).not_to_contain_text("(From:")
    choices = answer.get_by_role("group", name="Did this answer help?")
    expect(choices.get_by_role("button")).to_have_text(["That helped", "Talk to a person"])

    choices.get_by_role("button", name="That helped").click()

    expect(answer.locator(".message-feedback-done")).to_have_text("Thanks for telling us.")
    expect(answer.get_by_role("button")).to_have_count(0)
    expect(answer.locator(".message-feedback-done")).to_be_focused()
    feedback = AnswerFeedback.objects.select_related("article").get()
    assert (feedback.verdict, feedback.article.title, feedback.question) == (
        "helped",
        ARTICLE,
        QUESTION,
    )
    assert Ticket.objects.get().status == Ticket.Status.BOT

    # Told again when the page comes back: the verdict travels with the answer.
    page.reload()
    answer = page.locator(".message--bot").filter(has_text=f"Source: {ARTICLE}")
    expect(answer.locator(".message-feedback-done")).to_have_text("Thanks for telling us.")
    expect(answer.get_by_role("button")).to_have_count(0)


def test_talk_to_a_person_under_an_answer_hands_the_conversation_over(chat_server, new_context):
    page = new_context().new_page()
    page.goto(f"{chat_server}/chat/")
    answer = ask(page, QUESTION)

    answer.get_by_role("button", name="Talk to a person").click()

    expect(answer.locator(".message-feedback-done")).to_have_text(
        "Handed over: you're in the queue for a person."
    )
    expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("#queue-position")).to_have_text("1")
    # Nobody is online in this test: the page says so rather than promise a wait.
    expect(page.locator("#chat-status")).to_have_text(
        "No one who can help with this is online right now."
    )
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.escalation_reason == Ticket.EscalationReason.CUSTOMER_REQUEST
    assert ticket.topic == "billing"
    assert AnswerFeedback.objects.get().verdict == "person"


def test_the_choice_works_in_the_chat_embedded_in_another_page(chat_server, new_context):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{chat_server}/chat/embed-example/")
    page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator('iframe[title="Customer support chat"]')

    answer = ask(chat, QUESTION)
    answer.get_by_role("button", name="That helped").click()

    expect(answer.locator(".message-feedback-done")).to_have_text("Thanks for telling us.")
    assert AnswerFeedback.objects.get().verdict == "helped"
