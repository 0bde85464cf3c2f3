"""Humanline settings: one module, read from the environment.

Two profiles, chosen by what is set:

* embedded (nothing set): a SQLite file, Channels' in-process layer, Celery tasks run
  eagerly in the calling process and the periodic jobs run on an in-process scheduler
  inside the ASGI server, so their pushes reach the same in-memory channel layer.
* production (``DATABASE_URL=postgres://…`` and ``REDIS_URL=redis://…``): PostgreSQL,
  channels_redis, the cache on Redis, and a Celery worker and beat of their own.

Every variable is documented in ``.env.example``.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key only exists so that `make run` works with nothing set; with DEBUG off
# a real key is required, so a forgotten variable fails loudly instead of signing cookies
# with a key from the repository.
_DEV_SECRET_KEY = "dev-insecure-humanline-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: it is required when DEBUG is off (50 or more random characters)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Where `make run` serves (bin/run exports both). Links mailed while answering a request are
# made from that request (core/site_url.py); SITE_URL is for work without one, and defaults
# to this server so that `PORT=8010 make run` mails links that work. A wildcard bind address
# is no address to click: those links name the loopback instead.
_HOST = env.str("HOST", default="127.0.0.1")
_PORT = env.int("PORT", default=8000)
_LINK_HOST = "127.0.0.1" if _HOST in ("0.0.0.0", "::", "") else _HOST  # noqa: S104
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"http://127.0.0.1:{_PORT}", f"http://localhost:{_PORT}"]
)
SITE_URL = (env.str("SITE_URL", default="") or f"http://{_LINK_HOST}:{_PORT}").rstrip("/")

# The proxies (IPs or CIDRs) whose X-Forwarded-For is believed when they are the peer: the
# load balancer's addresses. Empty: no proxy is trusted and the peer is the client
# (core/client_address.py). A malformed entry stops the start instead of being skipped.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP or CIDR.") from error

# The bearer token Prometheus scrapes /metrics with (docs/operations.md). Unset, /metrics
# answers 404: the figures are not public, and a deployment that has not chosen a token
# should not serve them to anyone.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
PRODUCTION_PROFILE = bool(DATABASE_URL and REDIS_URL)
# Web processes share their open websocket counts through Redis (marketplace/open_sockets.py).
OPEN_SOCKETS_SHARED = bool(REDIS_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served as static files
    "channels",
    # Only for its catalogues of translated country names (agents/countries.py).
    "django_countries",
    # The product's apps, lowest layer first: each imports only the apps listed before it
    # (docs/architecture.md; `make lint` checks it).
    "agents",
    "tickets",
    "workforce",
    "quality",
    "payouts",
    "portal",
    "ops",
]

MIDDLEWARE = [
    # First, so every answer (a redirect to HTTPS included) carries its X-Request-ID and
    # every log line of the request its request_id (marketplace/request_id.py).
    "marketplace.request_id.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, streaming files asynchronously under ASGI (core/static_files.py says why).
    "core.static_files.AsyncStaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The customer's language (docs/i18n.md): after the session, before CommonMiddleware.
    # The next one keeps the untranslated pages English and lets the chat's ?lang= (the
    # widget passes its host page's) win over the cookie and Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "marketplace.language.PageLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its process_exception runs first: a lost database or Redis is a 503.
    "marketplace.outages.OutageMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.navigation.header_links",
                "marketplace.language.language_switcher",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Test databases are named per process so that two test runs on one machine (a developer's
# and a background one) never drop each other's database mid-run.
_TEST_DB_SUFFIX = f"{os.getpid()}"

if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # Under ASGI, Django runs sync code in threads that come and go, so persistent connections
    # (CONN_MAX_AGE) would leak; a pool per process gives connections back instead. Without
    # it, every websocket frame's database call opened a connection (docs/performance.md).
    # Per process: its database thread, the executor threads of the hot socket calls and any
    # sync views. Keep processes × this under PostgreSQL's max_connections. The test suite
    # raises it (Makefile): its race tests run 60 threads in one process.
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=20)
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind pgbouncer in transaction mode (docs/operations.md, "PostgreSQL connections"): a
    # server-side cursor lives in a session, which such a pooler does not keep for us.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_PGBOUNCER", default=False)
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{_TEST_DB_SUFFIX}"
    }
    # Threads for the hot socket calls that run off the database thread (messages, claims,
    # escalations; tickets.consumers.parallel_database_call): one per pooled connection but
    # a few left for the database thread and sync views. The event loop's default executor
    # has cpu_count + 4: on two cores, six threads that escalations and claims queued for.
    _DEFAULT_DB_CALL_THREADS = max(4, DB_POOL_MAX_SIZE - 4) if DB_POOL_MAX_SIZE > 0 else 16
else:
    # The executor's usual cpu_count + 4. SQLite takes one writer at a time, but its readers
    # carry on beside it (WAL), and a single thread measured slower in the claim race.
    _DEFAULT_DB_CALL_THREADS = (os.cpu_count() or 1) + 4
    SQLITE_PATH = Path(env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # As for PostgreSQL: 0 opens a connection per websocket frame (Channels closes
            # old connections around every database_sync_to_async); docs/performance.md.
            "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=0),
            "OPTIONS": {
                # Writers queue up instead of failing: BEGIN IMMEDIATE takes the write lock
                # at the start of every transaction, so a claim's conditional UPDATE never
                # meets a lock upgrade deadlock, and WAL lets readers carry on meanwhile.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests use a file too: an in-memory shared-cache database reports "table is
            # locked" at once to concurrent threads instead of waiting for the lock.
            "TEST": {"NAME": str(BASE_DIR / f".test-db-{_TEST_DB_SUFFIX}.sqlite3")},
        }
    }
DB_CALL_THREADS = env.int("DB_CALL_THREADS", default=_DEFAULT_DB_CALL_THREADS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agents.User"

# --- Channels, cache, Celery ------------------------------------------------------------
# The two channels_redis layers by short name (a dotted path works too). The default is the
# one docs/performance.md measured faster on the relay and the fan-out.
_CHANNEL_LAYER_BACKENDS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
if REDIS_URL:
    # Pub/sub by default: in docs/performance.md it relayed at 2–5× the throughput of the
    # list-based RedisChannelLayer and delivered every fan-out push, where the other dropped
    # some. The layer is a doorbell either way: the database holds what a push carries.
    _layer = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _CHANNEL_LAYER_BACKENDS.get(_layer, _layer),
            # The prefix keeps two deployments (or a benchmark) on one Redis apart: pub/sub
            # channel names are global to the server, not per database number.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": 1500,
                "expiry": 30,
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A host in the memory URL too: Celery acquires a producer even for eager tasks, and kombu
# warns "No hostname was supplied" for each connection of a URL without one.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Embedded profile: tasks run in the process that enqueued them (after commit), so the
# same task code runs in both profiles and their pushes reach the in-memory layer.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# At-least-once delivery: a task is acknowledged after it ran, and a worker that dies
# mid-task hands it back. Every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TIMEZONE = "UTC"
# Two queues by kind, so a batch of payouts or a week's shift matching never holds up an
# assistant reply or an offer: `realtime` for what a customer or an agent is waiting on,
# `batch` for the rest. CELERY_TASK_ROUTES (end of this module) names the queue of every task;
# the Procfile's `worker` consumes both, `worker_realtime` and `worker_batch` one each.
# The prefix keeps two deployments, or a test's worker, on one Redis apart: every queue name
# (and beat's keys, below) starts with it.
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
CELERY_REALTIME_QUEUE = f"{CELERY_QUEUE_PREFIX}realtime"
CELERY_BATCH_QUEUE = f"{CELERY_QUEUE_PREFIX}batch"
# A task with no route (none of ours: tests/foundation/test_celery_queues.py) goes where a
# worker surely listens; /readyz asks for a worker on this queue.
CELERY_TASK_DEFAULT_QUEUE = CELERY_REALTIME_QUEUE
# Every task has a time limit: the soft one raises SoftTimeLimitExceeded in the task, which
# rolls back its open transaction (every task is safe to run again), the hard one kills the
# worker process. These fit the realtime tasks; the long ones set their own (each with why).
# Enforced by the prefork pool (the Procfile's workers), not by the tests' solo pool.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")
# Beat (production profile): its schedule and a lock live in Redis (celery-redbeat). A second
# beat started anywhere waits on the lock instead of sending every job twice; the holder
# renews it at every tick (at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds), and when
# it dies the lock expires after BEAT_LOCK_TIMEOUT_SECONDS. A waiting beat tries again every
# CELERY_BEAT_MAX_LOOP_INTERVAL seconds, so it takes over at most timeout + interval after.
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=5)
BEAT_LOCK_TIMEOUT_SECONDS = env.int("BEAT_LOCK_TIMEOUT_SECONDS", default=30)
if BEAT_LOCK_TIMEOUT_SECONDS <= 2 * CELERY_BEAT_MAX_LOOP_INTERVAL:
    # The holder renews the lock once a tick: a timeout close to a tick would lapse mid-tick.
    raise ImproperlyConfigured(
        "BEAT_LOCK_TIMEOUT_SECONDS must be more than twice CELERY_BEAT_MAX_LOOP_INTERVAL."
    )
CELERY_REDBEAT_LOCK_TIMEOUT = BEAT_LOCK_TIMEOUT_SECONDS
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Empty (as in .env.example) means the default.
CELERY_REDBEAT_KEY_PREFIX = (
    env.str("REDBEAT_KEY_PREFIX", default="") or f"{CELERY_QUEUE_PREFIX}redbeat:"
)
# The periodic jobs (CELERY_BEAT_SCHEDULE) are at the end of this module, after what they read.
# The in-process scheduler of the embedded profile (see marketplace/scheduler.py) runs only
# in the server started by `make run`, never in tests or management commands.
INPROCESS_SCHEDULER = env.bool("INPROCESS_SCHEDULER", default=False) and not REDIS_URL
# The project package is no Django app, so autodiscovery misses its tasks (beat's heartbeat).
CELERY_IMPORTS = ["marketplace.tasks"]

# --- Product rules ------------------------------------------------------------------
AGENT_DEFAULT_CAPACITY = env.int("AGENT_DEFAULT_CAPACITY", default=3)
AGENT_DISCONNECT_GRACE_SECONDS = env.int("AGENT_DISCONNECT_GRACE_SECONDS", default=60)
TICKET_ABANDON_AFTER_SECONDS = env.int("TICKET_ABANDON_AFTER_SECONDS", default=30 * 60)
CHAT_MAX_BODY_CHARS = 4000
WS_MAX_FRAMES_PER_SECOND = env.int("WS_MAX_FRAMES_PER_SECOND", default=10)
AGENT_QUEUE_RESYNC_SECONDS = env.int("AGENT_QUEUE_RESYNC_SECONDS", default=4)
# Presence comes from the client: an agent socket sends a heartbeat (or any frame) at least
# every AGENT_HEARTBEAT_SECONDS; one silent for AGENT_HEARTBEAT_TIMEOUT_SECONDS is dead,
# whatever its TCP connection says: the server closes it and forgets it (docs/reliability.md).
AGENT_HEARTBEAT_SECONDS = env.int("AGENT_HEARTBEAT_SECONDS", default=15)
AGENT_HEARTBEAT_TIMEOUT_SECONDS = env.int("AGENT_HEARTBEAT_TIMEOUT_SECONDS", default=45)
if AGENT_HEARTBEAT_TIMEOUT_SECONDS < 2 * AGENT_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "AGENT_HEARTBEAT_TIMEOUT_SECONDS must be at least twice AGENT_HEARTBEAT_SECONDS."
    )
# Routing (docs/dispatch.md): how queued tickets reach agents. "offer" offers each ticket to
# the best free agent in turn, who has OFFER_TIMEOUT_SECONDS to accept; "pick" is the open
# queue that agents claim from; "hybrid" does both (docs/dispatch.md says when to choose which).
ROUTING_MODES = ("offer", "pick", "hybrid")
ROUTING_MODE = env.str("ROUTING_MODE", default="offer")
if ROUTING_MODE not in ROUTING_MODES:
    raise ImproperlyConfigured(f"ROUTING_MODE must be one of {', '.join(ROUTING_MODES)}.")
OFFER_TIMEOUT_SECONDS = env.int("OFFER_TIMEOUT_SECONDS", default=15)
# An agent who lets this many offers in a row run out is set away until it comes back.
OFFER_MISSES_BEFORE_AWAY = env.int("OFFER_MISSES_BEFORE_AWAY", default=3)
if OFFER_TIMEOUT_SECONDS < 1 or OFFER_MISSES_BEFORE_AWAY < 1:
    raise ImproperlyConfigured("OFFER_TIMEOUT_SECONDS and OFFER_MISSES_BEFORE_AWAY must be >= 1.")
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
HEALTH_PROBE_TIMEOUT_SECONDS = env.float("HEALTH_PROBE_TIMEOUT_SECONDS", default=1.5)
# /readyz (docs/reliability.md): how long to wait for a worker's answer, how long a good
# answer is reused (a probe storm then costs the broker one broadcast), and how old beat's
# heartbeat (every BEAT_HEARTBEAT_SECONDS, see CELERY_BEAT_SCHEDULE) may be before beat
# counts as stopped: above the beat lock's takeover time, so a handover does not read as one.
READYZ_WORKER_PING_TIMEOUT_SECONDS = env.float("READYZ_WORKER_PING_TIMEOUT_SECONDS", default=1.0)
READYZ_WORKER_CACHE_SECONDS = env.float("READYZ_WORKER_CACHE_SECONDS", default=5.0)
READYZ_BEAT_STALE_SECONDS = env.int("READYZ_BEAT_STALE_SECONDS", default=60)
# Shorter only in tests (the beat lock's, tests/foundation/test_beat_lock.py).
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=15)

# --- Stripe ---------------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# The library's own retries of connection errors and 5xx, under the same idempotency key.
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
PAYOUT_HOLD_HOURS = env.int("PAYOUT_HOLD_HOURS", default=24)
PAYOUT_MINIMUM_CENTS = env.int("PAYOUT_MINIMUM_CENTS", default=1000)
if PAYOUT_HOLD_HOURS < 0 or PAYOUT_MINIMUM_CENTS < 1:
    raise ImproperlyConfigured(
        "PAYOUT_HOLD_HOURS must be 0 or more, and PAYOUT_MINIMUM_CENTS 1 or more."
    )
PAYOUT_CURRENCY = env.str("PAYOUT_CURRENCY", default="usd")
# How long a worker sending a payout holds it; one killed mid-send delays it this long.
PAYOUT_SEND_LEASE_SECONDS = env.int("PAYOUT_SEND_LEASE_SECONDS", default=5 * 60)

# --- Quality (docs/quality.md) --------------------------------------------------------
# How long after a resolve the customer may say it did not help, or write again, and reopen
# it; a resolution unconfirmed for this long counts as confirmed.
REOPEN_WINDOW_HOURS = env.int("REOPEN_WINDOW_HOURS", default=72)
# The share of resolved conversations sampled for review, besides every 1–2 star rating,
# reopen and complaint.
QA_SAMPLE_PERCENT = env.float("QA_SAMPLE_PERCENT", default=5.0)
# Resolved tickets an agent works on probation before the score may make them standard.
PROBATION_TICKETS = env.int("PROBATION_TICKETS", default=20)
if REOPEN_WINDOW_HOURS < 1 or not 0 <= QA_SAMPLE_PERCENT <= 100 or PROBATION_TICKETS < 0:
    raise ImproperlyConfigured(
        "REOPEN_WINDOW_HOURS must be 1 or more, QA_SAMPLE_PERCENT from 0 to 100 and "
        "PROBATION_TICKETS 0 or more."
    )

# --- Assistant ------------------------------------------------------------------------
# An optional LLM for the assistant's answers (tickets/assistant/llm.py), used only when all
# three are set; otherwise the local backend answers. Read once per process.
ASSISTANT_LLM_BASE_URL = env.str("ASSISTANT_LLM_BASE_URL", default="")
ASSISTANT_LLM_MODEL = env.str("ASSISTANT_LLM_MODEL", default="")
ASSISTANT_LLM_API_KEY = env.str("ASSISTANT_LLM_API_KEY", default="")
# The conversation's language from the customer's first message (tickets/language.py): "high"
# accuracy (about 250 MB per web process, built at start), "low" (about 20 MB, but sometimes
# confidently wrong between close languages) or "off" (the page's or the API's language only).
LANGUAGE_DETECTION = env.str("LANGUAGE_DETECTION", default="high")
if LANGUAGE_DETECTION not in ("high", "low", "off"):
    raise ImproperlyConfigured("LANGUAGE_DETECTION must be one of high, low, off.")

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Humanline <no-reply@humanline.local>")

# --- Auth and security ----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the portal's scripts read it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers' probes and the metrics scraper speak plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# JSON request bodies (core/json_input.py) are refused past these limits before they are
# parsed: the parser recurses once per level of nesting, so without a depth limit 2 KB of
# "[[[[" raised RecursionError. 5 MiB holds the largest escalation (200 turns of 4,000
# characters) even with every character sent as a \uXXXX escape.
JSON_MAX_BYTES = env.int("JSON_MAX_BYTES", default=5 * 1024 * 1024)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
if not 3 <= JSON_MAX_DEPTH <= 200:
    raise ImproperlyConfigured("JSON_MAX_DEPTH must be from 3 (an escalation's depth) to 200.")

# Conversations a client address may start, in DRF's notation ("30/minute"). `make
# schema-check` raises it for its own server, whose fuzzing comes from one address.
CONVERSATION_CREATE_RATE = env.str("CONVERSATION_CREATE_RATE", default="30/minute")
if not re.fullmatch(
    r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", CONVERSATION_CREATE_RATE
):
    raise ImproperlyConfigured("CONVERSATION_CREATE_RATE must read like 30/minute.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON in and out, as the schema (/api/schema/) says: a form body could not carry an
    # escalation's transcript, and the browsable API's HTML is no answer the schema lists.
    "DEFAULT_PARSER_CLASSES": ["core.json_input.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client address (core.throttles). Logins have their own throttle, of failures
    # (agents.services.login_attempt_reserve), not a DRF rate.
    "DEFAULT_THROTTLE_RATES": {"conversation_create": CONVERSATION_CREATE_RATE},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Humanline API",
    "DESCRIPTION": "Conversations, escalations and agent sessions for Humanline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from our static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- I18N, static ---------------------------------------------------------------------
# The customer side speaks these (docs/i18n.md); the portal, onboarding and admin stay
# English for now. English is the default and the language of anything unmarked.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("de", "Deutsch"),
    ("sv", "Svenska"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logs and errors (docs/operations.md) ---------------------------------------------
# One JSON object a line in production, for a log collector to parse; plain text in
# development, for people. Either way each line carries the request id and, where known,
# the ticket, the agent and the Celery task (core/log_context.py).
# Empty (as .env.example leaves it) means the default too.
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
# 1: log every periodic job's run at INFO, even those that found nothing to do
# (marketplace/log_filters.py).
LOG_PERIODIC_JOBS = env.bool("LOG_PERIODIC_JOBS", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "log_context": {"()": "core.log_context.ContextFilter"},
        "quiet_idle_periodic_jobs": {"()": "marketplace.log_filters.QuietIdlePeriodicJobs"},
    },
    "formatters": {
        "json": {"()": "core.log_context.JsonFormatter"},
        "text": {"()": "core.log_context.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["log_context", "quiet_idle_periodic_jobs"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # uvicorn set up its own handlers before loading the application; its lines go
        # through ours instead, so that a JSON log has no plain lines among its objects.
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
    },
}

# Errors to Sentry, only when SENTRY_DSN is set: Django views, Celery tasks (a worker loads
# this module too) and, through marketplace/asgi.py, websockets. Nothing of Sentry is
# imported otherwise. What is kept from the reports (no bodies, cookies, local variables or
# conversation tokens) is in marketplace/error_reporting.py.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from marketplace import error_reporting

    error_reporting.start(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Agent onboarding (docs/agents.md) ------------------------------------------------
# The share of quiz questions an applicant must answer correctly, in whole percent.
AGENT_QUIZ_PASS_PERCENT = env.int("AGENT_QUIZ_PASS_PERCENT", default=80)
if not 1 <= AGENT_QUIZ_PASS_PERCENT <= 100:
    raise ImproperlyConfigured("AGENT_QUIZ_PASS_PERCENT must be from 1 to 100.")
# A wait after a failed attempt, so the quiz cannot be brute-forced by guessing.
AGENT_QUIZ_RETRY_COOLDOWN_HOURS = env.int("AGENT_QUIZ_RETRY_COOLDOWN_HOURS", default=24)
# How long an email verification link works; a new one can be sent from the status page.
AGENT_EMAIL_VERIFY_MAX_AGE_HOURS = env.int("AGENT_EMAIL_VERIFY_MAX_AGE_HOURS", default=48)
# At most one "send the link again" per applicant in this many seconds.
AGENT_EMAIL_VERIFY_RESEND_SECONDS = env.int("AGENT_EMAIL_VERIFY_RESEND_SECONDS", default=60)

# --- Payouts (docs/payouts.md) --------------------------------------------------------
# Pending payouts are the outbox: run_payouts gathers payable lines into them, drain_payouts
# sends the due ones (with their stored backoff), release_held_earnings ends holds on time.
PAYOUT_RUN_SECONDS = env.int("PAYOUT_RUN_SECONDS", default=15 * 60)

# --- Shifts, staffing and surge (docs/shifts.md) --------------------------------------
# Service level the staffing aims for: this share of escalations claimed within this wait.
SHIFT_TARGET_SHARE_PCT = env.int("SHIFT_TARGET_SHARE_PCT", default=80)
if not 1 <= SHIFT_TARGET_SHARE_PCT <= 99:
    raise ImproperlyConfigured("SHIFT_TARGET_SHARE_PCT must be from 1 to 99.")
SHIFT_TARGET_WAIT_SECONDS = env.int("SHIFT_TARGET_WAIT_SECONDS", default=60)
# Weeks of ticket history the forecast averages over.
SHIFT_FORECAST_WEEKS = env.int("SHIFT_FORECAST_WEEKS", default=4)
# Shifts are blocks of this many hours on a fixed UTC grid (00:00, 04:00, …): long enough
# to be worth logging in for, and what keeps the matcher from scattering lone half hours.
SHIFT_BLOCK_HOURS = env.int("SHIFT_BLOCK_HOURS", default=4)
if SHIFT_BLOCK_HOURS not in (1, 2, 3, 4, 6, 8, 12):
    raise ImproperlyConfigured("SHIFT_BLOCK_HOURS must divide a day (1, 2, 3, 4, 6, 8, 12).")
SHIFT_MAX_HOURS_PER_DAY = env.int("SHIFT_MAX_HOURS_PER_DAY", default=8)
SHIFT_MIN_REST_HOURS = env.int("SHIFT_MIN_REST_HOURS", default=8)
# Erlang A (docs/shifts.md): customers' mean patience is measured over this many days of
# queued tickets; with fewer abandonments than the minimum, the default is used instead.
SHIFT_PATIENCE_WINDOW_DAYS = env.int("SHIFT_PATIENCE_WINDOW_DAYS", default=28)
SHIFT_PATIENCE_MIN_ABANDONMENTS = env.int("SHIFT_PATIENCE_MIN_ABANDONMENTS", default=30)
SHIFT_DEFAULT_PATIENCE_SECONDS = env.int("SHIFT_DEFAULT_PATIENCE_SECONDS", default=180)
# Per-chat speed of an agent holding k chats, relative to one chat ("k:share,…"); used for a
# level until SHIFT_EFFICIENCY_MIN_TICKETS resolved tickets at it measure it instead.
try:
    SHIFT_CHAT_EFFICIENCY = {
        int(level): float(share)
        for level, share in (
            item.split(":")
            for item in env.list("SHIFT_CHAT_EFFICIENCY", default=["1:1.0", "2:0.85", "3:0.7"])
        )
    }
except ValueError as error:
    raise ImproperlyConfigured("SHIFT_CHAT_EFFICIENCY reads like 1:1.0,2:0.85,3:0.7.") from error
if not SHIFT_CHAT_EFFICIENCY.get(1) or any(
    level < 1 or not 0 < share <= 1 for level, share in SHIFT_CHAT_EFFICIENCY.items()
):
    raise ImproperlyConfigured("SHIFT_CHAT_EFFICIENCY needs 1:… and shares in (0, 1].")
SHIFT_EFFICIENCY_MIN_TICKETS = env.int("SHIFT_EFFICIENCY_MIN_TICKETS", default=30)
# How long an agent has to accept an offer (never past the shift's start).
SHIFT_OFFER_HOURS = env.int("SHIFT_OFFER_HOURS", default=24)
# Matching leaves alone slots starting sooner than this: nobody could accept in time.
SHIFT_MATCH_LEAD_MINUTES = env.int("SHIFT_MATCH_LEAD_MINUTES", default=60)
# Not online this long after a shift's start: a no-show.
SHIFT_NO_SHOW_MINUTES = env.int("SHIFT_NO_SHOW_MINUTES", default=10)
# A replacement offer for a running shift must be answered this fast.
SHIFT_REPLACEMENT_OFFER_MINUTES = env.int("SHIFT_REPLACEMENT_OFFER_MINUTES", default=10)
# A surge starts when a language's oldest queued ticket has waited longer than the target,
# and ends when it is back under the end threshold (lower, so it does not flap).
SURGE_WAIT_TARGET_SECONDS = env.int("SURGE_WAIT_TARGET_SECONDS", default=60)
SURGE_END_WAIT_SECONDS = env.int("SURGE_END_WAIT_SECONDS", default=30)
if SURGE_END_WAIT_SECONDS > SURGE_WAIT_TARGET_SECONDS:
    raise ImproperlyConfigured("SURGE_END_WAIT_SECONDS must not exceed SURGE_WAIT_TARGET_SECONDS.")

# Tickets waiting with nobody online who can take them (tickets/unserved.py): operators are
# warned once the oldest has waited this long, and at most once per language and skills per
# throttle (decided in the cache, so across processes).
QUEUE_UNSERVED_ALERT_AFTER_SECONDS = env.int("QUEUE_UNSERVED_ALERT_AFTER_SECONDS", default=60)
QUEUE_UNSERVED_ALERT_THROTTLE_SECONDS = env.int(
    "QUEUE_UNSERVED_ALERT_THROTTLE_SECONDS", default=15 * 60
)

# The operator's cockpit (docs/ops.md): a customer should have a person within this many
# seconds (today's service level counts the share who did; past it, a queue's oldest wait is
# an alert), and staff are emailed about one alert at most once per throttle.
SERVICE_LEVEL_TARGET_SECONDS = env.int("SERVICE_LEVEL_TARGET_SECONDS", default=60)
ALERT_EMAIL_THROTTLE_MINUTES = env.int("ALERT_EMAIL_THROTTLE_MINUTES", default=15)
if SERVICE_LEVEL_TARGET_SECONDS < 1 or ALERT_EMAIL_THROTTLE_MINUTES < 1:
    raise ImproperlyConfigured(
        "SERVICE_LEVEL_TARGET_SECONDS and ALERT_EMAIL_THROTTLE_MINUTES must be 1 or more."
    )

# The reply by email to a customer who left a message (tickets/reply_by_email.py): a sender
# holds the send this long; an email claimed longer ago, or resolved longer ago and never
# claimed, is sent again by the sweep. Longer than a send may take (the task's hard limit),
# or a second sender would take over one still sending.
REPLY_EMAIL_LEASE_SECONDS = env.int("REPLY_EMAIL_LEASE_SECONDS", default=600)
if REPLY_EMAIL_LEASE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "REPLY_EMAIL_LEASE_SECONDS must be longer than CELERY_TASK_TIME_LIMIT."
    )

# --- Operations (docs/ops.md) --------------------------------------------------
# The time zone whose days the always-a-human report counts in (an IANA name). Changing it
# changes what a day is: run `manage.py backfill_human_access` after.
OPS_REPORT_TIME_ZONE = env.str("OPS_REPORT_TIME_ZONE", default="UTC")
try:
    ZoneInfo(OPS_REPORT_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"OPS_REPORT_TIME_ZONE {OPS_REPORT_TIME_ZONE!r} is no IANA time zone."
    ) from None

# --- Periodic jobs --------------------------------------------------------------------
# Celery beat runs them in production, the in-process scheduler (marketplace/scheduler.py)
# in the embedded profile. Tasks are named by string, not imported (settings load before the
# apps); workers find a task by that name, so renaming one strands messages already queued.
CELERY_BEAT_SCHEDULE = {
    # /readyz reads when this last ran to tell whether beat (and a worker) still run. It
    # expires with its period: a backlog run by a worker come back must not pass for beat.
    "beat-heartbeat": {
        "task": "marketplace.tasks.beat_heartbeat",
        "schedule": timedelta(seconds=BEAT_HEARTBEAT_SECONDS),
        "options": {"expires": BEAT_HEARTBEAT_SECONDS},
    },
    # Tickets (docs/protocol.md).
    "return-tickets-of-departed-agents": {
        "task": "tickets.tasks.requeue_tickets_of_departed_agents",
        "schedule": timedelta(seconds=10),
    },
    "abandon-stale-tickets": {
        "task": "tickets.tasks.abandon_stale_tickets",
        "schedule": timedelta(seconds=30),
    },
    # Confirmed resolution (docs/quality.md): a resolve unconfirmed past REOPEN_WINDOW_HOURS
    # counts as confirmed, and its pay line is released.
    "confirm-quiet-resolutions": {
        "task": "tickets.tasks.confirm_quiet_resolutions",
        "schedule": timedelta(minutes=5),
    },
    # Reply emails whose sender died, ran out of retries or was never enqueued
    # (tickets/reply_by_email.py).
    "send-overdue-reply-emails": {
        "task": "tickets.tasks.send_overdue_reply_emails",
        "schedule": timedelta(minutes=2),
    },
    # Offers (docs/dispatch.md): expiry and a dispatch round every second, the safety net
    # behind the triggers; a no-op in pick routing, so left in the schedule in every mode.
    "dispatch-offers": {
        "task": "tickets.tasks.dispatch_offers",
        "schedule": timedelta(seconds=1),
    },
    "refresh-queue-positions": {
        "task": "tickets.tasks.broadcast_queue_positions",
        "schedule": timedelta(seconds=5),
    },
    # Operators hear of the cockpit's alerts (docs/ops.md), throttled per alert: a long
    # wait, tickets nobody online can take, a failed payout. It took over from
    # tickets.tasks.alert_unserved_queue (kept, unscheduled, for messages already queued),
    # so an unserved queue is one email, not two.
    "ops-alert-staff": {
        "task": "ops.tasks.alert_staff",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    # Bring-your-own-AI webhooks (tickets/integrations.py). A failed delivery stores when to
    # try again (exponential backoff); this drains the due ones, and stores any resolve
    # notification whose enqueue was lost.
    "deliver-due-webhooks": {
        "task": "tickets.tasks.deliver_due_webhooks",
        "schedule": timedelta(seconds=15),
    },
    # Payouts (docs/payouts.md): the outbox's three jobs, described in the Payouts section.
    "run-payouts": {
        "task": "payouts.tasks.run_payouts",
        "schedule": timedelta(seconds=PAYOUT_RUN_SECONDS),
    },
    "drain-payouts": {
        "task": "payouts.tasks.drain_payouts",
        "schedule": timedelta(seconds=60),
    },
    "release-held-earnings": {
        "task": "payouts.tasks.release_held_earnings",
        "schedule": timedelta(seconds=60),
    },
    # Shifts, staffing and surge (docs/shifts.md).
    "plan-and-match-shifts": {
        "task": "agents.tasks.plan_and_match_shifts",
        "schedule": timedelta(hours=1),
    },
    "expire-shift-offers": {
        "task": "agents.tasks.expire_shift_offers",
        "schedule": timedelta(minutes=1),
    },
    "sweep-shift-no-shows": {
        "task": "agents.tasks.sweep_shift_no_shows",
        "schedule": timedelta(minutes=1),
    },
    "complete-ended-shifts": {
        "task": "agents.tasks.complete_ended_shifts",
        "schedule": timedelta(minutes=5),
    },
    "check-surge": {
        "task": "agents.tasks.check_surge",
        "schedule": timedelta(seconds=10),
    },
    # Quality (docs/quality.md): every agent's score and tier from the last 30 days, once a
    # night; idempotent, so a missed night is made good by the next run or a manual one.
    "compute-quality-scores": {
        "task": "quality.tasks.compute_quality_scores",
        "schedule": crontab(minute=0, hour=2),
    },
    # Quality (docs/quality.md): consequences are proposed from the day's scores, so after
    # the scores are computed (02:00 UTC); staff decide every one.
    "propose-consequences": {
        "task": "quality.tasks.propose_consequences",
        "schedule": crontab(minute=30, hour=2),
    },
    # The always-a-human report's history (docs/ops.md): today and yesterday again,
    # since tickets escalated before midnight are served or given up after it.
    "record-human-access": {
        "task": "ops.tasks.record_human_access",
        "schedule": timedelta(minutes=10),
    },
}

# --- Queues by kind (see CELERY_QUEUE_PREFIX above) -------------------------------------
# realtime: someone is waiting on it now (a customer on a reply, an agent on an offer, a
# company on its webhook, /readyz on beat's heartbeat). batch: minutes do not matter (mail,
# payouts, shift planning, the assistant's vectors, sweeps of long-gone customers). Every
# task of the project is named here: tests/foundation/test_celery_queues.py fails otherwise.
_TASKS_BY_QUEUE = {
    CELERY_REALTIME_QUEUE: [
        "marketplace.tasks.beat_heartbeat",
        "tickets.tasks.assistant_reply",
        "tickets.tasks.dispatch_offers",
        "tickets.tasks.broadcast_queue_positions",
        "tickets.tasks.requeue_tickets_of_departed_agents",
        "tickets.tasks.deliver_resolved_ticket_webhook",
        "tickets.tasks.deliver_due_webhooks",
        # Surge is decided from the live queue's wait, every 10 s; its emails are batch.
        "agents.tasks.check_surge",
    ],
    CELERY_BATCH_QUEUE: [
        "tickets.tasks.prepare_assistant",
        "tickets.tasks.abandon_stale_tickets",
        # Resolutions whose reopen window passed quietly count as confirmed (docs/quality.md).
        "tickets.tasks.confirm_quiet_resolutions",
        # Emails staff (throttled) about tickets nobody online can take.
        "tickets.tasks.alert_unserved_queue",
        # The cockpit's alerts to staff, every 30 s (docs/ops.md).
        "ops.tasks.alert_staff",
        # The answer to a customer who left a message, after its ticket is resolved.
        "tickets.tasks.send_reply_email",
        "tickets.tasks.send_overdue_reply_emails",
        "agents.tasks.send_verification_email",
        "agents.tasks.send_status_email",
        "agents.tasks.plan_and_match_shifts",
        "agents.tasks.offer_slot_to_others",
        "agents.tasks.expire_shift_offers",
        "agents.tasks.sweep_shift_no_shows",
        "agents.tasks.complete_ended_shifts",
        "agents.tasks.send_shift_offers_email",
        "agents.tasks.send_surge_offers",
        "payouts.tasks.run_payouts",
        "payouts.tasks.drain_payouts",
        "payouts.tasks.send_payout",
        "payouts.tasks.release_held_earnings",
        "quality.tasks.compute_quality_scores",
        "quality.tasks.propose_consequences",
        "quality.tasks.send_consequence_email",
        "ops.tasks.record_human_access",
    ],
}
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, tasks in _TASKS_BY_QUEUE.items() for task in tasks
}
