import time

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_dependency_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok", "broker": "ok"}


def test_healthz_answers_503_naming_redis_when_redis_is_unreachable(client, settings):
    closed_port = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = closed_port
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [closed_port]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    started = time.monotonic()

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert body["channel_layer"] != "ok"
    assert time.monotonic() - started < 5


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405
