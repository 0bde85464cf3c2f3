"""The application form speaks in words (issue #19): availability errors quote what was
typed, and the time-zone menu is a short list of current zones grouped by area."""

from __future__ import annotations

import json
import re

import pytest

from agents.onboarding import validate_time_zone
from agents.time_zones import TIME_ZONE_ALIASES, TIME_ZONES
from portal.forms import AgentApplicationForm
from tests.agents.test_onboarding import application

pytestmark = pytest.mark.django_db


def test_a_bad_time_range_is_quoted_as_typed_not_as_a_python_list(client):
    response = client.post("/agents/apply/", application(avail_mon="9 to 5"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "Monday: “9 to 5” is not a time range like 09:00-13:00." in page
    assert "[&#x27;" not in page


def test_a_range_with_bad_times_is_quoted_with_its_dash(client):
    page = client.post("/agents/apply/", application(avail_mon="25:00-26:00")).content.decode()

    assert "Monday: “25:00-26:00” is not a time range" in page


def offered_time_zones() -> list[str]:
    return _flatten(AgentApplicationForm().fields["time_zone"].choices)


def _flatten(choices) -> list[str]:
    values = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            values.extend(v for v, _ in label)
        elif value:
            values.append(value)
    return values


def test_the_time_zone_menu_offers_current_zones_only():
    offered = offered_time_zones()

    for current in ["UTC", "Africa/Nairobi", "Asia/Kolkata", "Europe/Kyiv", "Europe/Oslo"]:
        assert current in offered
    for legacy in ["US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+3", "EST5EDT", "GB"]:
        assert legacy not in offered
    assert not [name for name in offered if name.startswith(("Etc/", "SystemV/", "US/"))]
    assert len(offered) <= len(TIME_ZONES) + 1 < 450


def test_the_time_zone_menu_is_grouped_by_area_and_labelled_by_city(client):
    page = client.get("/agents/apply/").content.decode()

    assert '<optgroup label="Africa">' in page
    assert '<option value="Africa/Nairobi">Nairobi</option>' in page
    assert '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in (
        page
    )
    assert "data-browser-time-zone" in page
    assert "/static/agents/time_zone.js" in page


def test_the_page_carries_the_old_names_a_browser_may_report(client):
    page = client.get("/agents/apply/").content.decode()

    aliases = json.loads(
        re.search(r'<script id="time-zone-aliases" type="application/json">(.*?)</script>', page)[1]
    )
    assert aliases["Asia/Calcutta"] == "Asia/Kolkata"
    assert aliases["Europe/Kiev"] == "Europe/Kyiv"
    assert set(aliases.values()) <= set(TIME_ZONES)
    assert aliases == TIME_ZONE_ALIASES


def test_an_old_zone_name_is_still_accepted_by_the_service():
    # The menu offers current names; the service keeps accepting what the database knows.
    assert validate_time_zone("Asia/Calcutta") == "Asia/Calcutta"
