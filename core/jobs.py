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

from smtplib import SMTPException
from typing import Any

from celery import current_app
from celery.app.task import Task
from django.db import transaction

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
