"""The cockpit's alerts: what raises each, the page showing them, and the throttled email."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from ops import alerts, tasks
from ops.selectors import live_snapshot
from payouts.models import Payout
from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _targets(settings):
    settings.SERVICE_LEVEL_TARGET_SECONDS = 60
    settings.QUEUE_UNSERVED_ALERT_AFTER_SECONDS = 30
    settings.ALERT_EMAIL_THROTTLE_MINUTES = 15


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def kinds_and_keys() -> list[tuple[str, str]]:
    return [(a.kind, a.key) for a in alerts.alerts_from(live_snapshot())]


def failed_payout(*, failed_at) -> Payout:
    return Payout.objects.create(
        agent=AgentFactory(is_online=False),
        status=Payout.Status.FAILED,
        amount_cents=1500,
        currency="usd",
        destination="acct_test",
        requested_on=timezone.now().date(),
        failed_at=failed_at,
    )


def test_nothing_waiting_and_nothing_failed_is_no_alert():
    AgentFactory()

    assert kinds_and_keys() == []


def test_a_language_whose_oldest_wait_passed_the_target_is_an_alert():
    AgentFactory(languages=["en", "sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=61))
    QueuedTicketFactory(language="en", escalated_at=ago(seconds=50))

    assert kinds_and_keys() == [("wait_over_target", "sv")]


def test_tickets_nobody_online_and_available_can_take_are_an_alert():
    AgentFactory(languages=["en"], skills=["general"])
    AgentFactory(languages=["en"], skills=["fraud"], availability="away")
    QueuedTicketFactory(language="en", required_skills=["fraud"], escalated_at=ago(seconds=40))
    QueuedTicketFactory(language="en", required_skills=["general"], escalated_at=ago(seconds=40))

    assert kinds_and_keys() == [("no_agent", "en:fraud")]


def test_a_need_nobody_can_take_is_no_alert_in_its_first_seconds():
    QueuedTicketFactory(language="de", escalated_at=ago(seconds=5))

    assert kinds_and_keys() == []


def test_a_payout_failed_in_the_last_day_is_an_alert_and_an_older_one_is_not():
    failed_payout(failed_at=ago(days=2))
    assert kinds_and_keys() == []

    failed_payout(failed_at=ago(hours=1))
    assert kinds_and_keys() == [("payout_failed", "payouts")]


def test_the_page_shows_the_alerts_at_the_top_with_their_admin_list(client):
    client.force_login(UserFactory(is_staff=True))
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))

    page = client.get("/ops/").content.decode()

    assert page.index('data-kind="wait_over_target"') < page.index("Waiting now")
    assert "/admin/tickets/ticket/?status__exact=queued&amp;language__exact=sv" in page


def test_staff_with_an_email_are_emailed_the_alerts_once(settings):
    UserFactory(email="ops@example.com", is_staff=True)
    UserFactory(email="agent@example.com")
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))

    sent = alerts.alerts_email()

    assert [(a.kind, a.key) for a in sent] == [
        ("wait_over_target", "sv"),
        ("no_agent", "sv:general"),
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]
    assert "/admin/tickets/ticket/?status__exact=queued&language__exact=sv" in mail.outbox[0].body


def test_an_alert_still_on_is_not_emailed_again_within_the_throttle():
    UserFactory(is_staff=True)
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))
    alerts.alerts_email()

    assert alerts.alerts_email() == []
    assert len(mail.outbox) == 1


def test_a_new_alert_is_emailed_while_another_is_throttled():
    UserFactory(is_staff=True)
    AgentFactory(languages=["sv", "en"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))
    alerts.alerts_email()
    QueuedTicketFactory(language="en", escalated_at=ago(seconds=90))

    sent = alerts.alerts_email()

    assert [(a.kind, a.key) for a in sent] == [("wait_over_target", "en")]
    assert len(mail.outbox) == 2


def test_the_throttle_is_held_in_the_shared_cache_so_another_process_does_not_send_it():
    # Another worker claimed this alert's email a moment ago: its claim is in the cache
    # (Redis in production), which every process reads.
    UserFactory(is_staff=True)
    AgentFactory(languages=["sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))
    assert cache.add("ops:alert-email:wait_over_target:sv", "another worker", 15 * 60)

    assert alerts.alerts_email() == []
    assert mail.outbox == []


def test_the_throttle_lasts_the_configured_minutes(monkeypatch):
    UserFactory(is_staff=True)
    AgentFactory(languages=["sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))
    timeouts = []
    real_add = cache.add
    monkeypatch.setattr(
        cache,
        "add",
        lambda key, value, timeout: timeouts.append(timeout) or real_add(key, value, timeout),
    )

    alerts.alerts_email()

    assert timeouts == [15 * 60]


def test_an_alert_is_emailed_again_once_the_throttle_ran_out():
    UserFactory(is_staff=True)
    AgentFactory(languages=["sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))
    alerts.alerts_email()
    cache.delete("ops:alert-email:wait_over_target:sv")  # what the timeout does

    assert len(alerts.alerts_email()) == 1
    assert len(mail.outbox) == 2


def test_a_failed_send_gives_the_claims_back_so_the_next_run_tries_again(monkeypatch):
    UserFactory(is_staff=True)
    AgentFactory(languages=["sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))

    def refuse(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(alerts, "staff_mail", refuse)
    with pytest.raises(ConnectionError):
        alerts.alerts_email()
    monkeypatch.undo()

    assert len(alerts.alerts_email()) == 1


def test_without_staff_the_alerts_go_to_the_admins(settings):
    settings.ADMINS = [("Ops", "admins@example.com")]
    AgentFactory(languages=["sv"])
    QueuedTicketFactory(language="sv", escalated_at=ago(seconds=90))

    alerts.alerts_email()

    assert mail.outbox[0].to == ["admins@example.com"]


def test_the_task_emails_the_new_alerts_and_says_how_many():
    UserFactory(is_staff=True)
    failed_payout(failed_at=ago(minutes=5))

    assert tasks.alert_staff() == 1
    assert tasks.alert_staff() == 0
