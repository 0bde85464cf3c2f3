"""Periodic jobs that found nothing to do stay out of the log.

Beat sends a dozen jobs, some every second; at INFO Celery wrote three lines for each run
(sent, received, succeeded): about 1,300 lines in 40 minutes of an idle instance, burying the
lines that matter. This filter, on the console handler, drops those three INFO lines for a
task in CELERY_BEAT_SCHEDULE whose run returned nothing (0, None or empty). A periodic run
that did something (offers made, tickets requeued, payouts sent) is still logged when it
succeeds, and every warning and error is kept. LOG_PERIODIC_JOBS=1 keeps them all.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings

# Celery logs a task's return value as its repr (celery.app.trace, LOG_SUCCESS).
NOTHING_DONE = frozenset({"0", "None", "[]", "{}", "()", "set()", "''", "False"})


@functools.cache
def periodic_task_names() -> frozenset[str]:
    return frozenset(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


class QuietIdlePeriodicJobs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or settings.LOG_PERIODIC_JOBS:
            return True
        if record.name == "celery.beat":
            return not record.getMessage().startswith("Scheduler: Sending due task")
        if record.name not in ("celery.app.trace", "celery.worker.strategy"):
            return True
        details = record.args if isinstance(record.args, dict) else {}
        if details.get("name") not in periodic_task_names():
            return True
        if record.name == "celery.worker.strategy":  # "received": the outcome is not known
            return False
        return str(details.get("return_value")) not in NOTHING_DONE
