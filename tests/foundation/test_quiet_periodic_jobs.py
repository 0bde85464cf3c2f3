"""Periodic jobs that found nothing to do write no INFO lines; the rest of the log is kept."""

import logging

import pytest
from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS

from marketplace.log_filters import QuietIdlePeriodicJobs

PERIODIC = "tickets.tasks.dispatch_offers"
ON_DEMAND = "tickets.tasks.assistant_reply"


def record(logger: str, message: str, args, level: int = logging.INFO) -> logging.LogRecord:
    made = logging.LogRecord(logger, level, __file__, 1, message, None, None)
    made.args = args  # as logging does for a single mapping argument
    return made


def succeeded(name: str, return_value: str) -> logging.LogRecord:
    details = {"id": "abc", "name": name, "return_value": return_value, "runtime": 0.01}
    return record("celery.app.trace", LOG_SUCCESS, details)


def received(name: str) -> logging.LogRecord:
    return record("celery.worker.strategy", LOG_RECEIVED, {"id": "abc", "name": name})


def kept(line: logging.LogRecord) -> bool:
    return QuietIdlePeriodicJobs().filter(line)


@pytest.mark.parametrize("nothing", ["0", "None", "[]"])
def test_a_periodic_job_that_did_nothing_logs_no_success_line(nothing):
    assert not kept(succeeded(PERIODIC, nothing))


def test_a_periodic_job_that_did_something_logs_its_success():
    assert kept(succeeded(PERIODIC, "3"))


def test_a_periodic_job_being_received_or_sent_by_beat_logs_nothing():
    sending = logging.LogRecord(
        "celery.beat",
        logging.INFO,
        __file__,
        1,
        "Scheduler: Sending due task %s (%s)",
        ("dispatch-offers", PERIODIC),
        None,
    )

    assert not kept(received(PERIODIC))
    assert not kept(sending)


def test_a_task_run_on_demand_is_logged_whatever_it_returned():
    assert kept(received(ON_DEMAND))
    assert kept(succeeded(ON_DEMAND, "None"))


def test_a_periodic_job_warning_is_kept():
    warning = record("celery.app.trace", "Task %(name)s failed", {"name": PERIODIC}, logging.ERROR)

    assert kept(warning)


def test_log_periodic_jobs_keeps_every_line(settings):
    settings.LOG_PERIODIC_JOBS = True

    assert kept(succeeded(PERIODIC, "0"))
    assert kept(received(PERIODIC))
