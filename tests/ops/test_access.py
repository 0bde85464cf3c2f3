"""Every /ops/ URL is for staff: anonymous users go to the admin's login, agents get 403.

The URLs are read from ops.urls, so a view added later is checked without touching this."""

import pytest
from django.urls import URLPattern, reverse

from ops import urls as ops_urls
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def ops_paths() -> list[str]:
    paths = []
    for pattern in ops_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        # Routes with arguments would need values here; there are none yet.
        assert not pattern.pattern.converters, f"give {pattern.name} arguments in this test"
        paths.append(reverse(f"ops:{pattern.name}"))
    assert "/ops/" in paths
    return paths


@pytest.mark.parametrize("path", ops_paths())
def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    assert path in response["Location"].replace("%2F", "/")


@pytest.mark.parametrize("path", ops_paths())
def test_an_agent_is_refused(client, path):
    client.force_login(AgentFactory().user)

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ops_paths())
def test_a_logged_in_non_staff_user_without_an_agent_is_refused(client, path):
    client.force_login(UserFactory())

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ops_paths())
def test_staff_see_it(client, path):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("path", ops_paths())
def test_it_refuses_post(client, path):
    client.force_login(UserFactory(is_staff=True))

    assert client.post(path).status_code == 405
