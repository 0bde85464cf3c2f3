"""The always-a-human report in a browser: a staff member is sent through the admin's login
to it, reads the chart and the table, is told off for a bad range, and downloads the CSV."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ops.history import report_today
from ops.models import DailyHumanAccess
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_staff_read_the_always_a_human_report_and_download_it(live_server_url, new_context):
    UserFactory(email="ops@example.com", is_staff=True)
    today = report_today(timezone.now())
    for language, asked in (("en", 5), ("", 5)):
        DailyHumanAccess.objects.create(
            day=today - timedelta(days=1),
            language=language,
            asked=asked,
            got_person=4,
            wait_median_seconds=40,
            wait_p90_seconds=65,
            wait_max_seconds=65,
            gave_up=1,
            gave_up_after_median_seconds=300,
            gave_up_after_max_seconds=300,
            waiting=0,
            offered_other_way=1,
            email_replied=1,
            computed_at=timezone.now(),
        )
    page = new_context(accept_downloads=True).new_page()

    page.goto(f"{live_server_url}/ops/reports/always-a-human/")
    page.get_by_label("Email address").fill("ops@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Always a human").wait_for()
    assert page.get_by_role(
        "img", name="Asked for a person, and got one by day, in customers"
    ).is_visible()
    assert page.get_by_role("cell", name="1 min 05 s").first.is_visible()

    page.get_by_label("From", exact=True).fill(f"{today:%Y-%m-%d}")
    page.get_by_label("To", exact=True).fill(f"{today - timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("alert").filter(has_text="The start must be on or before the end.").wait_for()

    page.get_by_label("From", exact=True).fill(f"{today - timedelta(days=7):%Y-%m-%d}")
    page.get_by_label("To", exact=True).fill(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    content = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert content[0].startswith("day,language,asked,got_person")
    assert len(content) == 3
