"""A German browser gets onboarding in German, and the agent who applies from it is written to
in German from then on (docs/i18n.md), in real headless Chromium against the product."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from agents.models import Agent
from tests.agents.onboarding_support import GOOD_PASSWORD
from tests.servers import running_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def onboarding_server(transactional_db, settings, mail_dir):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    # Mail goes to files the test can read; tasks run in the server (no worker here).
    with running_server(CELERY_TASK_ALWAYS_EAGER="1", EMAIL_URL=f"filemail:///{mail_dir}") as base:
        yield base


def test_a_german_browser_applies_in_german_and_is_emailed_in_german(
    onboarding_server, new_context, mail_dir
):
    page = new_context(locale="de-DE", timezone_id="Europe/Berlin").new_page()
    page.goto(f"{onboarding_server}/agents/")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("link", name="Jetzt bewerben").first.click()
    expect(page.get_by_role("heading", name="Bewirb dich als Agent bei Humanline")).to_be_visible()
    expect(page.get_by_role("group", name="Wann du normalerweise arbeiten kannst")).to_be_visible()

    # The fields by name: their labels are the portal's forms' to translate.
    page.locator("[name=first_name]").fill("Jonas")
    page.locator("[name=email]").fill("jonas@example.com")
    page.locator("[name=password]").fill(GOOD_PASSWORD)
    page.locator("[name=segment][value=student]").check()
    page.locator("[name=country]").select_option("DE")
    expect(page.locator("[name=time_zone]")).to_have_value("Europe/Berlin")  # from the browser
    page.locator("[name=languages][value=de]").check()
    page.locator("[name=avail_mon]").fill("09:00-13:00")
    page.locator("[name=motivation]").fill("Ich helfe gern.")
    page.get_by_role("button", name="Bewerbung abschicken").click()

    expect(page.get_by_text("Danke für deine Bewerbung!")).to_be_visible()
    expect(page.get_by_role("heading", name="Deine Bewerbung")).to_be_visible()
    assert Agent.objects.get(user__email="jonas@example.com").preferred_language == "de"
    mailed = "".join(path.read_text() for path in sorted(mail_dir.iterdir()))
    assert "Danke für deine Bewerbung, bei Humanline Kundenfragen zu beantworten." in mailed
