"""Run the product as real server processes for tests that need real sockets."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


class LineReadingProcess:
    """A process of the product whose output (stdout and stderr) is read line by line as it
    comes, so a test waits for a line rather than sleeping."""

    def __init__(self, args: list[str], *, env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))

    def lines_with(self, *fragments: str, count: int = 1, timeout: float) -> list[str] | None:
        """The lines containing every fragment once ``count`` of them were printed, or None if
        they were not within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            matches = [line for line in self.seen if all(f in line for f in fragments)]
            if len(matches) >= count:
                return matches
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=remaining))

    def logged(self, fragment: str, *, timeout: float) -> bool:
        return self.lines_with(fragment, timeout=timeout) is not None

    def stop(self, *, timeout: float = 20) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_django_probe(
    code: str, *, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python process of its own, with the settings the environment gives
    (this process's, less ``unset``, plus ``env``): settings are read once per process, so a
    profile other than this run's can only be seen from another one. Raises if it fails."""
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings", "SECRET_KEY": "x" * 50})
    clean.update(env)
    return subprocess.run(  # noqa: S603 - this interpreter, the project's own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a server that shares this test run's database."""
    inherited_out = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in inherited_out}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = db.get("PASSWORD") or ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


_static_collected = False


def collect_static_once() -> None:
    """Servers run with DEBUG off, as in production: static files come from the manifest."""
    global _static_collected
    if not _static_collected:
        # In a process of its own, with the servers' settings: the test process renders
        # pages with plain storage (tests/conftest.py) and would write no manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=server_env(),
            check=True,
            timeout=120,
        )
        _static_collected = True


@contextlib.contextmanager
def running_server(**env: str) -> Iterator[str]:
    """Start one uvicorn process of the product; yields its base URL once /healthz answers."""
    with running_server_process(**env) as (base, _):
        yield base


@contextlib.contextmanager
def running_server_process(**env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like ``running_server``, and the process too, for tests that kill it."""
    collect_static_once()
    port = free_port()
    # A file, not a pipe: a server that logs more than a pipe holds (tracebacks through an
    # outage) would block on its next write, with its event loop, if nobody read the pipe.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "marketplace.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--no-access-log",
            "--no-proxy-headers",  # as bin/run and the Procfile: TRUSTED_PROXIES decides
        ],
        cwd=ROOT,
        env=server_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not become healthy in 30 s")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def post_json(url: str, payload: dict, *, cookies: CookieJar | None = None) -> dict:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar() if cookies is None else cookies)
    )
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read())


def login_cookie(base: str, email: str, password: str) -> str:
    jar = CookieJar()
    post_json(f"{base}/api/v1/auth/session/", {"email": email, "password": password}, cookies=jar)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def celery_worker_command(queue_prefix: str, *options: str) -> list[str]:
    """A `celery worker` of the product (solo pool, one task at a time) consuming the realtime
    and batch queues named with ``queue_prefix`` only, so a test's tasks never reach another
    run's worker on a shared Redis. Start it (and whatever should send to it) with
    ``server_env(CELERY_QUEUE_PREFIX=queue_prefix)``."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "marketplace",
        *options,
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-Q",
        f"{queue_prefix}realtime,{queue_prefix}batch",
        "-n",
        f"{queue_prefix}{time.monotonic_ns()}@%h",
        "--loglevel",
        "WARNING",
    ]


def delete_redis_keys(queue_prefix: str) -> None:
    """Delete what a test's workers and beats left in Redis under its queue prefix: the
    queues' lists and kombu's bindings for them, beat's schedule and lock (redbeat)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = {*client.scan_iter(match=f"{queue_prefix}*"), *client.scan_iter(f"*{queue_prefix}*")}
        if keys:
            client.delete(*keys)
    finally:
        client.close()
