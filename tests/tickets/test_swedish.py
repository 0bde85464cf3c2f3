"""Swedish is a supported language (issue #22): agents can say they speak it, and a
conversation can be in it."""

from __future__ import annotations

import pytest

from agents.models import Agent
from tests.agents.test_onboarding import application
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_application_form_accepts_swedish(client):
    response = client.post("/agents/apply/", application(languages=["en", "sv"]))

    assert response.status_code == 302
    assert Agent.objects.get().languages == ["en", "sv"]


def test_the_application_form_offers_swedish(client):
    page = client.get("/agents/apply/").content.decode()

    assert 'value="sv"' in page
    assert "Swedish" in page


def test_a_conversation_can_be_started_in_swedish(client):
    response = client.post(
        "/api/v1/conversations/", {"language": "sv"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert Ticket.objects.get(token=response.json()["token"]).language == "sv"
