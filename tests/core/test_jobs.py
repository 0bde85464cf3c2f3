"""Enqueueing by task name (core.jobs): the names are the contract with queued messages."""

import pytest
from django.conf import settings
from django.db import transaction

from core import jobs
from marketplace.celery import app

pytestmark = pytest.mark.django_db

# Tasks that moved between apps keep the names they were queued under before the move.
NAMES_QUEUED_BEFORE_THE_LAYOUT_MOVE = [
    "agents.tasks.send_verification_email",
    "agents.tasks.send_status_email",
    "agents.tasks.plan_and_match_shifts",
    "agents.tasks.offer_slot_to_others",
    "agents.tasks.expire_shift_offers",
    "agents.tasks.sweep_shift_no_shows",
    "agents.tasks.complete_ended_shifts",
    "agents.tasks.check_surge",
    "agents.tasks.send_shift_offers_email",
    "agents.tasks.send_surge_offers",
    "tickets.tasks.assistant_reply",
    "tickets.tasks.deliver_resolved_ticket_webhook",
    "payouts.tasks.send_payout",
]


@pytest.mark.parametrize("name", NAMES_QUEUED_BEFORE_THE_LAYOUT_MOVE)
def test_a_task_name_queued_before_the_move_still_finds_its_task(name):
    assert jobs.task_named(name).name == name


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_periodic_job_names_a_registered_task(entry):
    name = settings.CELERY_BEAT_SCHEDULE[entry]["task"]

    assert jobs.task_named(name).name == name


def test_a_name_no_task_has_is_refused_loudly():
    with pytest.raises(KeyError):
        jobs.task_named("tickets.tasks.no_such_task")


def test_enqueue_on_commit_sends_nothing_when_the_transaction_rolls_back(monkeypatch):
    sent = []
    monkeypatch.setattr(app.tasks["payouts.tasks.send_payout"], "delay", sent.append)

    def change_that_fails() -> None:
        with transaction.atomic():
            jobs.enqueue_on_commit("payouts.tasks.send_payout", 7)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert sent == []


def test_enqueue_on_commit_sends_once_the_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(app.tasks["payouts.tasks.send_payout"], "delay", sent.append)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        jobs.enqueue_on_commit("payouts.tasks.send_payout", 7)
        assert sent == []

    assert sent == [7]


def test_a_failed_enqueue_does_not_fail_the_committed_change(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(app.tasks["payouts.tasks.send_payout"], "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        jobs.enqueue_on_commit("payouts.tasks.send_payout", 7)
