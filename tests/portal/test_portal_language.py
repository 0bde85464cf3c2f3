"""The agent portal speaks the agent's language (docs/i18n.md): the browser's Accept-Language
or the switcher's cookie; English without either."""

import pytest
from django.conf import settings
from django.utils.html import escape

from portal.views import RELEASE_REASONS
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    client.force_login(AgentFactory(user__first_name="Ana").user)
    return client


def test_a_german_browser_gets_the_portal_in_german(agent_client):
    page = agent_client.get("/portal/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()

    assert '<html lang="de">' in page
    assert "Hallo Ana" in page
    assert "Verfügbar für Angebote" in page
    assert "Deine Unterhaltungen" in page
    assert "Diese Unterhaltung an die Warteschlange zurückgeben?" in page
    assert "Available for offers" not in page


def test_the_earnings_page_follows_the_language_cookie(agent_client):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    page = agent_client.get("/portal/earnings/").content.decode()

    assert '<html lang="de">' in page
    assert "Deine Einnahmen" in page
    assert "Zurück zum Portal" in page
    assert "Your earnings" not in page


def test_without_a_preference_the_portal_and_the_earnings_page_are_english(agent_client):
    portal = agent_client.get("/portal/").content.decode()
    earnings = agent_client.get("/portal/earnings/").content.decode()

    assert '<html lang="en">' in portal
    assert "Hi Ana" in portal
    assert "Available for offers" in portal
    assert '<html lang="en">' in earnings
    assert "Your earnings" in earnings


def test_the_portal_loads_the_script_catalog_before_its_script(agent_client):
    page = agent_client.get("/portal/").content.decode()

    assert page.index('src="/jsi18n/"') < page.index("portal/portal.js")


def test_the_script_catalog_has_the_portals_phrases(client):
    catalog = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert (
        "Online \\u2013 kunder kan n\\u00e5 dig" in catalog
        or "Online – kunder kan nå dig" in catalog
    )


def test_a_release_reason_is_shown_in_the_agents_language_and_sent_in_english(agent_client):
    page = agent_client.get("/portal/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    # The value is what the release frame carries and the ticket's event row keeps.
    assert f'value="{escape(RELEASE_REASONS[0])}"' in page
    assert "Kräver ett språk eller en kompetens jag inte har" in page
