"""Errors to Sentry (docs/operations.md, "Logs and errors"): on only with SENTRY_DSN, from
Django views and Celery tasks, and without the customer's words, cookies or keys.

Each case runs the product in a process of its own (the SDK's set-up is global to a
process) against a local HTTP server standing in for Sentry's ingestion endpoint."""

import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from marketplace.error_reporting import scrub

ROOT = Path(__file__).resolve().parents[2]


class FakeSentry:
    """Records the bodies POSTed to /api/<project>/envelope/."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/api/1/envelope/":
                    received.append(body.decode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_port}/1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture(scope="module")
def sentry():
    fake = FakeSentry()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def run_product(code: str, **env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("SENTRY_")
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "marketplace.settings", "SECRET_KEY": "x" * 50, "DEBUG": "0"}
    )
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


# Through the real ASGI application, as uvicorn calls it, with Sentry's middleware on.
FAILING_REQUEST = """
import asyncio, django, sentry_sdk
django.setup()
from channels.testing import HttpCommunicator
from django.test import override_settings
with override_settings(ROOT_URLCONF="tests.foundation.sentry_urls", SECURE_SSL_REDIRECT=False):
    from marketplace.asgi import application
    communicator = HttpCommunicator(
        application,
        "POST",
        "/chat/tokSECRETTOKEN123/fail/?email=query-secret%40example.com",
        body=b"body=body-secret%3A+my+card+is+4242&email=customer%40example.com",
        headers=[
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"cookie", b"sessionid=cookie-secret-123"),
            (b"authorization", b"Bearer auth-secret-456"),
            (b"x-request-id", b"req-sentry-1"),
            (b"user-agent", b"probe-agent/1.0"),
        ],
    )
    response = asyncio.run(communicator.get_response())
    print(response["status"])
sentry_sdk.flush(timeout=10)
"""

FAILING_TASK = """
import django, sentry_sdk
django.setup()
from marketplace.celery import app

@app.task(name="tests.sentry_probe")
def sentry_probe(ticket_id, customer_email):
    raise ValueError("task probe")

try:
    sentry_probe.apply(args=(7, "customer@example.com"))
except ValueError:
    pass  # eager tasks propagate their errors (CELERY_TASK_EAGER_PROPAGATES)
sentry_sdk.flush(timeout=10)
"""

# A chat socket whose connect fails: the guard logs the error (marketplace/websocket_guard.py).
FAILING_SOCKET = """
import asyncio, django, sentry_sdk
django.setup()
from channels.testing import WebsocketCommunicator
from tickets import protocol

def fail(token):
    raise RuntimeError("socket probe")

protocol.ticket_for_token = fail
from marketplace.asgi import application

async def main():
    communicator = WebsocketCommunicator(
        application,
        "/ws/chat/tokSECRETTOKEN123/",
        headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")],
    )
    print(await communicator.connect())
    await communicator.disconnect()

asyncio.run(main())
sentry_sdk.flush(timeout=10)
"""

SECRETS = (
    "cookie-secret-123",
    "auth-secret-456",
    "body-secret",
    "customer@example.com",
    "query-secret",
    "SECRETTOKEN",
)


@pytest.fixture(scope="module")
def view_report(sentry) -> str:
    """What Sentry received from one failing request (a process takes seconds to start)."""
    before = len(sentry.envelopes)
    status = run_product(
        FAILING_REQUEST,
        SENTRY_DSN=sentry.dsn,
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="humanline@1.2.3",
    )
    assert status.strip() == "500"
    return "\n".join(sentry.envelopes[before:])


def test_a_failing_view_is_reported_to_sentry(view_report):
    assert "RuntimeError" in view_report
    assert "sentry probe" in view_report


def test_a_report_carries_the_request_id_as_a_tag(view_report):
    assert '"request_id":"req-sentry-1"' in view_report.replace(" ", "")


def test_a_report_names_the_request_with_its_conversation_token_hidden(view_report):
    reported = view_report.replace(" ", "")
    assert '"method":"POST"' in reported
    assert '"url":"http://testserver/chat/[token]/fail/"' in reported
    assert '"user-agent":"probe-agent/1.0"' in reported


def test_a_report_carries_no_body_cookie_secret_header_local_variable_or_token(view_report):
    assert [secret for secret in SECRETS if secret in view_report] == []


def test_the_environment_and_release_come_from_the_variables(view_report):
    reported = view_report.replace(" ", "")
    assert '"environment":"staging"' in reported
    assert '"release":"humanline@1.2.3"' in reported


def test_a_failing_celery_task_is_reported_to_sentry(sentry):
    before = len(sentry.envelopes)

    run_product(FAILING_TASK, SENTRY_DSN=sentry.dsn)

    reported = "\n".join(sentry.envelopes[before:])
    assert "ValueError" in reported
    assert "task probe" in reported
    assert "customer@example.com" not in reported


def test_a_failing_websocket_is_reported_to_sentry_without_its_token(sentry):
    before = len(sentry.envelopes)

    run_product(FAILING_SOCKET, SENTRY_DSN=sentry.dsn)

    reported = "\n".join(sentry.envelopes[before:])
    assert "socket probe" in reported
    assert "/ws/chat/[token]/" in reported
    assert "SECRETTOKEN" not in reported


def test_a_celery_worker_starts_sentry_too(sentry):
    # A worker loads the settings through the Celery app (celery -A marketplace), not
    # through django.setup() called by us.
    code = (
        "from marketplace.celery import app; app.loader.import_default_modules(); "
        "import sentry_sdk; from sentry_sdk.integrations.celery import CeleryIntegration; "
        "print(sentry_sdk.get_client().get_integration(CeleryIntegration) is not None)"
    )

    assert run_product(code, SENTRY_DSN=sentry.dsn).strip() == "True"


def test_without_a_dsn_sentry_is_neither_imported_nor_started():
    code = (
        "import sys, django; django.setup(); import marketplace.asgi; "
        "print('sentry_sdk' in sys.modules)"
    )

    assert run_product(code).strip() == "False"


def test_without_a_dsn_the_asgi_application_is_not_wrapped():
    code = (
        "import django; django.setup(); from marketplace.asgi import application; "
        "print(type(application).__name__)"
    )

    assert run_product(code).strip() == "ProtocolTypeRouter"


def test_with_a_dsn_the_asgi_application_is_wrapped_for_websocket_errors(sentry):
    code = (
        "import django; django.setup(); from marketplace.asgi import application; "
        "print(type(application).__name__)"
    )

    assert run_product(code, SENTRY_DSN=sentry.dsn).strip() == "SentryAsgiMiddleware"


def test_scrub_hides_conversation_tokens_in_a_logged_error_and_its_breadcrumbs():
    event = {
        "logentry": {
            "message": "websocket %s failed",
            "params": ["/ws/chat/tokABC123/"],
            "formatted": "websocket /ws/chat/tokABC123/ failed",
        },
        "breadcrumbs": {"values": [{"message": "GET /api/v1/conversations/tokABC123/messages/"}]},
    }

    scrubbed = scrub(event, {})

    assert "tokABC123" not in repr(scrubbed)
    assert scrubbed["logentry"]["formatted"] == "websocket /ws/chat/[token]/ failed"


def test_scrub_drops_request_bodies_cookies_and_credentials():
    event = {
        "request": {
            "url": "https://humanline.example/portal/",
            "data": {"body": "hello"},
            "cookies": {"sessionid": "s"},
            "query_string": "email=a@b.c",
            "headers": {"Cookie": "s", "Authorization": "t", "X-CSRFToken": "c", "Accept": "*/*"},
        }
    }

    request = scrub(event, {})["request"]

    assert request == {"url": "https://humanline.example/portal/", "headers": {"Accept": "*/*"}}
