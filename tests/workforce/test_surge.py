"""Surge: periods start and end from the live queue, offers reach opted-in offline agents."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory
from workforce.models import SurgePeriod
from workforce.surge import surge_active_at, surge_check, surges_open_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _targets(settings):
    settings.SURGE_WAIT_TARGET_SECONDS = 60
    settings.SURGE_END_WAIT_SECONDS = 30


def queued_waiting(seconds: int, *, language: str = "en"):
    return QueuedTicketFactory(
        language=language, escalated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_surge_starts_when_the_oldest_ticket_waited_past_the_target():
    queued_waiting(90)

    result = surge_check()

    assert result.started == ["en"]
    period = SurgePeriod.objects.get()
    assert period.language == "en"
    assert period.ended_at is None
    assert 89 <= period.trigger_wait_seconds <= 91


def test_no_surge_while_the_wait_is_within_the_target():
    queued_waiting(45)

    assert surge_check().started == []
    assert not SurgePeriod.objects.exists()


def test_surges_are_per_language():
    queued_waiting(90, language="es")
    queued_waiting(10, language="en")

    surge_check()

    assert list(SurgePeriod.objects.values_list("language", flat=True)) == ["es"]


def test_a_second_check_does_not_open_a_second_period():
    queued_waiting(90)
    surge_check()

    assert surge_check().started == []
    assert SurgePeriod.objects.count() == 1


def test_a_surge_ends_when_the_queue_is_empty():
    ticket = queued_waiting(90)
    surge_check()
    ticket.delete()

    result = surge_check()

    assert result.ended == ["en"]
    assert SurgePeriod.objects.get().ended_at is not None


def test_a_surge_holds_between_the_end_threshold_and_the_target():
    # Hysteresis: back under the target but above the end threshold is not yet recovered.
    ticket = queued_waiting(90)
    surge_check()
    ticket.escalated_at = timezone.now() - timedelta(seconds=45)
    ticket.save(update_fields=["escalated_at"])

    assert surge_check().ended == []
    assert SurgePeriod.objects.get().ended_at is None


def test_a_surge_ends_once_the_oldest_wait_is_under_the_end_threshold():
    ticket = queued_waiting(90)
    surge_check()
    ticket.escalated_at = timezone.now() - timedelta(seconds=5)
    ticket.save(update_fields=["escalated_at"])

    assert surge_check().ended == ["en"]


def test_the_offer_is_emailed_to_opted_in_offline_agents_of_the_language_only(
    django_capture_on_commit_callbacks,
):
    wanted = AgentFactory(surge_opt_in=True, is_online=False, connection_count=0)
    AgentFactory(surge_opt_in=True, is_online=True)  # already working
    AgentFactory(surge_opt_in=False, is_online=False, connection_count=0)  # did not opt in
    AgentFactory(surge_opt_in=True, is_online=False, languages=["es"])  # other language
    queued_waiting(90)

    with django_capture_on_commit_callbacks(execute=True):
        surge_check()

    assert [message.to for message in mail.outbox] == [[wanted.user.email]]
    assert "pay" in mail.outbox[0].subject


def test_the_portal_banner_lists_open_surges_for_opted_in_agents():
    agent = AgentFactory(surge_opt_in=True, languages=["en", "es"])
    shy = AgentFactory(surge_opt_in=False)
    queued_waiting(90)
    surge_check()

    assert [period.language for period in surges_open_for(agent=agent)] == ["en"]
    assert surges_open_for(agent=shy) == []


def test_surge_active_at_covers_an_ended_period_inclusively():
    start = timezone.now() - timedelta(hours=2)
    end = start + timedelta(minutes=30)
    SurgePeriod.objects.create(language="en", started_at=start, ended_at=end)

    assert surge_active_at(language="en", at=start)
    assert surge_active_at(language="en", at=end)
    assert not surge_active_at(language="en", at=end + timedelta(seconds=1))
    assert not surge_active_at(language="en", at=start - timedelta(seconds=1))
    assert not surge_active_at(language="es", at=start + timedelta(minutes=1))


def test_surge_active_at_counts_an_open_period_from_its_start():
    start = timezone.now() - timedelta(minutes=5)
    SurgePeriod.objects.create(language="en", started_at=start)

    assert surge_active_at(language="en", at=timezone.now() + timedelta(hours=1))
    assert not surge_active_at(language="en", at=start - timedelta(minutes=1))
