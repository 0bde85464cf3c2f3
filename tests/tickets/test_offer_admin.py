"""What operators see of offers in the admin (docs/dispatch.md): a ticket's offers on its
page, each agent's acceptance rate, declines and expiries in the agents' list and its
declines by reason on its page, and the dispatch settings in one read-only page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import AgentFactory, DecidedOfferFactory, QueuedTicketFactory, UserFactory
from tickets.admin import OfferInline
from tickets.models import Offer

pytestmark = pytest.mark.django_db

Outcome = Offer.Outcome
AGENTS = "/admin/agents/agent/"
SETTINGS_PAGE = "/admin/tickets/dispatch-settings/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="ops@example.com", is_staff=True, is_superuser=True))
    return client


def ticket_page(client, ticket):
    return client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def offer_inline(response):
    (inline,) = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.model is Offer
    ]
    return inline


# --- The ticket's page ---------------------------------------------------------------------


def test_the_ticket_page_shows_each_offer_with_agent_outcome_reason_note_and_pay(admin_client):
    ticket = QueuedTicketFactory()
    DecidedOfferFactory(
        ticket=ticket,
        agent=AgentFactory(user__first_name="Noor"),
        outcome=Outcome.DECLINED,
        decline_reason=Offer.DeclineReason.NOT_MY_SKILL,
        decline_note="No German.",
        pay_amount_minor=350,
        pay_currency="usd",
    )

    text = ticket_page(admin_client, ticket).content.decode()

    assert "Noor" in text
    assert "Not my skill" in text
    assert "No German." in text
    assert "$3.50" in text


def test_an_offer_without_a_quote_shows_no_pay():
    offer = DecidedOfferFactory(outcome=Outcome.EXPIRED)

    assert OfferInline(Offer, admin.site).pay(offer) == "—"


def test_the_ticket_pages_offers_cannot_be_added_changed_or_deleted(admin_client):
    ticket = QueuedTicketFactory()
    DecidedOfferFactory(ticket=ticket)

    inline = offer_inline(ticket_page(admin_client, ticket))

    assert (
        inline.has_add_permission,
        inline.has_change_permission,
        inline.has_delete_permission,
    ) == (False, False, False)


def test_the_ticket_page_costs_the_same_queries_for_one_offer_or_five(admin_client):
    one, five = QueuedTicketFactory(), QueuedTicketFactory()
    DecidedOfferFactory(ticket=one, outcome=Outcome.DECLINED)
    DecidedOfferFactory.create_batch(5, ticket=five, outcome=Outcome.DECLINED)

    assert queries_of(admin_client, f"/admin/tickets/ticket/{five.pk}/change/") == queries_of(
        admin_client, f"/admin/tickets/ticket/{one.pk}/change/"
    )


# --- The agents' list and page -------------------------------------------------------------


def listed(response, agent):
    (row,) = [row for row in response.context["cl"].result_list if row.pk == agent.pk]
    return row


def test_the_agent_list_shows_acceptance_rate_declines_and_expiries_of_the_last_7_days(
    admin_client,
):
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(2, agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.DECLINED)
    DecidedOfferFactory(agent=agent, outcome=Outcome.EXPIRED)

    response = admin_client.get(AGENTS)

    row = listed(response, agent)
    assert (row.offer_acceptance, row.offers_declined, row.offers_expired) == (0.5, 1, 1)
    assert "50%" in response.content.decode()


def test_the_agent_lists_rate_leaves_out_withdrawn_and_older_offers(admin_client):
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.WITHDRAWN)
    DecidedOfferFactory(
        agent=agent, outcome=Outcome.DECLINED, sent_at=timezone.now() - timedelta(days=8)
    )

    row = listed(admin_client.get(AGENTS), agent)

    assert (row.offer_acceptance, row.offers_declined) == (1.0, 0)


def test_an_agent_never_offered_a_ticket_has_a_dash_for_its_rate(admin_client):
    agent = AgentFactory()

    response = admin_client.get(AGENTS)

    assert listed(response, agent).offer_acceptance is None
    assert response.context["cl"].model_admin.offer_acceptance(listed(response, agent)) == "—"


def test_the_agent_list_sorts_by_acceptance_rate(admin_client):
    middling, low, high = AgentFactory(), AgentFactory(), AgentFactory()
    for agent, declines in ((middling, 1), (low, 3), (high, 0)):
        DecidedOfferFactory(agent=agent)
        DecidedOfferFactory.create_batch(declines, agent=agent, outcome=Outcome.DECLINED)
    column = admin_client.get(AGENTS).context["cl"].list_display.index("offer_acceptance")

    response = admin_client.get(AGENTS, {"o": f"-{column}"})

    assert [row.pk for row in response.context["cl"].result_list] == [high.pk, middling.pk, low.pk]


def test_the_agent_list_sorted_by_rate_shows_the_lowest_first_and_those_without_offers_last(
    admin_client,
):
    unrated, low, high = AgentFactory(), AgentFactory(), AgentFactory()
    DecidedOfferFactory(agent=high)
    DecidedOfferFactory(agent=low, outcome=Outcome.EXPIRED)
    column = admin_client.get(AGENTS).context["cl"].list_display.index("offer_acceptance")

    response = admin_client.get(AGENTS, {"o": str(column)})

    assert [row.pk for row in response.context["cl"].result_list] == [low.pk, high.pk, unrated.pk]


def test_the_agent_list_costs_the_same_queries_for_two_agents_or_six(admin_client):
    def agent_with_offers():
        agent = AgentFactory()
        DecidedOfferFactory(agent=agent)
        DecidedOfferFactory(agent=agent, outcome=Outcome.DECLINED)
        DecidedOfferFactory(agent=agent, outcome=Outcome.EXPIRED)

    for _ in range(2):
        agent_with_offers()
    two = queries_of(admin_client, AGENTS)
    for _ in range(4):
        agent_with_offers()

    assert queries_of(admin_client, AGENTS) == two


def test_the_agent_page_breaks_its_declines_down_by_reason(admin_client):
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(2, agent=agent, outcome=Outcome.DECLINED)
    DecidedOfferFactory(
        agent=agent,
        outcome=Outcome.DECLINED,
        decline_reason=Offer.DeclineReason.NOT_MY_SKILL,
        sent_at=timezone.now() - timedelta(days=10),
    )

    text = admin_client.get(f"{AGENTS}{agent.pk}/change/").content.decode()

    assert "Busy: 2 in the last 7 days, 2 in all" in text
    assert "Not my skill: 0 in the last 7 days, 1 in all" in text


def test_the_agent_page_says_when_no_offer_was_declined(admin_client):
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)

    text = admin_client.get(f"{AGENTS}{agent.pk}/change/").content.decode()

    assert "No offer declined." in text


def test_the_add_agent_page_still_opens(admin_client):
    assert admin_client.get(f"{AGENTS}add/").status_code == 200


# --- Dispatch settings ---------------------------------------------------------------------


def test_staff_see_the_dispatch_settings_with_their_values(admin_client, settings):
    settings.ROUTING_MODE = "hybrid"
    settings.OFFER_TIMEOUT_SECONDS = 25
    settings.OFFER_MISSES_BEFORE_AWAY = 4

    response = admin_client.get(SETTINGS_PAGE)

    assert response.status_code == 200
    shown = {setting.name: setting.value for setting in response.context["from_environment"]}
    assert shown["ROUTING_MODE"] == "hybrid"
    assert shown["OFFER_TIMEOUT_SECONDS"] == 25
    assert shown["OFFER_MISSES_BEFORE_AWAY"] == 4
    assert "Set from the environment" in response.content.decode()


def test_the_dispatch_settings_show_the_sweep_interval(admin_client):
    response = admin_client.get(SETTINGS_PAGE)

    shown = {setting.name: setting.value for setting in response.context["in_code"]}
    assert shown["Sweep interval (seconds)"] == "1"


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())

    response = client.get(SETTINGS_PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_index_links_to_the_dispatch_settings(admin_client):
    assert SETTINGS_PAGE in admin_client.get("/admin/").content.decode()


def test_the_tickets_app_page_links_to_the_dispatch_settings(admin_client):
    assert SETTINGS_PAGE in admin_client.get("/admin/tickets/").content.decode()
