"""Benchmark: what detecting the conversation's language costs (tickets/language.py).

Run from the project root (SQLite by default, PostgreSQL with DATABASE_URL):

    SECRET_KEY=… DEBUG=0 .venv/bin/python tests/perf/bench_language_detection.py [--mode high]

Prints the detector's load time and the process's memory before and after it, the time of
one detection, and the time of a customer's first message with the assistant
(``tickets.messages.message_post_customer``) with detection and with LANGUAGE_DETECTION=off:
the difference is what the hot path pays, once per conversation. Not collected by pytest.
It writes tickets into the configured database and deletes them after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from tests.tickets.language_samples import LABELLED_FIRST_MESSAGES  # noqa: E402
from tickets import language, messages, services  # noqa: E402
from tickets.models import Ticket  # noqa: E402

SAMPLES = [text for texts in LABELLED_FIRST_MESSAGES.values() for text in texts]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def first_messages_ms(count: int) -> list[float]:
    timings = []
    for index in range(count):
        ticket = services.conversation_start(language="en")
        started = time.perf_counter()
        messages.message_post_customer(
            token=ticket.token,
            client_id="first",
            body=SAMPLES[index % len(SAMPLES)],
            ask_assistant=False,
        )
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["high", "low"], default="high")
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    settings.LANGUAGE_DETECTION = args.mode

    before = rss_mb()
    started = time.perf_counter()
    language.detector()
    load_s = time.perf_counter() - started
    print(f"load: {load_s:.2f} s, max RSS {before:.0f} MB -> {rss_mb():.0f} MB")

    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for text in SAMPLES:
            language.detect_language(text)
    per_detection = (time.perf_counter() - started) * 1000 / (rounds * len(SAMPLES))
    print(f"one detection: {per_detection:.3f} ms")

    first_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with_detection = first_messages_ms(args.messages)
        settings.LANGUAGE_DETECTION = "off"
        without = first_messages_ms(args.messages)
    finally:
        Ticket.objects.filter(pk__gt=first_id).delete()
    for name, timings in (("detection on", with_detection), ("detection off", without)):
        print(
            f"first message, {name}: median {statistics.median(timings):.2f} ms, "
            f"p95 {statistics.quantiles(timings, n=20)[-1]:.2f} ms"
        )


if __name__ == "__main__":
    main()
