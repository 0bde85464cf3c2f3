"""The portal page carries the release dialog (issue #19): a <dialog> with the reasons the
release frame's reason is chosen from, not a browser prompt."""

import pytest
from django.utils.html import escape

from portal.views import RELEASE_REASONS
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_the_portal_page_has_the_release_dialog_with_its_reasons(client):
    client.force_login(AgentFactory().user)

    response = client.get("/portal/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<dialog id="release-dialog"' in page
    for reason in RELEASE_REASONS:
        assert f'value="{escape(reason)}"' in page
    assert 'value="other"' in page
