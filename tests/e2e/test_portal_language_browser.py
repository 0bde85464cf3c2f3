"""A Swedish browser gets the agent portal in Swedish, the phrases portal.js writes included
(docs/i18n.md), in real headless Chromium against the product."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_swedish_browser_gets_the_portal_and_its_scripts_phrases_in_swedish(
    portal_server, new_context
):
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    page = new_context(locale="sv-SE").new_page()
    page.goto(f"{portal_server}/accounts/login/")
    # By the fields' names: the login page's own words are the onboarding's to translate.
    page.locator('input[name="username"]').fill("ana@example.com")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(f"{portal_server}/portal/")

    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", name="Hej Ana")).to_be_visible()
    expect(page.locator("#queue-empty")).to_have_text("Gå online för att se kunderna som väntar.")

    page.get_by_label("Online", exact=True).check()

    # Written by portal.js, from the /jsi18n/ catalog.
    expect(page.locator("#connection")).to_have_text("Online – kunder kan nå dig")
    expect(page.locator("#queue-empty")).to_have_text("Just nu väntar ingen.")
