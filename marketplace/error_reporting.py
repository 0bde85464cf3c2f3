"""Errors to Sentry (docs/operations.md), switched on by SENTRY_DSN in settings.

Customers' details must not leave: a report carries the exception, the stack (without local
variables, which hold message bodies and addresses), the request's method, URL and harmless
headers, and the log context (request, ticket, agent, task ids) as tags. It never carries
a request body, cookies, the query string, Authorization or CSRF headers, or a conversation
token (the customer's key to a chat, which sits in some URLs). ``send_default_pii=False``
already keeps out users, IP addresses and most sensitive headers; ``scrub`` makes sure of
the rest whatever an integration adds.

sentry_sdk is imported only inside these functions, so with SENTRY_DSN unset nothing of it
is loaded.
"""

from __future__ import annotations

import re
from typing import Any

from core import log_context

# The path segment after /chat/ or /conversations/ is a conversation token
# (tickets.models.CONVERSATION_TOKEN_PATTERN): /ws/chat/<token>/, /chat/<token>/transcript.txt,
# /api/v1/conversations/<token>/messages/.
_TOKEN_IN_PATH = re.compile(r"(/(?:chat|conversations)/)[A-Za-z0-9_-]{1,64}")
_DROPPED_REQUEST_KEYS = ("data", "cookies", "query_string")
_DROPPED_HEADERS = frozenset(
    {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-csrftoken"}
)


def _hide_tokens(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


def _hide_tokens_in_logentry(logentry: Any) -> None:
    if not isinstance(logentry, dict):
        return
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = _hide_tokens(logentry[key])
    if isinstance(logentry.get("params"), list):
        logentry["params"] = [
            _hide_tokens(param) if isinstance(param, str) else param for param in logentry["params"]
        ]


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send``: drop what could carry a customer's words or keys; add the log
    context's ids as tags, to find the report's log lines."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in _DROPPED_REQUEST_KEYS:
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in _DROPPED_HEADERS
            }
        if isinstance(request.get("url"), str):
            request["url"] = _hide_tokens(request["url"])
    if isinstance(event.get("transaction"), str):
        event["transaction"] = _hide_tokens(event["transaction"])
    # Log lines name websocket paths ("websocket /ws/chat/<token>/ failed"): an error logged
    # becomes the report's logentry, earlier lines its breadcrumbs.
    _hide_tokens_in_logentry(event.get("logentry"))
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for breadcrumb in values if isinstance(values, list) else ():
        if isinstance(breadcrumb, dict) and isinstance(breadcrumb.get("message"), str):
            breadcrumb["message"] = _hide_tokens(breadcrumb["message"])
    context = log_context.current()
    if context:
        tags = event.get("tags")
        if not isinstance(tags, dict):
            tags = event["tags"] = {}
        tags.update({key: str(value) for key, value in context.items()})
    return event


def start(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    # Imported here, not at the top: with SENTRY_DSN unset this module is never imported, and
    # neither is the SDK.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub,
        before_send_transaction=scrub,
    )


def wrap_asgi(application: Any) -> Any:
    """The whole ASGI application in Sentry's middleware, so websocket errors that escape
    the stack are reported too (Django's HTTP handler is covered by DjangoIntegration)."""
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

    return SentryAsgiMiddleware(application)
