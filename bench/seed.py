"""Bench data, written straight to the bench database in bulk (run in the bench process).

Fixtures, like tests/factories.py, not product writes: a thousand agents through
agents.services.agent_create would hash a thousand passwords. Each agent is what
agent_create makes of an approved applicant (active, email verified, code of conduct
accepted); each socket's login is a session row made with the session engine, as a login
would, so the login throttle (5 per email, 20 per address) is never involved.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from agents.models import Agent, User
from agents.vocabulary import SKILL_CODES
from tickets.models import Ticket, new_conversation_token

ALL_SKILLS = sorted(SKILL_CODES)
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - bench database only


@dataclass(frozen=True)
class SeededAgent:
    id: int
    email: str
    cookie: str  # the Cookie header value of a logged-in session


def reset() -> None:
    """Empty every table of the bench database: each part starts from nothing."""
    call_command("flush", interactive=False, verbosity=0)


def migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


@transaction.atomic
def agents(*, count: int, prefix: str, capacity: int = 3) -> list[SeededAgent]:
    """Active agents speaking English with every skill, each with a live session."""
    now = timezone.now()
    password = make_password(BENCH_PASSWORD)  # hashed once, shared: hashing is the slow part
    users = User.objects.bulk_create(
        User(
            email=f"{prefix}-{i:05d}@bench.example.com",
            first_name=f"Agent{i}",
            password=password,
            is_active=True,
        )
        for i in range(count)
    )
    if users and users[0].pk is None:  # a backend that does not return ids
        by_email = dict(
            User.objects.filter(email__startswith=f"{prefix}-").values_list("email", "pk")
        )
        for user in users:
            user.pk = by_email[user.email]
    profiles = Agent.objects.bulk_create(
        Agent(
            user=user,
            status=Agent.Status.ACTIVE,
            languages=["en"],
            skills=ALL_SKILLS,
            capacity=capacity,
            email_verified_at=now,
            code_of_conduct_accepted_at=now,
        )
        for user in users
    )
    if profiles and profiles[0].pk is None:
        by_user = dict(Agent.objects.filter(user__in=users).values_list("user_id", "pk"))
        for profile in profiles:
            profile.pk = by_user[profile.user_id]
    store = SessionStore()
    sessions = []
    seeded = []
    for user, profile in zip(users, profiles, strict=True):
        key = get_random_string(32, string.ascii_lowercase + string.digits)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=now + timedelta(days=1),
            )
        )
        seeded.append(
            SeededAgent(
                id=profile.pk, email=user.email, cookie=f"{settings.SESSION_COOKIE_NAME}={key}"
            )
        )
    Session.objects.bulk_create(sessions)
    return seeded


def _ids_of(tickets: list[Ticket]) -> list[tuple[int, str]]:
    if tickets and tickets[0].pk is None:
        by_token = dict(
            Ticket.objects.filter(token__in=[t.token for t in tickets]).values_list("token", "pk")
        )
        for ticket in tickets:
            ticket.pk = by_token[ticket.token]
    return [(ticket.pk, ticket.token) for ticket in tickets]


@transaction.atomic
def conversations(*, count: int, language: str = "en") -> list[tuple[int, str]]:
    """Conversations still with the assistant: (ticket id, customer token)."""
    tickets = Ticket.objects.bulk_create(
        Ticket(token=new_conversation_token(), customer_name=f"Customer {i}", language=language)
        for i in range(count)
    )
    return _ids_of(tickets)


@transaction.atomic
def assigned_conversations(*, holders: list[SeededAgent]) -> list[tuple[int, str]]:
    """One conversation already held by each agent: (ticket id, customer token)."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            token=new_conversation_token(),
            customer_name=f"Customer {i}",
            language="en",
            status=Ticket.Status.ASSIGNED,
            agent_id=holder.id,
            required_skills=["general"],
            escalated_at=now,
            claimed_at=now,
        )
        for i, holder in enumerate(holders)
    )
    return _ids_of(tickets)
