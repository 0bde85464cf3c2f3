"""The review loop in real headless Chromium: a staff reviewer opens the review queue in the
admin, reads a conversation with the agent's private note and scores it on the rubric; the
agent finds the scores and comments on My quality and disputes the review; a second
reviewer settles it, and the agent sees the outcome."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from quality.models import Review, RubricCriterion
from tests.factories import (
    PASSWORD,
    AgentFactory,
    ReviewFactory,
    UserFactory,
    ensure_default_rubric,
)
from tickets.models import Message, TicketNote

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def admin_log_in(context: BrowserContext, base: str, email: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Quality", exact=True).first).to_be_visible()
    return page


def agent_log_in(context: BrowserContext, base: str, email: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/portal/")
    return page


def test_a_reviewer_scores_a_conversation_and_the_agent_sees_it_and_disputes_it(
    live_server_url, new_context
):
    base = live_server_url
    ensure_default_rubric()
    agent = AgentFactory(user__email="sam@example.com", user__first_name="Sam")
    review = ReviewFactory(
        ticket__agent=agent,
        ticket__resolved_by=agent,
        ticket__customer_email="customer@example.org",
        ticket__topic="billing",
    )
    ticket = review.ticket
    Message.objects.create(ticket=ticket, seq=1, sender="customer", body="I was charged twice.")
    Message.objects.create(
        ticket=ticket, seq=2, sender="agent", agent=agent, body="Refunded; 3 to 5 days."
    )
    TicketNote.objects.create(ticket=ticket, agent=agent, body="Refund id R-77 in Stripe.")
    UserFactory(email="first@example.com", is_staff=True, is_superuser=True)
    UserFactory(email="second@example.com", is_staff=True, is_superuser=True)
    criteria = list(RubricCriterion.objects.filter(is_active=True))

    # The first reviewer opens the queue and the conversation.
    reviewer = admin_log_in(new_context(), base, "first@example.com")
    reviewer.goto(f"{base}/admin/quality/review/")
    reviewer.get_by_role("link", name=str(review)).click()
    transcript = reviewer.locator("#transcript")
    expect(transcript).to_contain_text("I was charged twice.")
    expect(transcript).to_contain_text("Refund id R-77 in Stripe.")
    expect(transcript).to_contain_text("(private note)")
    expect(reviewer.locator("#content-main")).not_to_contain_text("customer@example.org")

    # …and scores it: 4 everywhere but Accuracy, with comments.
    for criterion in criteria:
        value = 2 if criterion.name == "Accuracy" else 4
        reviewer.locator(f"#score-{criterion.pk}-{value}").check()
    reviewer.get_by_label("Comment on Accuracy").fill("Refunds take 5 to 10 days.")
    reviewer.get_by_label("Comments for the agent:").fill("Warm and quick; check refund times.")
    reviewer.get_by_role("button", name="Save scores").click()
    expect(reviewer.locator("#review-status")).to_have_text("Scored")
    expect(reviewer.locator("#scores")).to_contain_text("65 %")

    # The agent finds it on My quality, from the portal's links.
    portal = agent_log_in(new_context(), base, "sam@example.com")
    portal.get_by_role("link", name="My quality").click()
    card = portal.locator(f'[data-review="{review.pk}"]')
    expect(card).to_contain_text(f"Conversation #{ticket.pk} · billing: 65 %")
    expect(card).to_contain_text("Refunds take 5 to 10 days.")
    expect(card).to_contain_text("Warm and quick; check refund times.")
    expect(portal.locator("main")).not_to_contain_text("customer@example.org")

    # …and disputes it, once.
    card.get_by_label("Disagree? Say why").fill("The bank said 3 to 5 days for this card.")
    card.get_by_role("button", name="Dispute this review").click()
    expect(portal.get_by_role("status")).to_contain_text("Your dispute is sent")
    expect(card).to_contain_text("Waiting for a second reviewer.")
    expect(card.get_by_role("button", name="Dispute this review")).to_have_count(0)

    # The first reviewer may not settle it; a second one does.
    reviewer.reload()
    expect(reviewer.locator("#dispute")).to_contain_text("a second reviewer settles its dispute")
    expect(reviewer.locator("#settle-form")).to_have_count(0)
    second = admin_log_in(new_context(), base, "second@example.com")
    second.goto(f"{base}/admin/quality/review/{review.pk}/change/")
    second.get_by_label("Revise the score to").check()
    second.get_by_label("Revised score (%)").fill("80")
    second.get_by_label("Note for the agent:").fill("Right: this card's bank is quicker.")
    second.get_by_role("button", name="Settle the dispute").click()
    expect(second.locator("#review-status")).to_have_text("Dispute settled")

    portal.reload()
    expect(card).to_contain_text("Score revised (was 65 %): Right: this card's bank is quicker.")
    expect(card).to_contain_text("80 %")
    assert Review.objects.get(pk=review.pk).status == Review.Status.SETTLED
