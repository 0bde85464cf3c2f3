"""The system under test: the bench database, and the server processes started on it.

Two profiles, chosen as the product chooses them: with DATABASE_URL and REDIS_URL set, the
production one (PostgreSQL, channels_redis, several uvicorn workers, a Celery worker and
beat); otherwise the embedded one (a SQLite file, the in-memory layer, one process).

The bench never touches the developer's data: PostgreSQL gets a database of its own
(``humanline_bench``, dropped and made again at the start of a run), SQLite a throwaway file
under var/bench/, Redis a database number of its own (15) and a channel prefix of its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
PY = sys.executable

# Shared by the bench process and every server it starts: sessions the bench writes are
# signed with it, and the servers must accept them. Never a production key.
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-7c2f0a9e41d8b6"  # noqa: S105

LAYERS = {
    "inmemory": "channels.layers.InMemoryChannelLayer",
    "redis": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


@dataclass(frozen=True)
class Profile:
    name: str  # "production" | "embedded"
    database_env: dict[str, str]  # DATABASE_URL or SQLITE_PATH of the bench database
    redis_url: str  # the bench's Redis database, or "" when none answers
    redis_note: str  # why Redis layers are skipped, when they are
    web_workers: int

    @property
    def layers(self) -> list[str]:
        """The channel layers this profile can measure, in-memory first (BENCH_LAYERS picks)."""
        layers = ["inmemory", "redis", "pubsub"] if self.redis_url else ["inmemory"]
        wanted = [x for x in os.environ.get("BENCH_LAYERS", "").split(",") if x]
        return [x for x in layers if x in wanted] if wanted else layers

    @property
    def default_layer(self) -> str:
        """The layer the product itself would run with in this profile."""
        if self.name != "production":
            return "inmemory"
        # As marketplace/settings.py: pub/sub unless CHANNEL_LAYER_BACKEND says otherwise.
        chosen = os.environ.get("CHANNEL_LAYER_BACKEND", "")
        return chosen if chosen in ("redis", "pubsub") else "pubsub"


def _redis_answers(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _with_db_number(url: str, number: int) -> str:
    parsed = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(parsed._replace(path=f"/{number}"))


def detect_profile() -> Profile:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    redis_db = int(os.environ.get("BENCH_REDIS_DB", "15"))
    if database_url and redis_url:
        parsed = urllib.parse.urlparse(database_url)
        name = os.environ.get("BENCH_DATABASE_NAME", "humanline_bench")
        bench_url = urllib.parse.urlunparse(parsed._replace(path=f"/{name}"))
        return Profile(
            name="production",
            database_env={"DATABASE_URL": bench_url},
            redis_url=_with_db_number(redis_url, redis_db),
            redis_note="",
            web_workers=int(os.environ.get("WEB_CONCURRENCY", "2")),
        )
    # Embedded: Redis layers are measured too when a Redis answers on loopback, on the same
    # SQLite database and single process, so the three layers compare like with like.
    local = redis_url or "redis://127.0.0.1:6379/0"
    reachable = _redis_answers(local)
    return Profile(
        name="embedded",
        database_env={"SQLITE_PATH": str(VAR / "bench.sqlite3")},
        redis_url=_with_db_number(local, redis_db) if reachable else "",
        redis_note="" if reachable else f"no Redis answers at {local}",
        web_workers=1,
    )


def prepare_database(profile: Profile) -> None:
    """A fresh, empty bench database (not yet migrated)."""
    VAR.mkdir(parents=True, exist_ok=True)
    if profile.name == "embedded":
        path = Path(profile.database_env["SQLITE_PATH"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    bench_url = profile.database_env["DATABASE_URL"]
    name = urllib.parse.urlparse(bench_url).path.lstrip("/")
    maintenance = urllib.parse.urlunparse(
        urllib.parse.urlparse(os.environ["DATABASE_URL"])._replace(path="/postgres")
    )
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_environment(profile: Profile) -> dict[str, str]:
    """What the bench process itself runs Django with: the bench database, no Redis."""
    return {
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        **profile.database_env,
    }


def flush_redis(url: str) -> None:
    """Empty the bench's own Redis database number (never the developer's)."""
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


@dataclass
class Stack:
    """Running server processes; ``base`` is the web server's http://127.0.0.1:port."""

    layer: str
    base: str
    web: subprocess.Popen
    others: list[subprocess.Popen] = field(default_factory=list)
    description: str = ""

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://")

    def server_rss_kib(self) -> int:
        return rss_kib(self.web.pid)


def server_environment(profile: Profile, layer: str, **extra: str) -> dict[str, str]:
    inherited_out = {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in inherited_out}
    env.update(bench_environment(profile))
    env.update(
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    if layer == "inmemory":
        # The in-process layer only reaches sockets of its own process; periodic jobs run on
        # the in-process scheduler, as `make run` does.
        env["INPROCESS_SCHEDULER"] = "1"
    else:
        env.update(
            REDIS_URL=profile.redis_url,
            CHANNEL_LAYER_BACKEND=layer,
            CHANNEL_LAYER_PREFIX="hlbench",
        )
        if profile.name == "embedded":
            # SQLite with a Redis layer: tasks still run in the server, as embedded does.
            env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    env.update(extra)
    return env


def _wait_healthy(process: subprocess.Popen, base: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not healthy in {timeout:.0f} s: {log.read_text()[-3000:]}")
        time.sleep(0.2)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(process: subprocess.Popen, *, under_profiler: bool = False) -> None:
    if process.poll() is not None:
        return
    if under_profiler:
        # Stop what py-spy watches, so py-spy itself ends and writes its profile.
        for pid in _descendants(process.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, 15)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
            return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running_stack(
    profile: Profile, layer: str, *, celery: bool = True, **extra: str
) -> Iterator[Stack]:
    """Start the web server (bench.asgi: the product plus the bare relay) for one layer.

    In-memory: one process. Redis layers: the profile's worker count, and in the production
    profile a Celery worker and beat beside it, as the Procfile runs them.
    """
    VAR.mkdir(parents=True, exist_ok=True)
    flush_redis(profile.redis_url if layer != "inmemory" else "")
    env = server_environment(profile, layer, **extra)
    workers = 1 if layer == "inmemory" else profile.web_workers
    port = free_port()
    command = [
        PY, "-m", "uvicorn", "bench.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--lifespan", "on", "--no-access-log", "--no-proxy-headers", "--log-level", "warning",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    profiler = os.environ.get("BENCH_PYSPY")
    if profiler:
        # py-spy samples every thread, the database thread included. Collapsed stacks, one
        # file per stack: grep them, or feed them to any flame graph tool.
        out = VAR / f"profile-{layer}-{int(time.time())}.txt"
        command = [profiler, "record", "--subprocesses", "--format", "raw", "-o", str(out), "--", *command]  # fmt: skip  # noqa: E501
    web_log = VAR / f"server-{layer}.log"
    started: list[subprocess.Popen] = []
    with open(web_log, "w") as log:
        web = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    started.append(web)
    others = []
    try:
        if layer != "inmemory" and profile.name == "production" and celery:
            prefix = env.get("CELERY_QUEUE_PREFIX", "")
            queues = f"{prefix}realtime,{prefix}batch"  # both, as the Procfile's worker
            for role, args in (
                ("worker", ["worker", "--loglevel", "WARNING", "--concurrency", "2", "-Q", queues]),
                (
                    "beat",
                    ["beat", "--loglevel", "WARNING", "--schedule", str(VAR / "beat-schedule")],
                ),
            ):
                with open(VAR / f"celery-{role}.log", "w") as log:
                    process = subprocess.Popen(
                        [PY, "-m", "celery", "-A", "marketplace", *args],
                        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    )  # fmt: skip
                others.append(process)
                started.append(process)
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(web, base, web_log)
        parts = [f"{workers} uvicorn process{'es' if workers > 1 else ''}", layer]
        if others:
            parts.append("Celery worker + beat")
        yield Stack(layer=layer, base=base, web=web, others=others, description=", ".join(parts))
    finally:
        for process in reversed(started):
            _stop(process, under_profiler=bool(profiler) and process is web)
