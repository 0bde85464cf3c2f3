"""`manage.py create_agent`: for operators and scripts, checked by the same services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent, AgentStatusEvent, User
from tests.agents.onboarding_support import GOOD_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def create_agent(*args: str) -> str:
    out = StringIO()
    call_command("create_agent", *args, stdout=out)
    return out.getvalue()


def test_an_approved_agent_is_active_at_once_and_may_work():
    out = create_agent(
        "--email",
        "Ops.Made@Example.com",
        "--password",
        GOOD_PASSWORD,
        "--first-name",
        "Mateo",
        "--skills",
        "billing, refunds",
        "--languages",
        "en,es",
        "--approved",
    )

    agent = Agent.objects.select_related("user").get()
    assert "Created agent ops.made@example.com (active: may go online now)." in out
    assert agent.user.email == "ops.made@example.com"
    assert agent.user.check_password(GOOD_PASSWORD)
    assert agent.user.first_name == "Mateo"
    assert agent.status == Agent.Status.ACTIVE
    assert agent.may_work
    assert agent.skills == ["billing", "general", "refunds"]
    assert agent.languages == ["en", "es"]
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status) == ("applied", "active")
    assert event.reason == "created active by an operator"


def test_without_approved_the_agent_starts_onboarding_and_gets_a_link(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = create_agent("--email", "new@example.com", "--password", GOOD_PASSWORD)

    agent = Agent.objects.get()
    assert agent.status == Agent.Status.APPLIED
    assert not agent.may_work
    assert agent.languages == ["en"]
    assert "A verification link was emailed" in out
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert "/agents/verify/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--skills", "billing,cooking"], "Unknown skill(s): cooking."),
        (["--languages", "en,klingon"], "Unknown language code(s): klingon."),
        (["--languages", ","], "At least one language is required."),
        (["--password", "12345678"], "Password: This password is too common."),
        (["--password", "abc"], "Password: This password is too short."),
        (["--email", "not-an-email"], "not-an-email is not a valid email address."),
        (["--email", "TAKEN@example.com"], "An account with taken@example.com already exists."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_created(args, message, mailoutbox):
    UserFactory(email="taken@example.com")
    defaults = {"--email": "new@example.com", "--password": GOOD_PASSWORD}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        defaults[flag] = value
    argv = [item for pair in defaults.items() for item in pair] + ["--approved"]

    with pytest.raises(CommandError) as refused:
        create_agent(*argv)

    assert message in str(refused.value)
    assert User.objects.count() == 1
    assert Agent.objects.count() == 0
    assert mailoutbox == []


def test_every_problem_is_reported_at_once():
    with pytest.raises(CommandError) as refused:
        create_agent(
            "--email", "x@example.com", "--password", "1", "--skills", "nope", "--languages", "zz"
        )

    text = str(refused.value)
    assert "Unknown skill(s): nope." in text
    assert "Unknown language code(s): zz." in text
    assert "Password:" in text


def test_email_and_password_are_required():
    with pytest.raises(CommandError, match="--email"):
        call_command("create_agent", "--password", GOOD_PASSWORD)
