"""Structured logs (docs/operations.md, "Logs and errors"): one JSON object a line, with
the request id and, where known, the ticket, the agent and the Celery task."""

import io
import json
import logging
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from uvicorn.protocols.utils import ClientDisconnected

from core import log_context
from marketplace.celery import app as celery_app
from marketplace.request_id import WebsocketRequestId
from marketplace.websocket_guard import WebsocketGuard
from tests.factories import AgentFactory, TicketFactory
from tests.servers import run_django_probe
from tests.tickets.wsclient import open_agent, open_customer
from tickets import protocol

ROOT = Path(__file__).resolve().parents[2]
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    """The JSON lines the root logger writes while the test runs, as the production handler
    writes them (settings.LOGGING: the context filter on the handler, the JSON formatter)."""
    # Importing the tasks modules the first time runs django.setup() again (Celery's Django
    # fixup), which configures logging afresh and would drop this handler mid-test.
    celery_app.loader.import_default_modules()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(log_context.ContextFilter())
    handler.setFormatter(log_context.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines_of(lines: list[dict], logger: str) -> list[dict]:
    return [line for line in lines if line["logger"] == logger]


@celery_app.task(name="tests.foundation.test_logging.log_context_probe")
def log_context_probe(ticket_id: int, note: str = "") -> dict:
    return log_context.current()


@celery_app.task(name="tests.foundation.test_logging.failing_probe")
def failing_probe(agent_id: int) -> None:
    raise ValueError("probe")


# --- The line -----------------------------------------------------------------------------


def test_a_json_line_has_a_utc_timestamp_level_logger_and_message(log_lines):
    logging.getLogger("tickets.probe").warning("queue is %s", "long")

    [line] = lines_of(log_lines(), "tickets.probe")
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]
    assert (line["level"], line["message"]) == ("WARNING", "queue is long")
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() == UTC.utcoffset(None)


def test_a_json_line_carries_the_bound_request_ticket_and_agent_ids(log_lines):
    with log_context.bound(request_id="r-1", ticket_id=7, agent_id=3):
        logging.getLogger("tickets.probe").info("claimed")

    [line] = lines_of(log_lines(), "tickets.probe")
    assert (line["request_id"], line["ticket_id"], line["agent_id"]) == ("r-1", 7, 3)


def test_a_json_line_leaves_out_ids_that_are_not_bound(log_lines):
    logging.getLogger("tickets.probe").info("no context")

    [line] = lines_of(log_lines(), "tickets.probe")
    assert not {"request_id", "ticket_id", "agent_id", "task_id", "task_name"} & set(line)


def test_an_exception_is_written_as_one_string_in_the_line(log_lines):
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        logging.getLogger("tickets.probe").exception("it failed")

    [line] = lines_of(log_lines(), "tickets.probe")
    assert isinstance(line["exc_info"], str)
    assert "Traceback" in line["exc_info"]
    assert "ZeroDivisionError: division by zero" in line["exc_info"]


# --- HTTP requests ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_response_carries_a_generated_request_id(client):
    response = client.get("/healthz")

    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.django_db
def test_two_requests_get_different_ids(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert first != second


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a.9_Z"})

    assert response.headers["X-Request-ID"] == "lb-4f2a.9_Z"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "has space", "line\nbreak", 'say "hi"', "{json}", "ünïcode"],
    ids=["too-long", "space", "newline", "quotes", "braces", "non-ascii"],
)
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.urls("tests.foundation.logging_urls")
def test_log_lines_of_a_sync_view_carry_the_request_id(client, log_lines):
    response = client.get("/sync/", headers={"X-Request-ID": "req-sync-1"})

    [line] = lines_of(log_lines(), "tests.foundation.logging_views")
    assert line["request_id"] == response.headers["X-Request-ID"] == "req-sync-1"


@pytest.mark.urls("tests.foundation.logging_urls")
async def test_log_lines_of_an_async_view_under_asgi_carry_the_request_id(async_client, log_lines):
    response = await async_client.get("/async/")

    [line] = lines_of(log_lines(), "tests.foundation.logging_views")
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert GENERATED_ID.fullmatch(line["request_id"])


@pytest.mark.urls("tests.foundation.logging_urls")
async def test_log_lines_of_a_sync_view_run_in_a_thread_under_asgi_carry_the_request_id(
    async_client, log_lines
):
    response = await async_client.get("/sync/")

    [line] = lines_of(log_lines(), "tests.foundation.logging_views")
    assert line["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.urls("tests.foundation.logging_urls")
def test_djangos_line_for_a_not_found_carries_the_request_id(client, log_lines):
    # Django writes it after the middleware has returned.
    response = client.get("/missing/")

    [line] = lines_of(log_lines(), "django.request")
    assert line["message"] == "Not Found: /missing/"
    assert line["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.urls("tests.foundation.logging_urls")
async def test_djangos_line_for_a_not_found_under_asgi_carries_the_request_id(
    async_client, log_lines
):
    response = await async_client.get("/missing/")

    [line] = lines_of(log_lines(), "django.request")
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_uvicorns_coloured_copy_of_a_message_is_left_out(log_lines):
    # uvicorn's loggers write to the console handler only (settings.LOGGING); this one
    # reaches the test's handler too.
    logging.getLogger("tests.uvicorn").info("Started", extra={"color_message": "\x1b[36mS"})

    [line] = lines_of(log_lines(), "tests.uvicorn")
    assert "color_message" not in line


@pytest.mark.urls("tests.foundation.logging_urls")
def test_the_request_id_is_unbound_once_the_response_is_made(client):
    client.get("/sync/")

    assert log_context.current() == {}


# --- Websockets ---------------------------------------------------------------------------


async def test_a_websocket_connection_is_given_an_id_for_its_life():
    seen = []

    async def app(scope, receive, send):
        seen.append(log_context.current())
        await send({"type": "websocket.accept"})
        await receive()  # the connect
        await receive()  # a frame
        seen.append(log_context.current())

    communicator = WebsocketCommunicator(WebsocketRequestId(app), "/ws/probe/")
    await communicator.connect()
    await communicator.send_to(text_data="{}")
    await communicator.wait()

    assert GENERATED_ID.fullmatch(seen[0]["request_id"])
    assert seen[1] == seen[0]


async def test_a_websocket_handshake_with_a_sane_request_id_keeps_it():
    seen = []

    async def app(scope, receive, send):
        seen.append(log_context.current())
        await send({"type": "websocket.close"})

    communicator = WebsocketCommunicator(
        WebsocketRequestId(app), "/ws/probe/", headers=[(b"x-request-id", b"lb-77")]
    )
    await communicator.connect()

    assert seen == [{"request_id": "lb-77"}]


def fail(*args, **kwargs):
    raise RuntimeError("probe")


@pytest.mark.django_db(transaction=True)
async def test_a_customer_socket_logs_with_its_connection_and_ticket(monkeypatch, log_lines):
    ticket = await sync_to_async(TicketFactory)()
    monkeypatch.setattr(protocol, "customer_typing", fail)
    socket, connected, _ = await open_customer(ticket.token)
    assert connected

    await socket.send({"type": "typing"})
    await socket.receive_type("error")
    await socket.close()

    [line] = lines_of(log_lines(), "tickets.consumers")
    assert line["message"] == "typing frame failed"
    assert line["ticket_id"] == ticket.pk
    assert GENERATED_ID.fullmatch(line["request_id"])


@pytest.mark.django_db(transaction=True)
async def test_an_agent_socket_logs_with_its_agent(monkeypatch, log_lines):
    agent = await sync_to_async(AgentFactory)()
    socket, connected, _ = await open_agent(agent.user)
    assert connected
    monkeypatch.setattr(protocol, "agent_typing", fail)

    await socket.send({"type": "typing", "ticket": 1})
    await socket.receive_type("error")
    await socket.close()

    [line] = [line for line in lines_of(log_lines(), "tickets.consumers") if "exc_info" in line]
    assert line["message"] == "typing frame failed"
    assert line["agent_id"] == agent.pk
    assert GENERATED_ID.fullmatch(line["request_id"])


async def test_the_guard_logs_a_client_that_left_mid_send_as_info_without_traceback(caplog):
    async def app(scope, receive, send):
        raise ClientDisconnected

    sent = []

    async def send(message):
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="marketplace.websocket_guard"):
        await WebsocketGuard(app)({"type": "websocket", "path": "/ws/agent/"}, None, send)

    [record] = caplog.records
    assert (record.levelname, record.exc_info) == ("INFO", None)
    assert sent == []


# --- Celery -------------------------------------------------------------------------------


def test_a_task_runs_with_its_id_name_and_ticket_bound():
    result = log_context_probe.apply(args=(41,), task_id="task-abc")

    assert result.result == {
        "task_id": "task-abc",
        "task_name": "tests.foundation.test_logging.log_context_probe",
        "ticket_id": 41,
    }


def test_a_task_given_its_ticket_by_keyword_binds_it_too():
    result = log_context_probe.apply(kwargs={"ticket_id": 42, "note": "x"})

    assert result.result["ticket_id"] == 42


def test_a_task_leaves_nothing_bound_when_it_ends():
    log_context_probe.apply(args=(41,))

    assert log_context.current() == {}


def test_a_failing_task_leaves_nothing_bound_either():
    with pytest.raises(ValueError, match="probe"):  # eager tasks propagate (settings)
        failing_probe.apply(args=(5,))

    assert log_context.current() == {}


def test_a_task_run_inside_a_request_leaves_the_request_id_bound():
    with log_context.bound(request_id="req-1"):
        during = log_context_probe.apply(args=(41,)).result
        after = log_context.current()

    assert during["request_id"] == "req-1"
    assert after == {"request_id": "req-1"}


# --- The format, as a process started from the environment writes it ---------------------

PROBE = (
    "import django, logging; django.setup(); "
    "from core import log_context; "
    "log_context.bind(request_id='probe-1'); "
    "logging.getLogger('tickets.probe').warning('hello')"
)


def first_log_line(*, code: str = PROBE, **env: str) -> str:
    unset = ("DATABASE_URL", "REDIS_URL") + (() if "LOG_FORMAT" in env else ("LOG_FORMAT",))
    out = run_django_probe(code, unset=unset, **env)
    return next(line for line in out.stderr.splitlines() if "hello" in line)


def test_logs_are_json_when_debug_is_off():
    line = json.loads(first_log_line(DEBUG="0"))

    assert (line["message"], line["request_id"]) == ("hello", "probe-1")


def test_logs_are_text_when_debug_is_on():
    line = first_log_line(DEBUG="1")

    assert line.endswith("WARNING tickets.probe hello [request_id=probe-1]")


def test_log_format_text_gives_plain_lines_with_debug_off():
    line = first_log_line(DEBUG="0", LOG_FORMAT="text")

    assert not line.startswith("{")
    assert line.endswith("WARNING tickets.probe hello [request_id=probe-1]")


def test_a_celery_worker_keeps_the_json_logging():
    # What a worker and beat do at start: Celery's logging setup, which would otherwise put
    # its own handler and format on the root logger.
    code = (
        "import django; django.setup(); from marketplace.celery import app; "
        "app.log.setup(loglevel='INFO'); "
        "from celery.utils.log import get_task_logger; "
        "get_task_logger('tickets.tasks').warning('hello')"
    )

    line = json.loads(first_log_line(code=code, DEBUG="0"))

    assert (line["logger"], line["message"]) == ("tickets.tasks", "hello")


def test_an_empty_log_format_means_the_default():
    line = json.loads(first_log_line(DEBUG="0", LOG_FORMAT=""))

    assert line["message"] == "hello"


def test_an_unknown_log_format_stops_the_start():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        first_log_line(DEBUG="0", LOG_FORMAT="xml")

    assert "LOG_FORMAT must be json or text" in failure.value.stderr
