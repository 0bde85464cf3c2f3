"""The production profile's process supervisor: `make run` (bin/run) starts it.

It starts the Procfile's processes named by ``PROCESSES`` (a comma list; default web, worker
and beat: one machine runs everything; ``worker_realtime`` and ``worker_batch`` are for an
operator who splits the queues between machines, and ``release`` is the deploy step, not a
process), prefixes every line they print
with the process's name, and keeps them running: a process that exits is logged with its
exit code and started again after a backoff (1 s doubling to 30 s, back to 1 s once it has
run a minute), and the others carry on meanwhile. SIGTERM or SIGINT stops them all: SIGTERM,
then SIGKILL for any still running after the stop timeout.

Standard library only: it must run when nothing else works. The commands live in the
Procfile alone, so the Procfile and `make run` cannot drift apart.

    python -m marketplace.supervisor [--procfile PATH] [--check]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
# The Procfile's deploy step: run once per release by the platform, never kept running.
NOT_SUPERVISED = frozenset({"release"})
# What runs when PROCESSES is unset: the whole product on one machine. The worker consumes
# both queues, so the per-queue workers would only duplicate it.
DEFAULT_PROCESSES = ("web", "worker", "beat")
# As honcho and foreman read it; any other line (a comment, a blank) is skipped.
PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
# A process that ran this long before exiting was healthy: its next restart is immediate-ish.
BACKOFF_RESET_AFTER_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.1


class ProcessesRefused(Exception):
    """PROCESSES names something the Procfile does not start."""


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's ``name: command`` lines, in order (comments and blank lines skipped)."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        entry = PROCFILE_LINE.match(line)
        if entry:
            commands[entry["name"]] = entry["command"]
    return commands


def select_processes(commands: dict[str, str], names: str | None) -> dict[str, str]:
    """The commands named by ``names`` (the PROCESSES variable); DEFAULT_PROCESSES if empty."""
    known = {name: command for name, command in commands.items() if name not in NOT_SUPERVISED}
    wanted = [name.strip() for name in (names or "").split(",") if name.strip()]
    if not wanted:
        missing = [name for name in DEFAULT_PROCESSES if name not in known]
        if missing:
            raise ProcessesRefused(
                f"PROCESSES is unset, so {', '.join(DEFAULT_PROCESSES)}, and the Procfile "
                f"has no {', '.join(repr(n) for n in missing)}: set PROCESSES."
            )
        wanted = list(DEFAULT_PROCESSES)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ProcessesRefused(
            f"PROCESSES names {', '.join(repr(n) for n in unknown)}, "
            f"which is not one of {', '.join(known)}."
        )
    return {name: known[name] for name in dict.fromkeys(wanted)}


@dataclass
class Child:
    name: str
    command: str
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST_SECONDS
    restart_at: float | None = None
    restarts: int = 0
    reader: threading.Thread | None = field(default=None, repr=False)


class Supervisor:
    def __init__(
        self,
        commands: dict[str, str],
        *,
        cwd: Path,
        out: IO[str] = sys.stdout,
        stop_timeout: float = STOP_TIMEOUT_SECONDS,
    ) -> None:
        self.cwd = cwd
        self.children = [Child(name, command) for name, command in commands.items()]
        self.width = max(len(name) for name in [*commands, "supervisor"])
        self.out = out
        self.stop_timeout = stop_timeout
        self.stopping = False
        # Reentrant: the signal handler may log while the main thread is mid-line.
        self.write_lock = threading.RLock()

    def say(self, name: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self.write_lock:
            self.out.write(f"{stamp} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def start(self, child: Child) -> None:
        # Through a shell, as honcho did, for the Procfile's ${VAR:-default}; `exec` makes the
        # command the process we signal. Its own session: a Ctrl-C in the terminal reaches the
        # supervisor only, which then stops every child in order.
        child.popen = subprocess.Popen(  # noqa: S603 - the commands are the repository's Procfile
            ["/bin/sh", "-c", f"exec {child.command}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.cwd,  # the Procfile's paths (.venv/bin/…) are relative to it
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        child.reader = threading.Thread(target=self.relay, args=(child, child.popen), daemon=True)
        child.reader.start()
        self.say("supervisor", f"{child.name} started (pid {child.popen.pid})")

    def relay(self, child: Child, popen: subprocess.Popen[bytes]) -> None:
        stdout = popen.stdout
        if stdout is None:
            return
        for raw in iter(stdout.readline, b""):
            self.say(child.name, raw.decode(errors="replace").rstrip("\n"))
        stdout.close()

    def reap(self, child: Child, popen: subprocess.Popen[bytes], returncode: int) -> None:
        ran = time.monotonic() - child.started_at
        # What it leaves behind (uvicorn's workers after a SIGKILL) would hold the port and the
        # output pipe, and the restart would fail to bind.
        signal_quietly(popen, signal.SIGKILL, group=True)
        if child.reader is not None:
            child.reader.join(timeout=1)  # its last lines before the exit line
        if ran >= BACKOFF_RESET_AFTER_SECONDS:
            child.backoff = BACKOFF_FIRST_SECONDS
        delay = child.backoff
        child.backoff = min(child.backoff * 2, BACKOFF_MAX_SECONDS)
        child.popen = None
        child.restart_at = time.monotonic() + delay
        self.say(
            "supervisor",
            f"{child.name} exited with code {describe(returncode)} after {ran:.1f}s; "
            f"restarting in {delay:g}s",
        )

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.request_stop)
        for child in self.children:
            self.start(child)
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.popen is not None:
                    returncode = child.popen.poll()
                    if returncode is not None:
                        self.reap(child, child.popen, returncode)
                elif child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self.say("supervisor", f"{child.name} restarting (restart {child.restarts})")
                    self.start(child)
            time.sleep(POLL_SECONDS)
        self.stop_all()
        return 0

    def request_stop(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            self.say("supervisor", f"{signal.Signals(signum).name} received; stopping")
        self.stopping = True

    def stop_all(self) -> None:
        running = [(c, c.popen) for c in self.children if c.popen and c.popen.poll() is None]
        for _child, popen in running:
            # The process itself, not its group: uvicorn and Celery stop their own workers.
            signal_quietly(popen, signal.SIGTERM, group=False)
        deadline = time.monotonic() + self.stop_timeout
        for child, popen in running:
            try:
                popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("supervisor", f"{child.name} ignored SIGTERM; sending SIGKILL")
                signal_quietly(popen, signal.SIGKILL, group=True)
                popen.wait()
        for child in self.children:
            if child.popen is not None:
                # Whatever the process left behind in its group (a worker it did not reap).
                signal_quietly(child.popen, signal.SIGKILL, group=True)
                if child.reader is not None:
                    child.reader.join(timeout=1)
                self.say(
                    "supervisor",
                    f"{child.name} stopped with code {describe(child.popen.returncode)}",
                )


def signal_quietly(popen: subprocess.Popen[bytes], sig: signal.Signals, *, group: bool) -> None:
    try:
        if group:
            os.killpg(popen.pid, sig)  # its own session: the group id is its pid
        else:
            popen.send_signal(sig)
    except ProcessLookupError:
        pass


def describe(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"{returncode} ({signal.Signals(-returncode).name})"
    return str(returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marketplace.supervisor")
    parser.add_argument("--procfile", type=Path, default=PROCFILE)
    parser.add_argument(
        "--check", action="store_true", help="Only check PROCESSES against the Procfile."
    )
    parser.add_argument("--stop-timeout", type=float, default=STOP_TIMEOUT_SECONDS)
    args = parser.parse_args(argv)
    try:
        commands = select_processes(read_procfile(args.procfile), os.environ.get("PROCESSES"))
    except ProcessesRefused as refusal:
        print(f"make run: {refusal}", file=sys.stderr)
        return 2
    if args.check:
        return 0
    return Supervisor(
        commands, cwd=args.procfile.resolve().parent, stop_timeout=args.stop_timeout
    ).run()


if __name__ == "__main__":
    sys.exit(main())
