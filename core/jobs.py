"""Enqueueing Celery work by task name, so a service never imports a tasks module.

A tasks module imports its app's services; were services to import tasks back, every app
would hold an import circle with itself, and an app below would have to import the tasks
of an app above to start its work. By name, the service states what it wants done and the
task's home stays free to move (its ``name=`` is the contract with messages already
queued).

In the embedded profile tasks run eagerly (``CELERY_TASK_ALWAYS_EAGER``), which
``send_task`` would ignore: the task is looked up in the app's registry and called with
``delay`` so both profiles behave alike.
"""

from __future__ import annotations

import contextlib
import threading
from smtplib import SMTPException
from typing import Any

from celery import current_app
from celery.app.task import Task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.outages import CACHE_OUTAGES

# Mail goes out at least once (acks_late): a worker lost after sending may send it again,
# the better failure for a verification link or a shift offer than never sending it.
MAIL_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}
# At-least-once delivery for work that checks what is already done before doing it.
AT_LEAST_ONCE: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}


def task_named(name: str) -> Task:
    """The registered task called ``name``, importing every app's tasks module if needed
    (what a worker does when it starts)."""
    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()
    return tasks[name]


def enqueue(name: str, *args: Any) -> None:
    """Enqueue now: for callers already past their commit (a task, an after-commit hook)."""
    task_named(name).delay(*args)


def enqueue_on_commit(name: str, *args: Any) -> None:
    """Enqueue once the surrounding transaction commits; never, if it rolls back.

    Robust: a failed enqueue (the broker unreachable) is logged and does not fail the
    caller, whose change is committed by then and stands. Work that must not be lost this
    way (payouts, webhooks to companies) also has a periodic sweep that finds it undone.
    """
    transaction.on_commit(lambda: task_named(name).delay(*args), robust=True)


# How long a coalesced task's "already queued" mark holds if its message never runs (a lost
# message): further triggers are folded into it for at most this long, then enqueue again.
COALESCE_MARK_SECONDS = 5


def _coalesce_key(name: str) -> str:
    return f"jobs:queued:{name}"


def enqueue_coalesced_on_commit(name: str) -> None:
    """Like ``enqueue_on_commit`` for a task without arguments that looks at the whole state
    (a dispatch round), but a burst of triggers sends one message, not one each: while one
    waits to run, the others are folded into it.

    Nothing is lost: the task calls ``coalesced_task_started(name)`` before it reads anything,
    so a trigger that committed before that is seen by it, and one that commits after finds
    no mark and sends the next message. The mark is in the shared cache; without the cache
    every trigger sends its own message, as ``enqueue_on_commit`` does.

    Where tasks run eagerly (the embedded profile: one process), the task runs in the
    triggering thread, so the cache's mark is gone before the next trigger; the folding is done
    in the process instead (``_run_eagerly_coalesced``).
    """

    def send() -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            _run_eagerly_coalesced(name)
            return
        try:
            first = cache.add(_coalesce_key(name), 1, timeout=COALESCE_MARK_SECONDS)
        except CACHE_OUTAGES:
            first = True
        if first:
            task_named(name).delay()

    transaction.on_commit(send, robust=True)


_eager_lock = threading.Lock()
_eager_running: set[str] = set()
_eager_again: set[str] = set()


def _run_eagerly_coalesced(name: str) -> None:
    """Run the task here unless another thread of this process is running it; then it runs
    once more when done instead, and sees this trigger's commit (made before this call).
    Rounds that would otherwise run side by side on SQLite's one writer queue behind it."""
    with _eager_lock:
        if name in _eager_running:
            _eager_again.add(name)
            return
        _eager_running.add(name)
    try:
        while True:
            with _eager_lock:
                _eager_again.discard(name)
            task_named(name).delay()
            with _eager_lock:
                if name not in _eager_again:
                    _eager_running.discard(name)
                    return
    except BaseException:
        # A trigger folded into the failed run is left to the task's periodic sweep.
        with _eager_lock:
            _eager_running.discard(name)
            _eager_again.discard(name)
        raise


def coalesced_task_started(name: str) -> None:
    """Called first by a task enqueued with ``enqueue_coalesced_on_commit``: triggers from now
    on send a new message."""
    with contextlib.suppress(*CACHE_OUTAGES):
        cache.delete(_coalesce_key(name))
