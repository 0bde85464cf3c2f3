"""The client's address (core.client_address): X-Forwarded-For believed from trusted
proxies only, read from the right."""

import pytest

from core.client_address import address_block, client_address

PROXIES = ["10.0.0.0/8", "192.0.2.10"]

# (what it shows, trusted proxies, REMOTE_ADDR, X-Forwarded-For or None, the address)
CASES = [
    ("no proxy trusted: the peer", [], "203.0.113.7", None, "203.0.113.7"),
    ("no proxy trusted: a header is ignored", [], "203.0.113.7", "198.51.100.1", "203.0.113.7"),
    ("an untrusted peer's header is ignored", PROXIES, "203.0.113.7", "1.2.3.4", "203.0.113.7"),
    ("a trusted proxy's client", PROXIES, "10.0.0.5", "198.51.100.1", "198.51.100.1"),
    ("a proxy named by address", PROXIES, "192.0.2.10", "198.51.100.1", "198.51.100.1"),
    (
        "what the client wrote left of it is not believed",
        PROXIES,
        "10.0.0.5",
        "1.1.1.1, 2.2.2.2, 198.51.100.1",
        "198.51.100.1",
    ),
    (
        "our proxies' hops are skipped",
        PROXIES,
        "10.0.0.5",
        "1.1.1.1, 198.51.100.1, 10.0.0.9, 10.1.2.3",
        "198.51.100.1",
    ),
    ("a trusted proxy without a header", PROXIES, "10.0.0.5", None, "10.0.0.5"),
    ("an empty header", PROXIES, "10.0.0.5", "", "10.0.0.5"),
    ("only our proxies: the furthest", PROXIES, "10.0.0.5", "10.0.0.7, 10.0.0.6", "10.0.0.7"),
    (
        "a malformed hop stops the walk at the proxy that forwarded it",
        PROXIES,
        "10.0.0.5",
        "198.51.100.1, unknown, 10.0.0.6",
        "10.0.0.6",
    ),
    ("a malformed rightmost hop", PROXIES, "10.0.0.5", "1.1.1.1, not-an-ip", "10.0.0.5"),
    ("a port is dropped", PROXIES, "10.0.0.5", "198.51.100.1:4711", "198.51.100.1"),
    ("an IPv6 hop", PROXIES, "10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ("a bracketed IPv6 hop with a port", PROXIES, "10.0.0.5", "[2001:db8::1]:80", "2001:db8::1"),
    ("an IPv4-mapped peer is IPv4", [], "::ffff:203.0.113.7", None, "203.0.113.7"),
    ("spaces around entries", PROXIES, "10.0.0.5", "  198.51.100.1 ,10.0.0.6 ", "198.51.100.1"),
    ("no peer at all (a Unix socket)", PROXIES, "", "198.51.100.1", "unknown"),
    ("a peer that is not an address", [], "not-an-ip", None, "unknown"),
]


@pytest.mark.parametrize(
    ("trusted", "remote_addr", "forwarded_for", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_client_address_is_read_from_trusted_proxies_only(
    settings, trusted, remote_addr, forwarded_for, expected
):
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for

    assert client_address(meta) == expected


def test_it_takes_a_request_as_well_as_its_meta(rf, settings):
    settings.TRUSTED_PROXIES = PROXIES
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert client_address(request) == "198.51.100.1"


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("unknown", "unknown"),
    ],
)
def test_an_ipv6_address_counts_as_its_slash_64(address, block):
    assert address_block(address) == block
