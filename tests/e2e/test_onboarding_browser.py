"""A new agent's whole way in, in real headless Chromium against a uvicorn process: apply,
verify the email from the link the server mailed, train and pass the quiz, be approved by a
person in the admin, accept the code of conduct, and go online on the agent socket; and the
same way in from a German browser, in German (docs/i18n.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import global_settings
from playwright.sync_api import expect
from websockets.sync.client import connect

from agents.models import Agent
from tests.agents.onboarding_support import GOOD_PASSWORD, make_module, make_quiz
from tests.factories import PASSWORD, UserFactory
from tests.servers import login_cookie, running_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def onboarding_server(transactional_db, settings, mail_dir):
    # Users made in the test log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    make_module("how-it-works", position=1)
    make_quiz(5)
    UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    # Mail goes to files the test can read; tasks run in the server (no worker here).
    with running_server(CELERY_TASK_ALWAYS_EAGER="1", EMAIL_URL=f"filemail:///{mail_dir}") as base:
        yield base


def mailed_link(mail_dir: Path) -> str:
    text = "".join(path.read_text() for path in sorted(mail_dir.iterdir()))
    match = re.search(r"https?://[^/\s]+(/agents/verify/\S+)", text)
    assert match, text
    return match.group(1)


def test_a_new_agent_applies_verifies_trains_is_approved_and_goes_online(
    onboarding_server, new_context, mail_dir
):
    base = onboarding_server
    page = new_context().new_page()

    # Apply.
    page.goto(f"{base}/agents/")
    page.get_by_role("link", name="Apply now").first.click()
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_label("Student").check()
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("Time zone").select_option("Africa/Nairobi")
    page.get_by_label("English", exact=True).check()
    page.get_by_label("Billing").check()
    page.get_by_label("Monday").fill("09:00-13:00")
    page.get_by_label("Why do you want to do this work?").fill("I help my classmates daily.")
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("Thanks for applying!")).to_be_visible()

    # Verify from the email the server sent.
    page.goto(base + mailed_link(mail_dir))
    expect(page.get_by_role("heading", name="Your email is verified")).to_be_visible()
    page.get_by_role("link", name="Go to training").click()

    # Train and pass the quiz (the second answer of each demo question is right).
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("link", name="Take the quiz").click()
    for n in range(1, 6):
        page.get_by_label(f"Q{n} answer 2").check()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("You passed with 100%")).to_be_visible()

    # A person approves the application in the admin, giving a reason.
    admin = new_context().new_page()
    admin.goto(f"{base}/admin/agents/applicantawaitingreview/")
    admin.get_by_label("Email address").fill("ops@example.com")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    # The applicant's page reads as the application, with the decision on it.
    admin.get_by_role("link", name="nia@example.com").click()
    expect(admin.get_by_role("heading", name="Review an application")).to_be_visible()
    expect(admin.get_by_text("Kenya (KE)")).to_be_visible()
    expect(admin.get_by_text("English", exact=True)).to_be_visible()
    expect(admin.get_by_role("row", name="Monday 09:00–13:00")).to_be_visible()
    admin.get_by_label("Reason").fill("Thoughtful answers")
    admin.get_by_role("button", name="Approve", exact=True).click()
    expect(admin.get_by_text("Approved: nia@example.com")).to_be_visible()

    # The agent accepts the code of conduct and may now go online.
    page.goto(f"{base}/agents/status/")
    page.get_by_role("link", name="Read the code of conduct").click()
    page.get_by_label("I have read the code of conduct").check()
    page.get_by_role("button", name="Accept and go online").click()
    expect(page.get_by_text("Welcome aboard!")).to_be_visible()
    assert Agent.objects.get(user__email="nia@example.com").status == Agent.Status.ACTIVE
    # The status page leads on to the portal, where the agent goes online.
    page.get_by_role("link", name="Open the agent portal").click()
    expect(page.get_by_role("heading", name="Hi Nia")).to_be_visible()

    cookie = login_cookie(base, "nia@example.com", GOOD_PASSWORD)
    with connect(
        base.replace("http://", "ws://") + "/ws/agent/",
        additional_headers={"Origin": base, "Cookie": cookie},
    ) as socket:
        # Let in: its first frame is the queue as offer routing shows it.
        assert json.loads(socket.recv(timeout=10))["type"] == "queue.digest"


def test_a_bad_application_shows_its_errors_in_the_browser(onboarding_server, new_context):
    page = new_context().new_page()
    page.goto(f"{onboarding_server}/agents/apply/")

    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Email").fill("ops@example.com")
    page.get_by_label("Password").fill("12345678")
    page.get_by_role("button", name="Send my application").click()

    expect(page.get_by_text("nothing has been saved yet")).to_be_visible()
    expect(page.get_by_text("This password is too common.")).to_be_visible()
    expect(page.get_by_text("At least one language is required.")).to_be_visible()
    assert Agent.objects.count() == 0


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
