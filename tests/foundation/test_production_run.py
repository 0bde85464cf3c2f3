"""`make run`'s production profile: the supervisor that keeps web, worker and beat running,
and bin/run refusing to start on a bad configuration. Real processes throughout; the
supervisor is given a Procfile of tiny Python scripts instead of the product's."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace import supervisor
from tests.servers import ROOT, LineReadingProcess

DEADLINE_SECONDS = 15


def script(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -u -c {shlex.quote(code)}"


# Says it started, then lives until stopped.
STAYS = script("import time; print('up', flush=True); time.sleep(600)")
# Says it started and exits at once with code 3.
QUITS = script("import sys; print('up', flush=True); sys.exit(3)")
# Deaf to SIGTERM: only SIGKILL stops it.
DEAF = script(
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('up', flush=True); time.sleep(600)"
)


class Supervised(LineReadingProcess):
    """`python -m marketplace.supervisor` on a Procfile of our own, its output line by line."""

    def __init__(self, procfile: Path, *, processes: str | None = None, stop_timeout: float = 10):
        env = {k: v for k, v in os.environ.items() if k != "PROCESSES"}
        if processes is not None:
            env["PROCESSES"] = processes
        super().__init__(
            [
                sys.executable,
                "-m",
                "marketplace.supervisor",
                "--procfile",
                str(procfile),
                "--stop-timeout",
                str(stop_timeout),
            ],
            env=env,
        )

    def wait_for(self, *fragments: str, count: int = 1) -> list[str]:
        """Lines containing every fragment, once `count` of them have been printed."""
        matches = self.lines_with(*fragments, count=count, timeout=DEADLINE_SECONDS)
        if matches is None:
            pytest.fail(f"no {count} line(s) with {fragments!r} in:\n" + "\n".join(self.seen))
        return matches

    def pid_of(self, name: str, *, nth: int = 1) -> int:
        line = self.wait_for(f"{name} started (pid", count=nth)[nth - 1]
        return int(line.rsplit("pid ", 1)[1].rstrip(")"))


@pytest.fixture
def run_supervisor(tmp_path: Path) -> Iterator:
    started: list[Supervised] = []

    def run(procfile_text: str, **kwargs) -> Supervised:
        procfile = tmp_path / "Procfile"
        procfile.write_text(procfile_text)
        started.append(Supervised(procfile, **kwargs))
        return started[-1]

    yield run
    for one in started:
        if one.popen.poll() is None:
            one.popen.send_signal(signal.SIGTERM)
            try:
                one.popen.wait(timeout=DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                one.popen.kill()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_it_restarts_a_process_that_exits_and_logs_its_exit_code(run_supervisor):
    run = run_supervisor(f"quits: {QUITS}\n", processes="quits")

    exits = run.wait_for("quits exited with code 3", count=2)
    run.wait_for("quits restarting (restart 2)")

    assert "restarting in 1s" in exits[0]
    assert "restarting in 2s" in exits[1]  # the backoff doubles
    assert len(run.wait_for("quits ", "| up", count=2)) >= 2  # each line under the process's name


def test_one_process_exiting_does_not_stop_the_others(run_supervisor):
    run = run_supervisor(f"stays: {STAYS}\nquits: {QUITS}\n", processes="stays,quits")
    stays = run.pid_of("stays")

    run.wait_for("quits restarting (restart 1)")
    run.wait_for("quits exited with code 3", count=2)

    assert alive(stays)
    assert len(run.wait_for("stays started")) == 1


def test_sigterm_stops_every_process_and_the_supervisor(run_supervisor):
    run = run_supervisor(f"one: {STAYS}\ntwo: {STAYS}\n", processes="one,two")
    pids = [run.pid_of("one"), run.pid_of("two")]
    run.wait_for("one ", "| up")
    run.wait_for("two ", "| up")

    run.popen.send_signal(signal.SIGTERM)

    assert run.popen.wait(timeout=DEADLINE_SECONDS) == 0
    assert all(wait_until_gone(pid) for pid in pids)
    run.wait_for("one stopped with code -15 (SIGTERM)")


def test_a_process_deaf_to_sigterm_is_killed_after_the_stop_timeout(run_supervisor):
    run = run_supervisor(f"deaf: {DEAF}\n", processes="deaf", stop_timeout=0.5)
    pid = run.pid_of("deaf")
    run.wait_for("deaf ", "| up")

    run.popen.send_signal(signal.SIGINT)

    assert run.popen.wait(timeout=DEADLINE_SECONDS) == 0
    assert wait_until_gone(pid)
    run.wait_for("deaf ignored SIGTERM; sending SIGKILL")


def test_processes_selects_which_procfile_entries_run(run_supervisor):
    run = run_supervisor(
        f"web: {STAYS}\nworker: {STAYS}\nbeat: {STAYS}\nrelease: {QUITS}\n",
        processes="worker,beat",
    )

    run.wait_for("worker ", "| up")
    run.wait_for("beat ", "| up")
    run.popen.send_signal(signal.SIGTERM)
    run.popen.wait(timeout=DEADLINE_SECONDS)

    started = run.wait_for("started (pid")
    assert sorted(line.split()[3] for line in started) == ["beat", "worker"]


@pytest.mark.parametrize("processes", ["web,mailer", "release"])
def test_an_unknown_process_name_is_refused_with_one_line(tmp_path, processes):
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"web: {STAYS}\nworker: {STAYS}\nrelease: {QUITS}\n")

    result = subprocess.run(
        [sys.executable, "-m", "marketplace.supervisor", "--procfile", str(procfile)],
        cwd=ROOT,
        env={**os.environ, "PROCESSES": processes},
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"make run: PROCESSES names '{processes.split(',')[-1]}', which is not one of web, worker."
    ]


def test_the_procfile_runs_web_worker_and_beat_and_keeps_release_as_the_deploy_step():
    commands = supervisor.read_procfile(supervisor.PROCFILE)

    assert list(supervisor.select_processes(commands, None)) == ["web", "worker", "beat"]
    assert list(supervisor.select_processes(commands, "")) == ["web", "worker", "beat"]
    assert commands["release"] == (
        ".venv/bin/python manage.py migrate --noinput"
        " && .venv/bin/python manage.py prepare_assistant"
    )


def test_the_procfile_worker_consumes_both_queues_and_each_role_one():
    commands = supervisor.read_procfile(supervisor.PROCFILE)

    def queues(name: str) -> str:
        return commands[name].split(" -Q ", 1)[1].split()[0]

    both = "${CELERY_QUEUE_PREFIX:-}realtime,${CELERY_QUEUE_PREFIX:-}batch"
    assert queues("worker") == both
    assert queues("worker_realtime") == "${CELERY_QUEUE_PREFIX:-}realtime"
    assert queues("worker_batch") == "${CELERY_QUEUE_PREFIX:-}batch"
    picked = supervisor.select_processes(commands, "web,worker_realtime,worker_batch,beat")
    assert list(picked) == ["web", "worker_realtime", "worker_batch", "beat"]


def test_a_procfile_without_the_default_processes_needs_processes_set():
    with pytest.raises(supervisor.ProcessesRefused, match="has no 'beat': set PROCESSES"):
        supervisor.select_processes({"web": STAYS, "worker": STAYS}, None)


def bin_run(**env: str) -> subprocess.CompletedProcess:
    names = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "PROCESSES", "SEED_DEMO"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    production = {
        "DATABASE_URL": "postgres://postgres:postgres@127.0.0.1:5432/humanline_prodrun_test",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
    }
    return subprocess.run(
        [str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env={**clean, **production, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


needs_venv = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "python").exists(), reason="bin/run runs .venv/bin/python"
)


@needs_venv
@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "make run: SECRET_KEY is not set: "),
        ({"DEBUG": "1"}, "make run: SECRET_KEY is not set: give it 50 or more random characters"),
        ({"SECRET_KEY": "short"}, "make run: SECRET_KEY is too short (5 characters)"),
        (
            {"SECRET_KEY": "k" * 50, "PROCESSES": "web,mailer"},
            "make run: PROCESSES names 'mailer'",
        ),
        (
            {"SECRET_KEY": "k" * 50, "ROUTING_MODE": "random"},
            "make run: ROUTING_MODE must be one of offer, pick, hybrid.",
        ),
    ],
)
def test_bin_run_in_production_refuses_a_bad_configuration_in_one_line_before_starting(
    env, complaint
):
    result = bin_run(**env)

    assert result.returncode != 0
    assert result.stdout == ""  # nothing migrated, seeded or started
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(complaint)
    assert "Traceback" not in result.stderr
