"""The address a request came from, as the throttles count it.

``REMOTE_ADDR`` is the peer that opened the connection. Behind a load balancer that is the
balancer, and the client is in ``X-Forwarded-For`` — but that header is whatever the client
sent, with each proxy on the way appending the address it received the request from. Only
the entries our own proxies appended can be believed, and they are at the right-hand end.
So the header is read only when the peer is one of ``settings.TRUSTED_PROXIES``, from the
right, skipping our proxies' own addresses; the first address that is not ours is the
client. Anything further left was written by the client and is never used.

With ``TRUSTED_PROXIES`` empty (the default) the header is ignored and the peer is the
client. The ASGI server must not rewrite the peer from the header on its own (uvicorn does
for 127.0.0.1 unless started with ``--no-proxy-headers``; bin/run, the Procfile, the test
servers and the bench all pass it), or a client on the same host could choose its address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # marketplace/settings.py has already refused a malformed entry at startup.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def parse_address(value: str) -> IPAddress | None:
    """An address from a header or the peer, or None if it is not one.

    Some proxies write a port (``203.0.113.7:4711``, ``[2001:db8::1]:4711``); it is dropped.
    An IPv4 address written in IPv6 form (``::ffff:203.0.113.7``, as a dual-stack socket
    reports it) is the IPv4 address, so one client has one spelling.
    """
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request_or_meta: Any) -> str:
    """The client's address for an ``HttpRequest`` (or its ``META``), as a string.

    The peer, unless it is a trusted proxy; then the first address in ``X-Forwarded-For``,
    read from the right, that is not a trusted proxy. A malformed entry stops the walk at
    the proxy that forwarded it: everything left of it came through a hop we cannot name,
    so the nearest trusted proxy stands for the client rather than a value the client may
    have written. ``"unknown"`` when the server gave no usable peer (a Unix socket).
    """
    meta: Mapping[str, str] = getattr(request_or_meta, "META", request_or_meta)
    peer = parse_address(meta.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return UNKNOWN
    networks = trusted_proxy_networks()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    nearest = peer
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "") or ""
    for entry in reversed(forwarded.split(",")):
        hop = parse_address(entry)
        if hop is None:
            break
        if not _is_trusted(hop, networks):
            return str(hop)
        nearest = hop
    return str(nearest)


def address_block(address: str) -> str:
    """What one subscriber holds, for counting: an IPv4 address, or an IPv6 address's /64.

    A home or mobile line is given a whole IPv6 /64, so a limit per IPv6 address would let
    one client rotate through 2^64 of them.
    """
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address
