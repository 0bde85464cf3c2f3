"""Both settings profiles load from the environment alone, and production really is
PostgreSQL and Redis when the variables are set."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.servers import run_django_probe

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from marketplace.celery import app; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'], "
    "'eager': app.conf.task_always_eager, 'broker': app.conf.broker_url}))"
)


def load_profile(**env: str) -> dict:
    inherited_out = {"DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_BACKEND"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited_out}
    clean.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings", "SECRET_KEY": "x" * 50})
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_profile_loads_with_nothing_set():
    profile = load_profile()
    assert profile == {
        "db": "django.db.backends.sqlite3",
        "layer": "channels.layers.InMemoryChannelLayer",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "eager": True,
        "broker": "memory://localhost/",
    }


def test_production_profile_loads_postgres_and_redis_from_the_variables():
    profile = load_profile(
        DATABASE_URL="postgres://u:p@db.internal:5432/humanline",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert profile == {
        "db": "django.db.backends.postgresql",
        "layer": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "eager": False,
        "broker": "redis://cache.internal:6379/0",
    }


PGBOUNCER_PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
)


@pytest.mark.parametrize(("pgbouncer", "disabled"), [("", "False"), ("1", "True")])
def test_db_pgbouncer_turns_off_server_side_cursors(pgbouncer, disabled):
    out = run_django_probe(
        PGBOUNCER_PROBE,
        unset=("DB_PGBOUNCER",),
        DATABASE_URL="postgres://u:p@db.internal:6432/humanline",
        REDIS_URL="redis://cache.internal:6379/0",
        **({"DB_PGBOUNCER": pgbouncer} if pgbouncer else {}),
    )

    assert out.stdout.strip().splitlines()[-1] == disabled


def test_the_list_based_redis_layer_can_be_chosen_instead_of_pubsub():
    profile = load_profile(
        DATABASE_URL="postgres://u:p@db.internal:5432/humanline",
        REDIS_URL="redis://cache.internal:6379/0",
        CHANNEL_LAYER_BACKEND="redis",
    )
    assert profile["layer"] == "channels_redis.core.RedisChannelLayer"


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "marketplace.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_trusted_proxies_are_read_as_a_list_of_addresses_and_networks():
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.TRUSTED_PROXIES)"
    )
    clean = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXIES"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "SECRET_KEY": "x" * 50,
            "TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.10",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip().splitlines()[-1] == "['10.0.0.0/8', '192.0.2.10']"


def test_settings_refuse_to_start_with_a_trusted_proxy_that_is_not_an_address():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "SECRET_KEY": "x" * 50,
            "TRUSTED_PROXIES": "10.0.0.0/8,loadbalancer.internal",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'loadbalancer.internal' is not an IP or CIDR" in result.stderr


def routing_settings(**env: str) -> subprocess.CompletedProcess:
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.ROUTING_MODE, s.OFFER_TIMEOUT_SECONDS, s.OFFER_MISSES_BEFORE_AWAY)"
    )
    names = {"ROUTING_MODE", "OFFER_TIMEOUT_SECONDS", "OFFER_MISSES_BEFORE_AWAY"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "SECRET_KEY": "x" * 50}
        | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression: str, **env: str) -> subprocess.CompletedProcess:
    probe = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_routing_offers_tickets_with_a_fifteen_second_timeout_by_default():
    result = routing_settings()
    assert result.stdout.strip().splitlines()[-1] == "offer 15 3"


def test_the_routing_mode_and_offer_timings_are_read_from_the_environment():
    result = routing_settings(
        ROUTING_MODE="hybrid", OFFER_TIMEOUT_SECONDS="20", OFFER_MISSES_BEFORE_AWAY="5"
    )
    assert result.stdout.strip().splitlines()[-1] == "hybrid 20 5"


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"ROUTING_MODE": "random"}, "ROUTING_MODE must be one of offer, pick, hybrid"),
        ({"OFFER_TIMEOUT_SECONDS": "0"}, "must be >= 1"),
        ({"OFFER_MISSES_BEFORE_AWAY": "0"}, "must be >= 1"),
    ],
)
def test_settings_refuse_to_start_with_an_unknown_routing_mode_or_offer_timing(env, complaint):
    result = routing_settings(**env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_the_conversation_create_rate_is_read_from_the_environment():
    result = settings_value(
        "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['conversation_create']",
        SECRET_KEY="x" * 50,
        CONVERSATION_CREATE_RATE="500/hour",
    )

    assert result.stdout.strip().splitlines()[-1] == "500/hour"


def test_settings_refuse_to_start_with_a_conversation_create_rate_that_is_no_rate():
    result = settings_value("1", SECRET_KEY="x" * 50, CONVERSATION_CREATE_RATE="30 per minute")

    assert result.returncode != 0
    assert "CONVERSATION_CREATE_RATE must read like 30/minute" in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_run_uses_postgresql_when_database_url_is_set():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


@pytest.mark.redis
async def test_channels_redis_delivers_between_two_layer_instances():
    from channels_redis.core import RedisChannelLayer

    sender = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="hl-test")
    receiver = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="hl-test")
    channel = await receiver.new_channel()
    await sender.send(channel, {"type": "hello", "n": 1})
    assert await receiver.receive(channel) == {"type": "hello", "n": 1}
    await sender.flush()
