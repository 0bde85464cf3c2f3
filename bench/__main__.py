"""`python -m bench [--part relay,dispatch,fanout,payouts,load,assistant] [--quick] [--no-write]`

Runs the parts against a bench database of their own, prints each table, and rewrites this
profile's section of docs/performance.md (``--no-write`` only prints). See
docs/performance.md for what each part measures and how.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import sys
import time
from datetime import UTC, datetime

from bench import report, stack

PARTS = ["relay", "dispatch", "fanout", "payouts", "load", "assistant"]


def _raise_file_limit() -> None:
    # A thousand sockets per process: the default soft limit of 1024 descriptors is too few.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))


def _make_command(parts: list[str], quick: bool) -> str:
    words = ["make", "bench"]
    if parts != PARTS:
        words.append(f"PART={','.join(parts)}")
    if quick:
        words.append("QUICK=1")
    prefix = "DATABASE_URL=… REDIS_URL=… " if os.environ.get("DATABASE_URL") else ""
    return prefix + " ".join(words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--part", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.part.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {PARTS}")
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")

    _raise_file_limit()
    profile = stack.detect_profile()
    print(
        f"bench: {profile.name} profile, layers {', '.join(profile.layers)}"
        + (f" (Redis layers skipped: {profile.redis_note})" if profile.redis_note else ""),
        flush=True,
    )
    stack.prepare_database(profile)
    for name in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH"):
        os.environ.pop(name, None)
    os.environ.update(stack.bench_environment(profile))
    import django

    django.setup()
    from bench import seed

    seed.migrate()

    results = []
    for name in parts:
        module = importlib.import_module(f"bench.{name}")
        print(f"\nbench: {name} …", flush=True)
        started = time.monotonic()
        part = module.run(profile, quick=quick)
        part.ran_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        if quick:
            part.notes.insert(0, "QUICK sizes: a harness check, not a result.")
        print(part.markdown(), flush=True)
        print(f"bench: {name} took {time.monotonic() - started:.0f} s", flush=True)
        results.append(part)

    if not args.no_write:
        stored = report.save(profile, results, _make_command(parts, quick))
        report.write_doc(stored)
        print(f"bench: wrote {report.DOC.relative_to(stack.ROOT)}")
    missed = [miss for part in results for miss in part.misses]
    if missed:
        print("\nbench: targets missed:\n  " + "\n  ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
