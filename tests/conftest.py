import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from core import counters
from marketplace.celery import app as celery_app

pytest_plugins = ["tests.fakes.stripe_fixtures"]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Drop the test database cleanly even when server processes or worker threads of the
    run left sessions open on it (PostgreSQL refuses to drop a database in use)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


@pytest.fixture(scope="session")
def assistant_warm():
    """The demo help centre and the sensitive-topic examples embedded once per test process
    (~10 s), so that no test waits for them inside a timeout. Kept in the process's memo
    only: a test that needs them in the database calls assistant_flow.assistant_prepare."""
    from tickets.assistant import embeddings, prepare
    from tickets.assistant.demo_articles import demo_article_records

    store = embeddings._store
    embeddings.configure(store=None)
    try:
        prepare(demo_article_records())
    finally:
        embeddings.configure(store=store)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # With it go the throttles' process-local counts, kept while the shared cache is down.
    cache.clear()
    counters.forget()
    yield
    cache.clear()
    counters.forget()


@pytest.fixture
def cache_unreachable(_fresh_cache):
    """The default cache on a Redis that does not answer (nothing listens on port 1), for
    tests of a Redis outage. Undone before the cache is cleared after the test."""
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=unreachable):
        yield


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tests see a task's effect at once, in both profiles; tests of the real worker opt out."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """A fresh in-process channel layer per test, so no push leaks between tests; with it
    goes what the process learnt from pushes about tickets taken."""
    from tickets import consumers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OPEN_SOCKETS_SHARED = False
    channel_layers.backends.clear()
    consumers.claims.forget()
    yield
    channel_layers.backends.clear()
    consumers.claims.forget()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request with Accept-Language leaves its language active in the test's thread: put
    the default back, so the next test does not run in German."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness (~0.5 s a user here) buys nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_http_test_client(settings):
    # Tests run with DEBUG off, as production does; the test client speaks plain HTTP, which
    # production's HTTPS redirect would bounce. Live servers get the same via their env.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _pages_render_without_collectstatic(settings):
    # The manifest storage needs `collectstatic` first; pages rendered by the test client
    # only need the URLs. Live servers (tests/servers.py) do collect and use the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def pushes(monkeypatch):
    """What the code pushes to the channel layer, kept here instead of sent: (group, event)."""
    from tickets import events

    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "push_many", lambda batch: sent.extend(batch))
    return sent
