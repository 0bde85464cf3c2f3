"""A Swedish browser gets the chat in Swedish, the script's phrases and the stored system
messages included (docs/i18n.md), in real headless Chromium against the product."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.vocabulary import Language

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_swedish_browser_gets_the_chat_and_the_queue_in_swedish(chat_server, new_context):
    page = new_context(locale="sv-SE").new_page()
    page.goto(f"{chat_server}/chat/")

    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", name="Chatta med oss")).to_be_visible()
    page.locator(".chat-header").get_by_role("button", name="Prata med en människa").click()

    # Queued, and told honestly that nobody who can help is online (no agent in this test).
    expect(page.locator("#queue-position")).to_have_text("1")
    expect(page.locator(".queue-label")).to_have_text("Din plats i kön:")
    expect(page.locator("#chat-status")).to_have_text(
        "Just nu är ingen som kan hjälpa till med det här online."
    )
    expect(page.get_by_role("heading", name="Vad vill du göra?")).to_be_visible()
    if "sv" in Language.values:  # agents can list Swedish (issue #22's vocabulary)
        expect(page.locator(".message-body").filter(has_text="Du står i kö")).to_be_visible()


def test_the_widget_passes_its_host_pages_language_to_the_chat(chat_server, new_context):
    page = new_context(locale="en-US").new_page()
    page.goto(f"{chat_server}/chat/embed-example/?lang=de")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("button", name="Chatte mit uns").click()

    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Chatte mit uns")).to_be_visible()
    expect(frame.locator("html")).to_have_attribute("lang", "de")
