"""The live page: its figures, the fragment the script swaps in, and the admin lists behind
every figure."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory, ResolvedTicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def busy_day():
    AgentFactory(languages=["en", "sv"])
    AgentFactory(languages=["sv"], availability="away")
    QueuedTicketFactory(language="sv", escalated_at=timezone.now() - timedelta(seconds=90))
    QueuedTicketFactory(language="en")
    ResolvedTicketFactory(rating=5)


def test_the_page_shows_the_waiting_count_and_polls_the_fragment(staff_client, busy_day):
    page = staff_client.get("/ops/").content.decode()

    assert re.search(r'id="ops-waiting">2<', page)
    assert 'data-url="/ops/live/"' in page
    assert "ops/live.js" in page


def test_the_fragment_is_the_figures_without_the_page_around_them(staff_client, busy_day):
    fragment = staff_client.get("/ops/live/").content.decode()

    assert re.search(r'id="ops-waiting">2<', fragment)
    assert "<html" not in fragment


def test_every_figure_links_to_an_admin_list_that_accepts_its_filters(staff_client, busy_day):
    page = staff_client.get("/ops/").content.decode()
    links = sorted({html.unescape(href) for href in re.findall(r'href="(/admin/[^"]+)"', page)})
    assert len(links) > 15

    for link in links:
        response = staff_client.get(link)
        # The admin answers a filter it does not accept with a redirect to ?e=1.
        assert response.status_code == 200, link


def test_the_page_renders_on_an_empty_database(staff_client):
    page = staff_client.get("/ops/").content.decode()

    assert re.search(r'id="ops-waiting">0<', page)
    assert "No alerts." in page
