"""The demo's canned replies (issue #19): `seed_demo` loads a useful set for Acme Pay, once."""

import pytest
from django.core.management import call_command

from tickets.demo_canned_replies import DEMO_CANNED_REPLIES
from tickets.models import CannedReply

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_canned_replies_once(settings):
    settings.DEBUG = True

    call_command("seed_demo", "--agents", "0")
    first = sorted(CannedReply.objects.values_list("language", "title"))
    call_command("seed_demo", "--agents", "0")

    assert len(first) == len(DEMO_CANNED_REPLIES) >= 8
    assert sorted(CannedReply.objects.values_list("language", "title")) == first
    assert CannedReply.objects.filter(language="en", is_active=True).count() >= 8


def test_seed_demo_leaves_an_admins_edit_of_a_canned_reply_alone(settings):
    settings.DEBUG = True
    CannedReply.objects.create(title="Greeting", language="en", body="Hello from the admin.")

    call_command("seed_demo", "--agents", "0")

    assert CannedReply.objects.get(title="Greeting", language="en").body == "Hello from the admin."
