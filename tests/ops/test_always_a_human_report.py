"""The always-a-human report's page and CSV, /ops/reports/always-a-human/."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ops.history import human_access_compute
from ops.models import DailyHumanAccess
from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory
from tickets.services import ticket_claim

pytestmark = pytest.mark.django_db

URL = reverse("ops:always-a-human")


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def stored_day(day: date, language: str = "en", **figures) -> DailyHumanAccess:
    values = {
        "asked": 3,
        "got_person": 2,
        "wait_median_seconds": 30,
        "wait_p90_seconds": 90,
        "wait_max_seconds": 90,
        "gave_up": 1,
        "gave_up_after_median_seconds": 400,
        "gave_up_after_max_seconds": 400,
        "offered_other_way": 1,
        "email_replied": 0,
        "computed_at": datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
    } | figures
    values.setdefault("waiting", values["asked"] - values["got_person"] - values["gave_up"])
    return DailyHumanAccess.objects.create(day=day, language=language, **values)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True))
    return client


# --- Access ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(URL + "?start=2026-11-01")

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("admin:login") + "?next=/ops/reports/always-a-human/%3Fstart%3D2026-11-01"
    )


def test_agents_are_refused(client):
    client.force_login(AgentFactory().user)

    assert client.get(URL).status_code == 403


def test_agents_are_refused_the_csv_too(client):
    client.force_login(AgentFactory().user)

    assert client.get(URL + "?format=csv").status_code == 403


def test_staff_see_the_report(staff_client):
    assert staff_client.get(URL).status_code == 200


def test_the_report_is_read_only(staff_client):
    assert staff_client.post(URL).status_code == 405


# --- The range ------------------------------------------------------------------------------


def test_it_shows_the_last_30_days_by_default(staff_client):
    response = staff_client.get(URL)

    report = response.context["report"]
    assert (report.start, report.end) == (today() - timedelta(days=29), today())


def test_it_shows_the_range_asked_for(staff_client):
    start = today() - timedelta(days=5)
    stored_day(start)
    stored_day(start - timedelta(days=1))

    response = staff_client.get(URL, {"start": start, "end": today()})

    assert [row.day for row in response.context["report"].rows] == [start]


def test_it_refuses_a_start_after_the_end(staff_client):
    response = staff_client.get(URL, {"start": today(), "end": today() - timedelta(days=1)})

    assert response.status_code == 400
    assert "report" not in response.context
    assert "The start must be on or before the end." in response.content.decode()


def test_it_refuses_a_start_more_than_90_days_back(staff_client):
    response = staff_client.get(URL, {"start": today() - timedelta(days=91), "end": today()})

    assert response.status_code == 400
    assert "report" not in response.context
    assert "The history goes back 90 days" in response.content.decode()


def test_it_accepts_a_start_exactly_90_days_back(staff_client):
    response = staff_client.get(URL, {"start": today() - timedelta(days=90), "end": today()})

    assert response.status_code == 200


def test_it_refuses_an_end_after_today(staff_client):
    response = staff_client.get(URL, {"start": today(), "end": today() + timedelta(days=1)})

    assert response.status_code == 400
    assert "The end cannot be after today" in response.content.decode()


def test_it_refuses_dates_that_are_not_dates(staff_client):
    response = staff_client.get(URL, {"start": "yesterday", "end": today()})

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_it_refuses_a_range_without_an_end(staff_client):
    response = staff_client.get(URL, {"start": today()})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_refused_range_gets_no_csv(staff_client):
    response = staff_client.get(
        URL, {"start": today(), "end": today() - timedelta(days=1), "format": "csv"}
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_each_day_and_language_and_their_totals(staff_client):
    day = today() - timedelta(days=2)
    stored_day(day, "en", asked=7)
    stored_day(day, "de", asked=5)
    stored_day(day, DailyHumanAccess.ALL_LANGUAGES, asked=12)

    response = staff_client.get(URL)

    totals = {t.language: t.asked for t in response.context["report"].totals}
    assert totals == {"de": 5, "en": 7, "": 12}
    page = response.content.decode()
    assert "All languages" in page
    assert "<svg" in page


def test_the_page_says_when_todays_figures_were_computed(staff_client):
    stored_day(today(), computed_at=timezone.now().replace(hour=9, minute=40))

    page = staff_client.get(URL).content.decode()

    assert "Today's figures were computed at 09:40 (UTC)" in page


def test_the_page_says_when_today_is_not_computed_yet(staff_client):
    page = staff_client.get(URL).content.decode()

    assert "Today's figures are not computed yet" in page


def test_the_page_reads_the_same_queries_however_many_tickets(
    staff_client, django_assert_num_queries
):
    def page_queries() -> int:
        human_access_compute(day=today())
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(URL).status_code == 200
        return len(queries)

    QueuedTicketFactory.create_batch(2)
    few = page_queries()
    QueuedTicketFactory.create_batch(20, language="de")
    many = page_queries()

    assert few == many
    # The session, the user, and the aggregate rows: no ticket is read.
    with django_assert_num_queries(few):
        staff_client.get(URL)


def test_the_page_never_reads_the_tickets(staff_client):
    stored_day(today())
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(URL)

    assert not [q for q in queries.captured_queries if "tickets_ticket" in q["sql"]]


# --- The CSV --------------------------------------------------------------------------------


def test_the_csv_has_a_header_and_one_row_per_day_and_language(staff_client):
    day = today() - timedelta(days=1)
    stored_day(day, "en", asked=2, got_person=1, gave_up=1, offered_other_way=0)
    stored_day(
        today(),
        "de",
        got_person=0,
        wait_median_seconds=None,
        wait_p90_seconds=None,
        wait_max_seconds=None,
    )

    response = staff_client.get(URL, {"start": day, "end": today(), "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="always-a-human_{day}_{today()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == [
        "day",
        "language",
        "asked",
        "got_person",
        "wait_median_seconds",
        "wait_p90_seconds",
        "wait_max_seconds",
        "gave_up",
        "gave_up_after_median_seconds",
        "gave_up_after_max_seconds",
        "waiting",
        "offered_other_way",
        "email_replied",
        "computed_at",
    ]
    assert [row[:4] for row in rows[1:]] == [
        [str(day), "en", "2", "1"],
        [str(today()), "de", "3", "0"],
    ]
    assert rows[2][4:7] == ["", "", ""]  # nobody got a person: no wait, not a zero wait


def test_the_csv_names_the_whole_day_all(staff_client):
    stored_day(today(), DailyHumanAccess.ALL_LANGUAGES)

    response = staff_client.get(URL, {"start": today(), "end": today(), "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[1][1] == "all"


def test_the_csv_holds_what_the_history_computed_from_the_tickets(staff_client):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    assert ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    human_access_compute(day=today())

    response = staff_client.get(URL, {"start": today(), "end": today(), "format": "csv"})

    rows = {row[1]: row for row in csv.reader(io.StringIO(response.content.decode("utf-8")))}
    assert rows["en"][2:4] == ["1", "1"]
    assert rows["all"][2:4] == ["1", "1"]


def test_staff_can_read_the_history_in_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    stored_day(today())

    response = client.get(reverse("admin:ops_dailyhumanaccess_changelist"))

    assert response.status_code == 200
    assert client.get(reverse("admin:ops_dailyhumanaccess_add")).status_code == 403
