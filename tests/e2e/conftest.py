"""Browser tests: Playwright for Python driving Debian's Chromium against a running server.

The browser is never downloaded: `bin/ensure-chromium` (run by `make test` and CI) installs
the distribution's package. Without it the browser tests are skipped, except in CI, where
a missing browser fails the run.
"""

import os
import shutil

import pytest
from django.conf import global_settings

from tests.factories import load_demo_help_centre
from tests.servers import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed: run bin/ensure-chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop running on the test's thread, which makes
    # Django refuse ORM calls there; the test itself is plain synchronous code, so allow
    # them for the test only (tests.servers keeps the flag out of the servers it starts).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def live_server_url(transactional_db, settings):
    """A uvicorn process of the product on the test database (embedded or production)."""
    # Users made in the test must log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with running_server() as base:
        yield base


@pytest.fixture
def chromium():
    # Per test, not per session: Playwright's sync API runs an event loop on this thread
    # while it is open, and the async tests pytest-django orders after this one need it gone.
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is required for browser tests (bin/ensure-chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(chromium):
    """Open isolated browser contexts (one per person); all are closed after the test."""
    contexts = []

    def open_context(**kwargs):
        context = chromium.new_context(**kwargs)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def chat_server(transactional_db, settings, assistant_warm):
    """A server process with the demo help centre, its vectors stored (it answers at once).

    Tasks run in the server process, as the embedded profile runs them; the agents of these
    tests are sockets that claim from the open queue (pick routing); the customer's side of
    an offer is in test_portal_offers.py."""
    # Users made in the test log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    load_demo_help_centre()
    with running_server(CELERY_TASK_ALWAYS_EAGER="1", ROUTING_MODE="pick") as base:
        yield base


@pytest.fixture
def portal_server(transactional_db, settings):
    """A server process for agents in the portal, with no worker beside it: the jobs a claim
    or resolve enqueues run in the server process. Pick routing: these agents take tickets
    from the open queue (test_portal_offers.py has the offer card)."""
    # Users made in the test log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with running_server(CELERY_TASK_ALWAYS_EAGER="1", ROUTING_MODE="pick") as base:
        yield base
