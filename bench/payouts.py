"""Part 4, the payout batch: payable pay lines over many agents turned into payouts by
payouts.services.payouts_assemble, against the same aggregation as one plain SQL statement.

The plain statement is the floor: it only reads (SUM … GROUP BY … HAVING). The service also
writes what the floor does not: the payout rows, every line's payout and status, and each
payout's amount re-summed from its lines. Both run in the bench process on the bench
database; the floor runs first and three times (the best is kept), so both meet warm caches.
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
        title="Payout batch: payable lines turned into payouts, against one SQL aggregate",
        columns=[
            "database",
            "lines",
            "agents",
            "payouts made",
            "plain SQL aggregate",
            "payouts_assemble",
            "ratio",
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
    started = time.perf_counter()
    made = payouts_assemble()
    service = time.perf_counter() - started

    paid_total = Payout.objects.filter(pk__in=made).aggregate(total=Sum("amount_cents"))["total"]
    lines_total = EarningLine.objects.filter(status=EarningLine.Status.IN_PAYOUT).aggregate(
        total=Sum("amount_cents")
    )["total"]
    consistent = len(made) == groups and paid_total == lines_total
    ratio = service / floor
    met = ratio <= 3 and consistent
    part.rows.append(
        [
            connection.vendor,
            f"{lines:,}",
            f"{agents:,}",
            f"{len(made):,}" + ("" if consistent else " (MISMATCH)"),
            fmt_ms(floor),
            fmt_ms(service),
            fmt_ratio(ratio),
            "met" if met else "MISSED",
        ]
    )
    part.notes.append(
        "Lines are payable already (the hold is over) and every agent has a payout-ready "
        "account. The check: one payout per agent over the minimum, and the payouts' total "
        "equals the total of the lines now in a payout. Target: within 3× the plain SQL."
    )
    if not met:
        part.misses.append(
            f"payout batch: {ratio:.1f}× the plain SQL aggregate"
            + ("" if consistent else "; payouts do not match the lines")
        )
    part.data = {"floor": floor_times, "service": service, "payouts": len(made)}
    return part
