"""Finding things (issue #19): from the home page, the header, the login and the status page
a visitor reaches the chat, the application, the portal, the admin and the API docs without
typing a URL; the API docs are a page, served from our own static files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agents.models import Agent
from tests.agents.onboarding_support import applicant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Agent.Status


def links_of(response) -> str:
    return response.content.decode()


def test_the_home_page_links_chat_apply_portal_admin_and_api_docs(client):
    page = links_of(client.get("/"))

    for href in ["/chat/", "/agents/apply/", "/portal/", "/admin/", "/api/docs/", "/agents/"]:
        assert f'href="{href}"' in page, href


def test_an_anonymous_visitor_sees_chat_become_an_agent_and_login_in_the_header(client):
    header = links_of(client.get("/agents/apply/")).split("</header>")[0]

    assert 'href="/chat/">Chat with support' in header
    assert 'href="/agents/">Become an agent' in header
    assert 'href="/accounts/login/">Agent login' in header
    assert "/admin/" not in header


def test_an_active_agent_sees_the_portal_in_the_header(client):
    client.force_login(applicant(S.ACTIVE).user)

    header = links_of(client.get("/")).split("</header>")[0]

    assert 'href="/portal/">Portal' in header
    assert "Log out" in header
    assert "/admin/" not in header
    assert "Become an agent" not in header


def test_an_applicant_sees_its_application_not_the_portal_in_the_header(client):
    client.force_login(applicant(S.AWAITING_REVIEW).user)

    header = links_of(client.get("/")).split("</header>")[0]

    assert 'href="/agents/status/">My application' in header
    assert "/portal/" not in header


def test_staff_see_the_admin_in_the_header(client):
    client.force_login(UserFactory(is_staff=True))

    header = links_of(client.get("/")).split("</header>")[0]

    assert 'href="/admin/">Admin' in header
    assert "/portal/" not in header  # no agent row: the portal would only refuse


def test_the_login_page_links_apply(client):
    page = links_of(client.get(reverse("login")))

    assert 'href="/agents/apply/">Apply to be an agent' in page


def test_the_status_page_links_the_portal_once_the_agent_can_go_online(client):
    agent = applicant(S.ACTIVE)
    client.force_login(agent.user)

    page = links_of(client.get("/agents/status/"))

    assert 'href="/portal/">Open the agent portal' in page


def test_the_status_page_does_not_link_the_portal_before_approval(client):
    client.force_login(applicant(S.AWAITING_REVIEW).user)

    assert "Open the agent portal" not in links_of(client.get("/agents/status/"))


def test_api_docs_are_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "/api/schema/" in page


def test_the_api_docs_page_is_not_an_operation_of_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "/api/docs/" not in schema["paths"]
