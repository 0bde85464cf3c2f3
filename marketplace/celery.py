import inspect
import logging
import os
from contextvars import Token
from typing import Any

from celery import Celery, signals

from core import log_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _name_redbeat_settings_plainly(sender: Celery, source: Any, **kwargs: Any) -> None:
    """celery-redbeat reads its settings under the CELERY_ namespace, but warns at every start
    that it falls back to the broker's unless it also sees them under their bare names."""
    for name in ("redbeat_redis_url", "redbeat_redis_options"):
        value = source.get(name)
        if value is not None:
            source[name] = value


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log as the web processes do (settings.LOGGING: JSON, with the log
    context) rather than with Celery's own handler, which it installs unless someone
    answers this signal. The command line's --loglevel still sets the level (the Procfile
    passes LOG_LEVEL)."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    if kwargs.get("loglevel"):
        logging.getLogger().setLevel(kwargs["loglevel"])


# The log context each running task bound, by task id, to put back what was there before
# when it ends: an eager task runs inside the request that enqueued it, whose request id
# must outlive the task.
_task_log_tokens: dict[str, Token] = {}


def _task_ids(task: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    """ticket_id and agent_id from a task's arguments, by name (tasks are called with
    positional ids: core.jobs.enqueue)."""
    try:
        arguments = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return {}
    return {
        name: arguments.arguments[name]
        for name in ("ticket_id", "agent_id")
        if isinstance(arguments.arguments.get(name), int)
    }


@signals.task_prerun.connect
def bind_task_log_context(
    *, task_id: str, task: Any, args: Any = None, kwargs: Any = None, **_: Any
) -> None:
    _task_log_tokens[task_id] = log_context.bind(
        task_id=task_id, task_name=task.name, **_task_ids(task, args, kwargs)
    )


@signals.task_postrun.connect
def reset_task_log_context(*, task_id: str, **_: Any) -> None:
    token = _task_log_tokens.pop(task_id, None)
    if token is not None:
        try:
            log_context.reset(token)
        except ValueError:
            # Bound in another context (a pool that ran prerun elsewhere): start afresh.
            log_context.clear()
