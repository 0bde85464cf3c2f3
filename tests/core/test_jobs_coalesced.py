"""A coalesced enqueue: a burst of triggers sends one message while it waits to run, and no
trigger is lost, since the task clears the mark before it reads anything."""

import threading

import pytest
from django.db import transaction

from core import jobs

pytestmark = pytest.mark.django_db

NAME = "tests.coalesced"


@pytest.fixture
def sent(monkeypatch, settings):
    """The messages sent, by task name, instead of sending them (tasks not eager)."""
    messages: list[str] = []

    class Task:
        def delay(self):
            messages.append(NAME)

    monkeypatch.setattr(jobs, "task_named", lambda name: Task())
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return messages


def test_triggers_committed_while_a_message_waits_send_nothing_more(
    sent, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.enqueue_coalesced_on_commit(NAME)

    assert sent == [NAME]


def test_a_trigger_after_the_task_started_sends_the_next_message(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_coalesced_on_commit(NAME)
    jobs.coalesced_task_started(NAME)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_coalesced_on_commit(NAME)

    assert sent == [NAME, NAME]


def test_a_rolled_back_trigger_sends_nothing_and_leaves_no_mark(
    sent, django_capture_on_commit_callbacks
):
    def trigger_then_fail() -> None:
        with transaction.atomic():
            jobs.enqueue_coalesced_on_commit(NAME)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            trigger_then_fail()
        jobs.enqueue_coalesced_on_commit(NAME)

    assert sent == [NAME]


def test_without_the_cache_every_trigger_sends_its_own_message(
    sent, cache_unreachable, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.enqueue_coalesced_on_commit(NAME)
    jobs.coalesced_task_started(NAME)  # does not raise either

    assert sent == [NAME, NAME]


@pytest.fixture
def eager_runs(monkeypatch, settings):
    """Tasks run eagerly, as in the embedded profile; each run waits for ``release`` once
    ``started`` is set, so a test can trigger while one is running."""
    runs: list[int] = []
    started, release = threading.Event(), threading.Event()

    class Task:
        def delay(self):
            runs.append(len(runs))
            started.set()
            assert release.wait(5)

    monkeypatch.setattr(jobs, "task_named", lambda name: Task())
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return runs, started, release


def test_eagerly_triggers_during_a_run_are_folded_into_one_more_run(eager_runs):
    runs, started, release = eager_runs
    first = threading.Thread(target=jobs._run_eagerly_coalesced, args=(NAME,))
    first.start()
    assert started.wait(5)

    jobs._run_eagerly_coalesced(NAME)  # while the first runs: folded, returns at once
    jobs._run_eagerly_coalesced(NAME)
    release.set()
    first.join(5)

    assert runs == [0, 1]  # the first, and one more for both triggers


def test_eagerly_a_trigger_after_a_run_runs_again(eager_runs):
    runs, _, release = eager_runs
    release.set()

    jobs._run_eagerly_coalesced(NAME)
    jobs._run_eagerly_coalesced(NAME)

    assert runs == [0, 1]


def test_eagerly_a_failed_run_does_not_stop_the_next_trigger(monkeypatch):
    calls: list[str] = []

    class Task:
        def delay(self):
            calls.append("run")
            if len(calls) == 1:
                raise RuntimeError("the round failed")

    monkeypatch.setattr(jobs, "task_named", lambda name: Task())
    with pytest.raises(RuntimeError):
        jobs._run_eagerly_coalesced(NAME)
    jobs._run_eagerly_coalesced(NAME)

    assert calls == ["run", "run"]


def test_the_dispatch_task_clears_its_mark_before_it_runs_a_round(
    sent, settings, django_capture_on_commit_callbacks
):
    from tickets import tasks

    settings.ROUTING_MODE = "offer"
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_coalesced_on_commit("tickets.tasks.dispatch_offers")
    tasks.dispatch_offers()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_coalesced_on_commit("tickets.tasks.dispatch_offers")

    assert len(sent) == 2
