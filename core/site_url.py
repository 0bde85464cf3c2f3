"""The scheme, host and port that absolute links (in emails) start with.

A link made while answering a request points where that request came in: the host is one
Django accepted (ALLOWED_HOSTS) and the scheme the one it believes (SECURE_PROXY_SSL_HEADER),
so a server on another port or behind a proxy mails links that work. Work without a request
(a periodic job, a management command) uses SITE_URL, which defaults from HOST and PORT.
"""

from django.conf import settings
from django.http import HttpRequest


def site_url(request: HttpRequest | None = None) -> str:
    """``http://host:port`` without a trailing slash."""
    if request is None:
        return settings.SITE_URL
    return request.build_absolute_uri("/").rstrip("/")


def site_url_or_default(value: str | None) -> str:
    """A site URL handed to a task, or SITE_URL for messages enqueued without one."""
    return (value or settings.SITE_URL).rstrip("/")
