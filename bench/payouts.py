"""Part 4, the payout batch: payable pay lines over many agents turned into payouts by
payouts.services.payouts_assemble, against the same work done as plain SQL.

Two floors. The read floor is the aggregation alone (SUM … GROUP BY … HAVING): it writes
nothing. The write floor does the batch's writes as plainly as SQL allows: on PostgreSQL one
statement (a data-modifying CTE that inserts the payouts and moves the lines into them), on
SQLite, which has no such CTE, an INSERT … SELECT and an UPDATE … FROM. The write floor runs
in a transaction that is rolled back (then VACUUM ANALYZE on PostgreSQL clears what it left),
so the service meets the same data. The target is judged against the write floor: turning
lines into payouts means rewriting 100,000 rows, which no read can stand in for.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from bench.report import Part, fmt_ms, fmt_ratio
from bench.stack import Profile

AGGREGATE = """
SELECT line.agent_id, line.currency, SUM(line.amount_cents)
FROM payouts_earningline AS line
JOIN agents_agent AS agent ON agent.id = line.agent_id
WHERE line.status = 'payable' AND agent.payouts_enabled AND agent.stripe_account_id <> ''
GROUP BY line.agent_id, line.currency
HAVING SUM(line.amount_cents) >= %s
"""


WRITE_FLOOR_POSTGRESQL = """
WITH totals AS (
    SELECT line.agent_id, line.currency, agent.stripe_account_id, SUM(line.amount_cents) AS total
    FROM payouts_earningline AS line
    JOIN agents_agent AS agent ON agent.id = line.agent_id
    WHERE line.status = 'payable' AND agent.payouts_enabled AND agent.stripe_account_id <> ''
    GROUP BY line.agent_id, line.currency, agent.stripe_account_id
    HAVING SUM(line.amount_cents) >= %(minimum)s
), payouts AS (
    INSERT INTO payouts_payout (
        agent_id, kind, status, amount_cents, currency, destination, requested_on, attempts,
        stripe_transfer_id, amount_reversed_cents, failure_code, failure_reason, created_at,
        next_attempt_at
    )
    SELECT agent_id, 'scheduled', 'pending', total, currency, stripe_account_id, CURRENT_DATE,
           0, '', 0, '', '', now(), now()
    FROM totals
    RETURNING id, agent_id, currency
)
UPDATE payouts_earningline AS line SET payout_id = payouts.id, status = 'in_payout'
FROM payouts
WHERE line.agent_id = payouts.agent_id AND line.currency = payouts.currency
  AND line.status = 'payable'
"""

WRITE_FLOOR_SQLITE = [
    """
    INSERT INTO payouts_payout (
        agent_id, kind, status, amount_cents, currency, destination, requested_on, attempts,
        stripe_transfer_id, amount_reversed_cents, failure_code, failure_reason, created_at,
        next_attempt_at
    )
    SELECT line.agent_id, 'scheduled', 'pending', SUM(line.amount_cents), line.currency,
           agent.stripe_account_id, date('now'), 0, '', 0, '', '', datetime('now'),
           datetime('now')
    FROM payouts_earningline AS line
    JOIN agents_agent AS agent ON agent.id = line.agent_id
    WHERE line.status = 'payable' AND agent.payouts_enabled AND agent.stripe_account_id <> ''
    GROUP BY line.agent_id, line.currency, agent.stripe_account_id
    HAVING SUM(line.amount_cents) >= %(minimum)s
    """,
    """
    UPDATE payouts_earningline AS line SET payout_id = payouts.id, status = 'in_payout'
    FROM payouts_payout AS payouts
    WHERE payouts.status = 'pending' AND line.agent_id = payouts.agent_id
      AND line.currency = payouts.currency AND line.status = 'payable'
    """,
]


class _RolledBack(Exception):
    pass


def _write_floor(minimum: int) -> float:
    """Seconds for the plain-SQL batch, undone afterwards."""
    from django.db import connection, transaction

    statements = (
        [WRITE_FLOOR_POSTGRESQL] if connection.vendor == "postgresql" else WRITE_FLOOR_SQLITE
    )
    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement, {"minimum": minimum})
            elapsed = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE payouts_earningline")
            cursor.execute("VACUUM ANALYZE payouts_payout")
    return elapsed


def _seed(*, agents: int, lines: int) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from agents.models import Agent
    from bench import seed
    from payouts.models import EarningLine

    seeded = seed.agents(count=agents, prefix="payout")
    with transaction.atomic():
        for start in range(0, len(seeded), 500):
            for offset, agent in enumerate(seeded[start : start + 500]):
                Agent.objects.filter(pk=agent.id).update(
                    payouts_enabled=True, stripe_account_id=f"acct_bench{start + offset:06d}"
                )
    rng = random.Random(3)
    now = timezone.now()
    ids = [a.id for a in seeded]
    for start in range(0, lines, 10_000):
        EarningLine.objects.bulk_create(
            [
                EarningLine(
                    agent_id=ids[i % len(ids)],
                    kind=EarningLine.Kind.ADJUSTMENT,
                    status=EarningLine.Status.PAYABLE,
                    amount_cents=rng.choice([150, 250, 250, 400, 600]),
                    currency=settings.PAYOUT_CURRENCY,
                    description="bench pay line",
                    source_key=f"bench-line-{i}",
                    earned_at=now - timedelta(days=2),
                    available_at=now - timedelta(days=1),
                )
                for i in range(start, min(lines, start + 10_000))
            ]
        )


def run(profile: Profile, *, quick: bool) -> Part:
    part = Part(
        key="payouts",
        title="Payout batch: payable lines turned into payouts, against plain SQL",
        columns=[
            "database",
            "lines",
            "agents",
            "payouts made",
            "read floor: SQL aggregate",
            "write floor: plain SQL batch",
            "payouts_assemble",
            "ratio to write floor",
            "ratio to read floor",
            "target",
        ],
    )
    try:
        from payouts.models import EarningLine, Payout
        from payouts.services import payouts_assemble
    except ImportError as error:
        part.skipped = f"the payouts ledger is not in this tree ({error})."
        return part
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum

    from bench import seed

    lines, agents = (10_000, 200) if quick else (100_000, 2_000)
    seed.reset()
    _seed(agents=agents, lines=lines)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    minimum = max(settings.PAYOUT_MINIMUM_CENTS, 1)
    floor_times, groups = [], 0
    for _ in range(3):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(AGGREGATE, [minimum])
            groups = len(cursor.fetchall())
        floor_times.append(time.perf_counter() - started)
    floor = min(floor_times)
    write_floor = _write_floor(minimum)
    started = time.perf_counter()
    made = payouts_assemble()
    service = time.perf_counter() - started

    paid_total = Payout.objects.filter(pk__in=made).aggregate(total=Sum("amount_cents"))["total"]
    lines_total = EarningLine.objects.filter(status=EarningLine.Status.IN_PAYOUT).aggregate(
        total=Sum("amount_cents")
    )["total"]
    consistent = len(made) == groups and paid_total == lines_total
    ratio = service / write_floor
    met = ratio <= 3 and consistent
    part.rows.append(
        [
            connection.vendor,
            f"{lines:,}",
            f"{agents:,}",
            f"{len(made):,}" + ("" if consistent else " (MISMATCH)"),
            fmt_ms(floor),
            fmt_ms(write_floor),
            fmt_ms(service),
            fmt_ratio(ratio),
            fmt_ratio(service / floor),
            "met" if met else "MISSED",
        ]
    )
    part.notes.append(
        "Lines are payable already (the hold is over) and every agent has a payout-ready "
        "account. The check: one payout per agent over the minimum, and the payouts' total "
        "equals the total of the lines now in a payout. Target: within 3× the plain SQL "
        "doing the same writes; the read floor is shown for scale (it writes nothing)."
    )
    if not met:
        part.misses.append(
            f"payout batch: {ratio:.1f}× the plain SQL batch"
            + ("" if consistent else "; payouts do not match the lines")
        )
    part.data = {
        "floor": floor_times,
        "write_floor": write_floor,
        "service": service,
        "payouts": len(made),
    }
    return part
