"""What an outage of a backing service looks like from the code: errors that mean PostgreSQL
or Redis cannot be reached right now, as against a bug. Callers answer them with a clear
"unavailable, try again" (HTTP 503, an ``unavailable`` error frame, close code 1013) and
change nothing; a bug is still a bug."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# The database refused, dropped or timed out the connection, or it was closed under us.
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
CACHE_OUTAGES: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
SERVICE_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    *DATABASE_OUTAGES,
    *CACHE_OUTAGES,
    ConnectionError,  # the OSError family: a socket to either refused or reset
    TimeoutError,
)
