"""The texts the agent's pages take from the quality, payouts and workforce apps (labels,
explanations, reasons, chart labels) read in the agent's language; without one they stay
English, and what the ledger stores stays English."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from agents.models import Agent
from payouts import ledger
from payouts.charts import weekly_bar_chart
from payouts.models import EarningLine
from payouts.services import instant_payout_quote
from quality.charts import rate_chart
from quality.models import AgentQualityScore
from tests.factories import (
    AgentFactory,
    EarningLineFactory,
    RateCardFactory,
    ResolvedTicketFactory,
    ShiftAssignmentFactory,
)
from workforce.models import ShiftAssignment
from workforce.shifts import ShiftError, shift_offer_accept

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A request's middleware activates its language in this thread and leaves it there;
    back to the default after each test, so the next one starts without a language."""
    yield
    translation.deactivate()


@pytest.fixture
def agent(client):
    agent = AgentFactory(
        quality_tier=Agent.QualityTier.PROBATION, code_of_conduct_accepted_at=timezone.now()
    )
    client.force_login(agent.user)
    return agent


def scored_today(agent) -> None:
    AgentQualityScore.objects.create(
        agent=agent,
        day=timezone.now().date(),
        tickets_resolved=3,
        confirmed_resolution_pct=90,
        score=90,
        tier=agent.quality_tier,
    )


def test_the_score_card_s_components_and_tier_meaning_read_in_german(client, agent):
    scored_today(agent)

    page = client.get("/portal/quality/", **GERMAN).content.decode()

    assert "Bestätigte Lösungen" in page
    assert "Probezeit" in page
    assert "VIP- und dringende Unterhaltungen gehen zuerst an Standard-" in page
    assert "Confirmed resolutions" not in page


def test_the_score_card_stays_english_without_a_language(client, agent):
    scored_today(agent)

    page = client.get("/portal/quality/").content.decode()

    assert "Confirmed resolutions" in page
    assert "VIP and urgent conversations go to standard and expert agents first" in page


def test_a_pay_line_s_status_reads_in_german_on_the_earnings_page(client, agent):
    EarningLineFactory(
        agent=agent,
        status=EarningLine.Status.PENDING,
        available_at=timezone.now() + timedelta(hours=5),
    )

    page = client.get("/portal/earnings/", **GERMAN).content.decode()

    assert "<td>Ausstehend" in page


def test_the_earnings_page_shows_a_stored_description_in_german(client, agent):
    EarningLineFactory(agent=agent, description="Top rating on ticket #7")

    page = client.get("/portal/earnings/", **GERMAN).content.decode()

    assert "Top rating on ticket #7" not in page
    assert _("Top rating on ticket #%(n)s", "de") % {"n": 7} in page


def test_a_pay_line_s_kind_and_status_labels_follow_the_language():
    line = EarningLine(kind=EarningLine.Kind.SHIFT_BONUS, status=EarningLine.Status.PAYABLE)

    with translation.override("de"):
        assert (line.get_kind_display(), line.get_status_display()) == (
            "Bonus für abgeschlossene Schicht",
            "Auszahlbar",
        )
    assert (line.get_kind_display(), line.get_status_display()) == (
        "Completed shift bonus",
        "Payable",
    )


def test_a_stored_ticket_line_description_is_shown_in_german_but_stored_in_english():
    RateCardFactory()
    ticket = ResolvedTicketFactory(priority=3)
    line = ledger.ticket_pay_line_create(ticket=ticket)

    with translation.override("de"):
        german = line.description_for_viewer

    assert line.description == f"Ticket #{ticket.pk} (high priority)"
    assert german == f"Ticket #{ticket.pk} (hohe Priorität)"
    assert line.description_for_viewer == line.description


@pytest.mark.parametrize(
    ("stored", "german"),
    [
        (
            "Ticket #7 (urgent priority), surge ×1.5, expert ×1.25",
            "Ticket #7 (dringende Priorität), Stoßzeit ×1.5, Experte ×1.25",
        ),
        (
            "Ticket #7: no rate set for this priority, an admin will review",
            "Ticket #7: für diese Priorität ist kein Satz festgelegt, ein Admin prüft das",
        ),
        (
            "Ticket #7 reopened: the customer wrote again within 72 h",
            "Ticket #7 wieder geöffnet: der Kunde hat innerhalb von 72 h erneut geschrieben",
        ),
        ("Top rating on ticket #7", "Bestbewertung für Ticket #7"),
        ("Completed shift #3", "Schicht #3 abgeschlossen"),
        ("Instant cash-out fee (payout #9)", "Gebühr für Sofortauszahlung (Auszahlung #9)"),
        ("Fee refunded: cash-out #9 failed", "Gebühr erstattet: Auszahlung #9 fehlgeschlagen"),
        (
            "Transfer for payout #9 reversed by Humanline",
            "Überweisung für Auszahlung #9 von Humanline zurückgebucht",
        ),
    ],
)
def test_each_stored_phrasing_is_shown_in_german(stored, german):
    with translation.override("de"):
        assert EarningLine(description=stored).description_for_viewer == german


def test_an_adjustment_s_free_text_is_shown_as_written():
    line = EarningLine(kind=EarningLine.Kind.ADJUSTMENT, description="Training day, March")

    with translation.override("sv"):
        assert line.description_for_viewer == "Training day, March"


def test_why_instant_cash_out_is_unavailable_reads_in_german():
    agent = AgentFactory(payouts_enabled=False)

    with translation.override("de"):
        quote = instant_payout_quote(agent=agent)

    assert quote.reason == "Verbinde zuerst ein Auszahlungskonto."


def test_a_shift_s_state_reads_in_german_on_the_shifts_page(client, agent):
    ShiftAssignmentFactory(agent=agent, state=ShiftAssignment.State.BOOKED, offer_expires_at=None)

    page = client.get("/portal/shifts/", **GERMAN).content.decode()

    assert "· Gebucht</li>" in page


def test_a_refused_shift_answer_reads_in_german(agent):
    declined = ShiftAssignmentFactory(agent=agent, state=ShiftAssignment.State.DECLINED)

    with translation.override("de"), pytest.raises(ShiftError) as refused:
        shift_offer_accept(assignment_id=declined.pk, agent_id=agent.pk)

    assert str(refused.value) == "Dieses Angebot hast du schon abgelehnt."


def test_the_earnings_chart_s_week_labels_follow_the_locale():
    weeks = [(date(2026, 11, 30), 500), (date(2026, 12, 7), 700)]

    with translation.override("de"):
        german = weekly_bar_chart(weeks, "eur")
    english = weekly_bar_chart(weeks, "eur")

    assert [bar.label for bar in german.bars] == ["30. Nov.", "7. Dez."]
    assert german.description.startswith("Verdienst pro Woche, älteste zuerst: Woche vom 30. Nov.")
    assert [bar.label for bar in english.bars] == ["Nov 30", "Dec 7"]
    assert english.description.startswith("Earnings per week, oldest first: week of Nov 30")


def test_the_quality_trend_s_week_labels_follow_the_locale():
    weeks = [date(2026, 11, 30), date(2026, 12, 7)]

    with translation.override("de"):
        german = rate_chart(title="t", week_starts=weeks, lines=[])

    assert [week["label"] for week in german["columns"]] == ["7. Dez."]
    assert [w["label"] for w in rate_chart(title="t", week_starts=weeks, lines=[])["columns"]] == [
        "Dec 7"
    ]


def _(message: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(message)
