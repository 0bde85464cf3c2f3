"""Links in emails work on whatever address the server runs on (issue #19): made from the
request that caused the email where there is one, from SITE_URL otherwise, and SITE_URL
defaults from HOST and PORT, as `make run` serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents import onboarding
from agents.models import Agent
from tests.agents.onboarding_support import applicant
from tests.agents.test_onboarding import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
S = Agent.Status


def test_the_verification_link_points_where_the_application_was_sent(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/agents/apply/", application(), HTTP_HOST="localhost:8123")

    assert "http://localhost:8123/agents/verify/" in mailoutbox[0].body


def test_a_resent_verification_link_points_where_it_was_asked_for(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant(S.APPLIED)
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/agents/verify/resend/", HTTP_HOST="127.0.0.1:8124")

    assert "http://127.0.0.1:8124/agents/verify/" in mailoutbox[0].body


def test_the_approval_email_links_the_site_the_reviewer_approved_on(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    agent = applicant(S.AWAITING_REVIEW)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/agents/agent/",
            {"action": "approve", "_selected_action": [agent.pk], "apply": "1", "reason": "Good"},
            HTTP_HOST="localhost:8125",
        )

    assert "http://localhost:8125/agents/conduct/" in mailoutbox[0].body


def test_without_a_request_the_links_start_with_site_url(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://support.example.com"
    agent = applicant(S.AWAITING_REVIEW)

    with django_capture_on_commit_callbacks(execute=True):
        onboarding.agent_approve(agent_id=agent.pk, actor=UserFactory(), reason="Good")

    assert "https://support.example.com/agents/conduct/" in mailoutbox[0].body


def site_url_setting(**env: str) -> str:
    probe = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    inherited_out = {"SITE_URL", "HOST", "PORT"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited_out}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "marketplace.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8010", "SITE_URL": ""}, "http://127.0.0.1:8010"),  # as .env.example has it
        ({"PORT": "8010"}, "http://127.0.0.1:8010"),
        ({"HOST": "localhost", "PORT": "9000"}, "http://localhost:9000"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://127.0.0.1:9000"),  # noqa: S104
        (
            {"PORT": "9000", "SITE_URL": "https://support.example.com/"},
            "https://support.example.com",
        ),
    ],
)
def test_site_url_defaults_from_host_and_port(env, expected):
    assert site_url_setting(**env) == expected
