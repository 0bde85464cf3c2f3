import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_an_admin_logs_in_to_the_admin_and_sees_every_app(live_server_url, new_context):
    UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    page = new_context().new_page()

    page.goto(f"{live_server_url}/admin/")
    page.get_by_label("Email address").fill("ops@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    for app in ["Agents", "Tickets and conversations", "Shifts and staffing", "Pay and payouts"]:
        assert page.get_by_role("link", name=app, exact=True).first.is_visible()
