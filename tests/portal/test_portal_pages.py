import pytest

from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory
from tickets import services
from tickets.models import CannedReply

pytestmark = pytest.mark.django_db


def test_an_active_agent_gets_the_portal_with_its_canned_replies(client):
    agent = AgentFactory()
    CannedReply.objects.create(title="Greeting", body="Hi, I'm here to help.", language="en")
    CannedReply.objects.create(title="Hola", body="Hola", language="es")
    client.force_login(agent.user)

    response = client.get("/portal/")

    assert response.status_code == 200
    config = response.context["config"]
    assert config["canned"] == [{"title": "Greeting", "body": "Hi, I'm here to help."}]
    assert config["wsPath"] == "/ws/agent/"


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_who_is_not_an_agent_is_refused(client):
    client.force_login(UserFactory())

    response = client.get("/portal/")

    assert response.status_code == 403


def test_a_suspended_agent_is_refused(client):
    client.force_login(AgentFactory(status="suspended").user)

    response = client.get("/portal/")

    assert response.status_code == 403
    assert b"suspended" in response.content


def test_an_agent_still_onboarding_is_sent_to_its_next_step(client):
    client.force_login(AgentFactory(status="email_verified").user)

    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/agents/")


def test_the_profile_shows_rating_satisfaction_and_resolved_count(client):
    agent = AgentFactory()
    for score in (5, 3):
        ticket = QueuedTicketFactory()
        services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
        services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)
        services.ticket_rate(token=ticket.token, score=score)
        services.ticket_resolution_confirm(token=ticket.token, solved=True)
    client.force_login(agent.user)

    response = client.get("/portal/profile/")

    performance = response.context["performance"]
    assert (performance.tickets_resolved, performance.average_rating) == (2, 4.0)
    assert performance.satisfied_share == 0.5


def test_the_profile_counts_a_resolution_once_confirmed(client):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)
    client.force_login(agent.user)

    response = client.get("/portal/profile/")

    performance = response.context["performance"]
    assert (performance.tickets_resolved, performance.awaiting_confirmation) == (0, 1)
    assert "1 awaiting the customer's confirmation" in response.content.decode()
