"""What a log line knows about the work it was written for: the request (or websocket
connection), the ticket, the agent, the Celery task.

One context variable holds these fields. asyncio tasks copy it when they are created and
asgiref copies it into (and back out of) the threads of ``sync_to_async`` and
``database_sync_to_async``, so a field bound at the edge — by the request id middleware, in
a consumer's ``connect``, when a Celery task starts (marketplace/request_id.py,
marketplace/celery.py) — reaches every record logged on that work's behalf, from sync and
async code alike. ``ContextFilter`` copies the fields onto each record at the handler, so
every ``logging.getLogger(__name__)`` in the project and its libraries is covered without
changing a call; the formatters write them (JSON in production, text in development).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

# The fields, in the order the text format writes them.
FIELDS = ("request_id", "ticket_id", "agent_id", "task_id", "task_name")

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})
# An immutable mapping, replaced (never changed in place) by bind: a context copied into a
# task or a thread must not see fields bound later elsewhere.
_fields: ContextVar[MappingProxyType[str, Any]] = ContextVar("log_context", default=_EMPTY)

# What an incoming X-Request-ID may be to be kept: a proxy's or a client's id is useful to
# follow a request across systems, but the header is whatever the client sent, and a log
# line is no place for a newline, a JSON-breaking quote or a kilobyte of text.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(header: str | None) -> str:
    """The incoming id if it is a sane token, otherwise a new one (32 hex digits)."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current() -> dict[str, Any]:
    """The fields bound in this context."""
    return dict(_fields.get())


def bind(
    *,
    request_id: str | None = None,
    ticket_id: int | None = None,
    agent_id: int | None = None,
    task_id: str | None = None,
    task_name: str | None = None,
) -> Token:
    """Add fields to this context (None leaves a field as it was); ``reset`` with the token
    puts back what was bound before."""
    given = {
        "request_id": request_id,
        "ticket_id": ticket_id,
        "agent_id": agent_id,
        "task_id": task_id,
        "task_name": task_name,
    }
    merged = {**_fields.get(), **{key: value for key, value in given.items() if value is not None}}
    return _fields.set(MappingProxyType(merged))


def reset(token: Token) -> None:
    _fields.reset(token)


def clear() -> Token:
    """Start from no fields (a timer serving many sockets must not carry the first one's)."""
    return _fields.set(_EMPTY)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        reset(token)


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record; on the handler, so that records from
    every logger (the project's and the libraries') pass through it. A field given in a
    call's ``extra`` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _fields.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        # Django logs a 4xx answer ("Not Found: /x") after the middleware has returned, when
        # the id is no longer bound; the record carries the request, and the request its id.
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class JsonFormatter(LibraryJsonFormatter):
    """One JSON object a line: timestamp (ISO 8601, UTC), level, logger, message, the
    context's fields where bound, any ``extra`` given, and exc_info as one string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        # uvicorn's copy of its message with terminal colour codes.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "color_message"])
        super().__init__(**kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        # The timestamp first, where a reader (and `sort`) looks for it.
        timestamp = log_data.pop("timestamp")
        items = list(log_data.items())
        log_data.clear()
        log_data["timestamp"] = timestamp
        log_data.update(items)


class TextFormatter(logging.Formatter):
    """The development format: a plain line, with the context's fields after the message."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        super().__init__(**kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in FIELDS if hasattr(record, key)
        )
        return f"{line} [{context}]" if context else line
