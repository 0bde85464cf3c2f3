"""Which pages may open the product's websockets: the same origin, or a trusted one.

A browser lets any page open a websocket to any site, sending the site's cookies and an
``Origin`` header naming the page; the handshake is the only place to refuse a foreign
page (cross-site websocket hijacking of an agent's session). Channels'
``AllowedHostsOriginValidator`` compares only the host name with ``ALLOWED_HOSTS``, so
``http://127.0.0.1:9999`` — any other program on the host, or plain HTTP beside HTTPS —
passed. Here an origin is the triple the browser means by it, scheme, host and port:

* the origin the client connected to: the scheme of the connection (``ws`` → http,
  ``wss`` → https; behind a TLS-terminating proxy, https when ``SECURE_PROXY_SSL_HEADER``
  says so, exactly as ``HttpRequest.is_secure`` reads it), host and port from the ``Host``
  header, whose host must be in ``ALLOWED_HOSTS``; or
* an entry of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` covers subdomains, as
  for CSRF): the sites already trusted to post forms to us.

The chat widget (static/tickets/embed.js) frames our own /chat/ page, so its socket's
origin is ours, whatever site hosts the widget.

A handshake without ``Origin`` comes from a program, not a browser page. It is refused
unless ``ALLOWED_HOSTS`` contains ``"*"`` — what Channels' validator did, kept as it was.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an ``Origin`` header or a configured origin; None if it is
    not an http(s) origin (``null`` from a sandboxed frame, a file: page)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value.decode("latin1")
    return None


def _connection_is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    # As django.http.HttpRequest.is_secure: the proxy's header, if the operator named one.
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    meta_name, secure_value = proxy_header
    if not meta_name.startswith("HTTP_"):
        return False
    header_name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
    value = _header(scope, header_name)
    return value is not None and value.split(",", 1)[0].strip() == secure_value


def _allowed_hosts() -> list[str]:
    # As django.http.HttpRequest.get_host.
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        return [".localhost", "127.0.0.1", "[::1]"]
    return allowed


def connection_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin the client connected to, or None without a Host in ALLOWED_HOSTS."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    scheme = "https" if _connection_is_secure(scope) else "http"
    return parse_origin(f"{scheme}://{host}")


def _trusted(origin: Origin) -> bool:
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = parse_origin(entry.replace("://*.", "://", 1) if wildcard else entry)
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if host == trusted[1] or (wildcard and is_same_domain(host, "." + trusted[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    value = _header(scope, b"origin")
    if value is None:
        return "*" in settings.ALLOWED_HOSTS
    origin = parse_origin(value)
    if origin is None:
        return False
    return origin == connection_origin(scope) or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: refuse the handshake (HTTP 403) unless ``origin_allowed``."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
