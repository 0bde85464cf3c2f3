"""The figures behind /metrics, read from the database at scrape time (docs/operations.md).

Counted from the rows, not from counters kept in each process: every web, websocket and
Celery process on every machine writes the same tables, so any one process can answer a
scrape for all of them, and a restart loses nothing. Each figure is one aggregated query
(GROUP BY), so a scrape costs the same handful of queries whatever the number of tickets.

The collector lives here, at the top layer, because it reads tickets, agents and payouts.
"""

import logging
import math
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agents.models import Agent
from marketplace import open_sockets
from ops import alerts
from payouts.models import Payout
from tickets import selectors
from tickets.models import AnswerFeedback, Message, Ticket

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
# The claim latency quantiles are computed from at most this many of the last hour's
# claims, the most recent first: a busy hour costs one bounded read, not the whole hour.
CLAIM_LATENCY_SAMPLE = 2000
CLAIM_LATENCY_QUANTILES = (0.5, 0.9)


def nearest_rank(ordered: list[float], quantile: float) -> float:
    """The nearest-rank quantile of an ascending, non-empty list."""
    rank = max(1, math.ceil(quantile * len(ordered)))
    return ordered[rank - 1]


class HumanlineCollector(Collector):
    """The queue, offers, claims, messages, the assistant, payouts and presence, now."""

    def describe(self) -> list[Metric]:
        # Nothing to describe in advance: registering must not query the database (it runs
        # at import, before the database may be reachable).
        return []

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        queued = selectors.queued_needs()
        yield from self._queue(now, queued)
        yield self._offers(now)
        yield self._claim_latency(now)
        yield from self._messages(now)
        yield self._escalations(now)
        yield self._answer_feedback(now)
        yield self._payouts()
        yield self._agents_online()
        yield self._open_websockets()
        yield self._ops_alerts(now, queued)

    def _queue(self, now: datetime, queued: list[selectors.QueuedNeed]) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "humanline_queue_waiting", "Tickets waiting for an agent now.", labels=["language"]
        )
        oldest = GaugeMetricFamily(
            "humanline_queue_oldest_wait_seconds",
            "How long the longest-waiting queued ticket has waited since its escalation.",
            labels=["language"],
        )
        for language, (count, oldest_at) in selectors.queue_by_language(queued).items():
            waiting.add_metric([language], count)
            if oldest_at is not None:
                oldest.add_metric([language], (now - oldest_at).total_seconds())
        yield waiting
        yield oldest

    def _offers(self, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "humanline_offers_last_hour",
            "Offers sent in the last hour, by how they ended (pending: not decided yet).",
            labels=["outcome"],
        )
        for outcome, count in selectors.offers_by_outcome(since=now - HOUR).items():
            family.add_metric([outcome], count)
        return family

    def _claim_latency(self, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "humanline_claim_latency_seconds",
            "Escalation to claim of the tickets claimed in the last hour (NaN: none).",
            labels=["quantile"],
        )
        # Served by ticket_claimed_idx.
        pairs = (
            Ticket.objects.filter(claimed_at__gte=now - HOUR, escalated_at__isnull=False)
            .order_by("-claimed_at")
            .values_list("escalated_at", "claimed_at")[:CLAIM_LATENCY_SAMPLE]
        )
        waits = sorted(
            max(0.0, (claimed - escalated).total_seconds()) for escalated, claimed in pairs
        )
        for quantile in CLAIM_LATENCY_QUANTILES:
            value = nearest_rank(waits, quantile) if waits else math.nan
            family.add_metric([str(quantile)], value)
        return family

    def _messages(self, now: datetime) -> Iterator[Metric]:
        last_minute = GaugeMetricFamily(
            "humanline_messages_last_minute",
            "Messages stored in the last minute, by sender.",
            labels=["sender"],
        )
        answered = GaugeMetricFamily(
            "humanline_assistant_answers_last_hour",
            "The assistant's answers in the last hour that cited a help-centre article.",
        )
        # One pass over the last hour's messages gives both windows.
        rows = {
            row["sender"]: row
            for row in Message.objects.filter(created_at__gte=now - HOUR)
            .values("sender")
            .annotate(
                last_minute=Count("id", filter=Q(created_at__gte=now - MINUTE)),
                answered=Count("id", filter=Q(article__isnull=False)),
            )
            .order_by()
        }
        for sender in Message.Sender.values:
            last_minute.add_metric([sender], rows.get(sender, {}).get("last_minute", 0))
        answered.add_metric([], rows.get(Message.Sender.BOT, {}).get("answered", 0))
        yield last_minute
        yield answered

    def _escalations(self, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "humanline_escalations_last_hour",
            "Tickets handed from the assistant to the queue in the last hour, by reason.",
            labels=["reason"],
        )
        counts = dict(
            Ticket.objects.filter(escalated_at__gte=now - HOUR)
            .values_list("escalation_reason")
            .annotate(count=Count("id"))
            .order_by()
        )
        for reason in Ticket.EscalationReason.values:
            family.add_metric([reason], counts.pop(reason, 0))
        # Rows written before a reason was recorded, or with one no longer listed.
        unknown = sum(counts.values())
        if unknown:
            family.add_metric(["other"], unknown)
        return family

    def _answer_feedback(self, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "humanline_answer_feedback_last_hour",
            "Customers' verdicts on the assistant's answers given in the last hour.",
            labels=["verdict"],
        )
        counts = dict(
            AnswerFeedback.objects.filter(created_at__gte=now - HOUR)
            .values_list("verdict")
            .annotate(count=Count("id"))
            .order_by()
        )
        for verdict in AnswerFeedback.Verdict.values:
            family.add_metric([verdict], counts.get(verdict, 0))
        return family

    def _payouts(self) -> Metric:
        family = GaugeMetricFamily(
            "humanline_payouts", "Payouts by status, all time.", labels=["status"]
        )
        # Served by payout_outbox_idx (status first).
        counts = dict(Payout.objects.values_list("status").annotate(count=Count("id")).order_by())
        for status in Payout.Status.values:
            family.add_metric([status], counts.get(status, 0))
        return family

    def _agents_online(self) -> Metric:
        # Served by agent_presence_idx (is_online first).
        online = Agent.objects.filter(is_online=True).count()
        return GaugeMetricFamily(
            "humanline_agents_online",
            "Agents with a live socket now, or within the disconnect grace period.",
            value=online,
        )

    def _open_websockets(self) -> Metric:
        family = GaugeMetricFamily(
            "humanline_websocket_connections",
            "Websockets open now across the web processes, by who holds them.",
            labels=["kind"],
        )
        try:
            counts = open_sockets.open_socket_counts()
        except Exception:  # noqa: BLE001 - Redis down: unknown, and the rest still scraped
            logger.warning("could not read the open websocket counts", exc_info=True)
            counts = dict.fromkeys(open_sockets.KINDS, math.nan)
        for kind in open_sockets.KINDS:
            family.add_metric([kind], counts[kind])
        return family

    def _ops_alerts(self, now: datetime, queued: list[selectors.QueuedNeed]) -> Metric:
        family = GaugeMetricFamily(
            "humanline_ops_alerts",
            "The operator's cockpit's alerts on now, by kind (docs/ops.md).",
            labels=["kind"],
        )
        counts = Counter(alert.kind for alert in alerts.alerts_now(now=now, queued=queued))
        for kind in alerts.KINDS:
            family.add_metric([kind], counts.get(kind, 0))
        return family


# A registry of its own: the process-wide default one would add this process's own
# figures (memory, CPU, GC), which describe one worker of many and mislead at scrape level.
registry = CollectorRegistry(auto_describe=False)
registry.register(HumanlineCollector())
