"""Small things of issue #19: admin names in good English, a favicon, and no warnings in the
embedded profile's log (kombu's missing hostname, Django's sync iterators under ASGI)."""

from __future__ import annotations

import re
import warnings

import pytest
from django.apps import apps
from django.test import AsyncClient, AsyncRequestFactory

from core.static_files import AsyncStaticFilesMiddleware
from tests.factories import UserFactory
from tests.servers import run_django_probe

pytestmark = pytest.mark.django_db


def test_no_model_is_called_replys_or_entrys_in_the_admin(client):
    wrong = [
        model._meta.label
        for model in apps.get_models()
        if re.search(r"[^aeiou]ys$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    index = client.get("/admin/").content.decode()

    for name in ["Canned replies", "Rate card entries", "Webhook deliveries"]:
        assert f">{name}</a>" in index


def test_favicon_ico_is_answered_with_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"


def test_pages_name_their_icon(client):
    page = client.get("/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in page


EMBEDDED_BROKER_PROBE = """
import io, logging, django
django.setup()
from marketplace.celery import app
caught = io.StringIO()
logging.getLogger("kombu").addHandler(logging.StreamHandler(caught))
connection = app.connection_for_write()
connection._info()  # what a pooled producer's connection is made from
print(connection.transport_cls, "warned" if "No hostname" in caught.getvalue() else "quiet")
"""


def test_the_embedded_broker_url_names_a_host_so_kombu_does_not_warn():
    # In a process of its own: this run may be the production profile (Redis as broker).
    probe = run_django_probe(EMBEDDED_BROKER_PROBE, unset=("DATABASE_URL", "REDIS_URL"), DEBUG="1")

    assert probe.stdout.split()[-2:] == ["memory", "quiet"]


@pytest.fixture
def static_from_finders(settings):
    # Tests run without collectstatic; the finders serve the files as in DEBUG.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


async def test_static_files_stream_under_asgi_without_the_sync_iterator_warning(
    static_from_finders,
):
    client = AsyncClient()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = await client.get("/static/humanline.css")
        body = b"".join([part async for part in response])

    assert response.status_code == 200
    assert response.is_async
    assert body.startswith(b":root")
    assert [str(w.message) for w in caught if "synchronous iterators" in str(w.message)] == []


async def test_a_not_modified_static_file_streams_under_asgi_too(static_from_finders):
    # Through the middleware itself: the test client empties a 304's body with a plain list
    # of its own, which Django's ASGI handler never does.
    middleware = AsyncStaticFilesMiddleware(get_response=None)
    etag = middleware(AsyncRequestFactory().get("/static/humanline.css"))["ETag"]

    response = middleware(
        AsyncRequestFactory().get("/static/humanline.css", headers={"If-None-Match": etag})
    )

    assert response.status_code == 304
    assert response.is_async
    assert [part async for part in response] == []
