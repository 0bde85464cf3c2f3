"""The first hour (issue #19), in headless Chromium against a uvicorn process: a new visitor
finds the chat, the application, the portal, the admin and the API docs by clicking from the
home page; nothing on the way asks for a favicon that is not there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, AgentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_new_user_clicks_from_the_home_page_to_chat_apply_portal_and_admin(
    live_server_url, new_context
):
    base = live_server_url
    AgentFactory(user=UserFactory(email="ama@example.com", first_name="Ama"), is_online=False)
    UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    page = new_context().new_page()

    page.goto(f"{base}/")
    page.get_by_role("main").get_by_role("link", name="Chat with support").click()
    expect(page.get_by_role("heading", name="Chat with us")).to_be_visible()

    page.goto(f"{base}/")
    page.get_by_role("main").get_by_role("link", name="Become an agent").click()
    expect(page.get_by_role("heading", name="Apply to be a Humanline agent")).to_be_visible()

    page.goto(f"{base}/")
    page.get_by_role("link", name="Agent portal").click()
    expect(page.get_by_role("heading", name="Agent login")).to_be_visible()
    page.get_by_label("Email").fill("ama@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hi Ama")).to_be_visible()
    # The header leads back to the portal from any page.
    page.goto(f"{base}/")
    page.get_by_role("banner").get_by_role("link", name="Portal").click()
    expect(page).to_have_url(f"{base}/portal/")

    staff = new_context().new_page()
    staff.goto(f"{base}/")
    staff.get_by_role("link", name="Operations admin").click()
    staff.get_by_label("Email address").fill("ops@example.com")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Site administration")).to_be_visible()


def test_the_login_page_leads_a_newcomer_to_the_application(live_server_url, new_context):
    page = new_context().new_page()

    page.goto(f"{live_server_url}/")
    page.get_by_role("banner").get_by_role("link", name="Agent login").click()
    page.get_by_role("link", name="Apply to be an agent").click()

    expect(page.get_by_role("heading", name="Apply to be a Humanline agent")).to_be_visible()


def test_the_api_docs_open_as_a_page_from_the_home_page(live_server_url, new_context):
    page = new_context().new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server_url) else outside.append(request.url)
        ),
    )

    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name="API documentation").click()

    expect(page).to_have_url(f"{live_server_url}/api/docs/")
    expect(page.get_by_text("Humanline API").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"/api/v1/conversations/")).first).to_be_visible()
    assert outside == []  # Swagger UI's files are ours, not a CDN's


@pytest.mark.parametrize(
    ("browser_zone", "preselected"),
    [("Africa/Nairobi", "Africa/Nairobi"), ("Asia/Kolkata", "Asia/Kolkata")],
)
def test_the_application_preselects_the_browsers_time_zone(
    live_server_url, new_context, browser_zone, preselected
):
    # Chromium reports Asia/Kolkata as Asia/Calcutta: the page maps the old name.
    page = new_context(timezone_id=browser_zone).new_page()

    page.goto(f"{live_server_url}/agents/apply/")

    expect(page.get_by_label("Time zone")).to_have_value(preselected)


def test_a_bad_time_range_is_reported_in_words(live_server_url, new_context):
    page = new_context().new_page()
    page.goto(f"{live_server_url}/agents/apply/")

    page.get_by_label("Monday").fill("9 to 5")
    page.get_by_role("button", name="Send my application").click()

    message = "Monday: “9 to 5” is not a time range like 09:00-13:00."
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_text("['")).to_have_count(0)
    # A choice shown again keeps what the applicant had, not the browser's guess.
    page.get_by_label("Time zone").select_option("Europe/Oslo")
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Oslo")


def test_no_page_of_the_first_hour_asks_for_something_missing(live_server_url, new_context):
    page = new_context().new_page()
    failed = []
    page.on(
        "response",
        lambda response: failed.append(response.url) if response.status >= 400 else None,
    )

    for path in ["/", "/agents/", "/agents/apply/", "/accounts/login/", "/admin/login/"]:
        page.goto(f"{live_server_url}{path}")
        page.wait_for_load_state("networkidle")
    icon = page.request.get(f"{live_server_url}/favicon.ico")

    assert failed == []
    assert icon.ok
    assert icon.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
