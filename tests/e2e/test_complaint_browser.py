"""A customer reports a resolved conversation from the chat page, in real headless Chromium:
the link beside the transcript opens the report page, and the report lands in review."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from quality.models import Review
from tests.factories import ResolvedTicketFactory
from tickets.models import Complaint

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_customer_reports_a_resolved_conversation_from_the_chat(live_server_url, new_context):
    ticket = ResolvedTicketFactory()
    context = new_context()
    # The customer's browser still holds the conversation, as after a resolve.
    stored = json.dumps({"token": ticket.token, "outbox": [], "wantsPerson": False})
    context.add_init_script(
        f"window.localStorage.setItem('humanline.chat.v1', {json.dumps(stored)});"
    )
    page = context.new_page()
    page.goto(f"{live_server_url}/chat/")
    expect(page.get_by_role("heading", name="This conversation is resolved")).to_be_visible()

    with context.expect_page() as opened:
        page.get_by_role("link", name="Report this conversation").click()
    report = opened.value
    report.get_by_label("The agent was rude").check()
    report.get_by_label("Anything else we should know?").fill("He mocked my question.")
    report.get_by_role("button", name="Send report").click()

    expect(report.locator("#report-done")).to_contain_text("Thank you")
    complaint = Complaint.objects.get(ticket=ticket)
    assert (complaint.category, complaint.agent) == ("rude", ticket.agent)
    assert Review.objects.filter(ticket=ticket, reason=Review.Reason.COMPLAINT).exists()
