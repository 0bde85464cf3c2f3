"""The agent's shifts page: what it shows, and its POSTs' success, refusal and method."""

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from tests.factories import AgentFactory, ShiftAssignmentFactory, ShiftSlotFactory
from workforce.models import ShiftAssignment, SurgePeriod

pytestmark = pytest.mark.django_db
St = ShiftAssignment.State


@pytest.fixture
def agent(client):
    agent = AgentFactory(code_of_conduct_accepted_at=timezone.now())
    client.force_login(agent.user)
    return agent


def test_the_page_lists_offers_upcoming_shifts_and_open_slots(client, agent):
    offer = ShiftAssignmentFactory(agent=agent)
    booked = ShiftAssignmentFactory(agent=agent, state=St.BOOKED, offer_expires_at=None)
    open_slot = ShiftSlotFactory(headcount_required=1)
    full = ShiftSlotFactory(headcount_required=1)
    ShiftAssignmentFactory(slot=full)
    ShiftSlotFactory(language="es")  # not the agent's language

    response = client.get(reverse("portal-shifts"))

    assert response.status_code == 200
    assert list(response.context["offers"]) == [offer]
    assert list(response.context["upcoming"]) == [booked]
    assert [slot.pk for slot in response.context["open_slots"]] == [open_slot.pk]
    assert reverse("portal-shift-accept", args=[offer.pk]) in response.content.decode()


def test_the_portal_and_profile_link_to_the_shifts_page(client, agent):
    for name in ("portal", "portal-profile"):
        assert reverse("portal-shifts") in client.get(reverse(name)).content.decode()


def test_an_opted_in_agent_sees_the_surge_banner(client, agent):
    Agent.objects.filter(pk=agent.pk).update(surge_opt_in=True)
    SurgePeriod.objects.create(language="en", started_at=timezone.now())

    assert "Surge: EN customers are waiting" in client.get(reverse("portal")).content.decode()
    assert "Surge: EN" in client.get(reverse("portal-shifts")).content.decode()


def test_accepting_an_offer_redirects_to_the_page(client, agent):
    offer = ShiftAssignmentFactory(agent=agent)

    response = client.post(reverse("portal-shift-accept", args=[offer.pk]))

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.state == St.ACCEPTED


def test_declining_someone_elses_offer_is_refused(client, agent):
    offer = ShiftAssignmentFactory()

    response = client.post(reverse("portal-shift-decline", args=[offer.pk]))

    assert response.status_code == 400
    assert "There is no such shift offer." in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == St.OFFERED


def test_answering_by_get_is_not_allowed(client, agent):
    offer = ShiftAssignmentFactory(agent=agent)

    assert client.get(reverse("portal-shift-accept", args=[offer.pk])).status_code == 405
    assert client.get(reverse("portal-shift-book", args=[offer.slot_id])).status_code == 405


def test_booking_a_full_slot_shows_why(client, agent):
    slot = ShiftSlotFactory(headcount_required=1)
    ShiftAssignmentFactory(slot=slot)

    response = client.post(reverse("portal-shift-book", args=[slot.pk]))

    assert response.status_code == 400
    assert "This shift is full." in response.content.decode()
    assert not ShiftAssignment.objects.filter(agent=agent).exists()


def test_booking_a_free_seat(client, agent):
    slot = ShiftSlotFactory(headcount_required=1)

    response = client.post(reverse("portal-shift-book", args=[slot.pk]))

    assert response.status_code == 302
    assert ShiftAssignment.objects.get(agent=agent).state == St.BOOKED


def test_preferences_are_saved(client, agent):
    response = client.post(
        reverse("portal-shift-preferences"),
        {"avail_mon": "09:00-13:00, 18:00-21:00", "weekly_hour_cap": "12", "surge_opt_in": "on"},
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.weekly_availability == {"mon": [["09:00", "13:00"], ["18:00", "21:00"]]}
    assert (agent.shift_weekly_hour_cap, agent.surge_opt_in) == (12, True)


def test_bad_preferences_are_refused_and_nothing_changes(client, agent):
    before = (agent.weekly_availability, agent.shift_weekly_hour_cap)

    response = client.post(
        reverse("portal-shift-preferences"), {"avail_mon": "13:00-09:00", "weekly_hour_cap": "12"}
    )

    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()
    agent.refresh_from_db()
    assert (agent.weekly_availability, agent.shift_weekly_hour_cap) == before


def test_people_who_are_not_agents_are_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(email="nobody@example.com"))

    assert client.get(reverse("portal-shifts")).status_code == 403


def test_the_page_needs_a_login(client):
    response = client.get(reverse("portal-shifts"))

    assert response.status_code == 302
    assert "login" in response["Location"]
