"""Agent onboarding: apply, verify the email, train and pass the quiz, be reviewed, accept the
code of conduct, set up payouts. docs/agents.md describes the whole flow.

Every status change goes through ``agents.services.agent_transition`` (the state machine and
its audit row); the functions here decide *when*, check the onboarding rules, and stamp the
milestones. Emails leave through Celery tasks enqueued on commit, never from inside a
transaction. Views, admin actions and management commands call these; none of them writes an
agent directly.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.countries import is_country_code
from agents.models import Agent, AgentStatusEvent, QuizAttempt, QuizChoice, QuizQuestion, User
from agents.services import (
    AgentTransitionError,
    agent_create,
    agent_transition,
    validate_languages,
    validate_skills,
)
from agents.vocabulary import Skill
from core.dates import format_when
from core.jobs import enqueue_on_commit
from core.site_url import site_url_or_default

logger = logging.getLogger(__name__)

S = Agent.Status

MOTIVATION_MAX_CHARS = 1000
WEEKDAYS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
MAX_RANGES_PER_DAY = 6
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class OnboardingError(Exception):
    """A refused onboarding step; the message is written for the applicant."""


class VerificationLinkInvalid(OnboardingError):
    pass


class VerificationLinkExpired(OnboardingError):
    def __init__(self, message: str, *, agent_id: int | None) -> None:
        super().__init__(message)
        self.agent_id = agent_id


class QuizCooldown(OnboardingError):
    def __init__(self, message: str, *, available_at: datetime) -> None:
        super().__init__(message)
        self.available_at = available_at


# --- Validation of what an applicant tells us ----------------------------------------------


@functools.cache
def time_zone_names() -> frozenset[str]:
    # Walking the time zone database takes a few milliseconds; it does not change at runtime.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> str:
    value = value.strip()
    if value not in time_zone_names():
        raise ValidationError(
            _("Unknown time zone: %(value)s. Pick one from the list.")
            % {"value": value or _("(blank)")}
        )
    return value


def validate_country(value: str) -> str:
    code = value.strip().upper()
    if not is_country_code(code):
        raise ValidationError(
            _("Unknown country: %(value)s. Pick one from the list.")
            % {"value": value or _("(blank)")}
        )
    return code


def validate_weekly_availability(value: Mapping[str, object]) -> dict[str, list[list[str]]]:
    """Check ``{"mon": [["09:00", "13:00"]], …}``: known days, HH:MM times (an end may be
    24:00), each range ending after it starts, ranges of a day not overlapping, and at least
    one range in the week. Returns it with the ranges of each day sorted."""
    if not isinstance(value, Mapping):
        raise ValidationError(_("Weekly availability must map days to time ranges."))
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValidationError(
            _("Unknown day(s) in availability: %(days)s.") % {"days": ", ".join(unknown)}
        )
    cleaned: dict[str, list[list[str]]] = {}
    errors: list[str] = []
    for day, day_name in WEEKDAYS.items():
        ranges = value.get(day) or []
        if not isinstance(ranges, list) or len(ranges) > MAX_RANGES_PER_DAY:
            errors.append(
                _("%(day)s: give at most %(count)s time ranges.")
                % {"day": day_name, "count": MAX_RANGES_PER_DAY}
            )
            continue
        parsed: list[list[str]] = []
        for item in ranges:
            if (
                not isinstance(item, list | tuple)
                or len(item) != 2
                or not all(isinstance(t, str) for t in item)
                or not _TIME.match(item[0])
                or not (_TIME.match(item[1]) or item[1] == "24:00")
            ):
                errors.append(
                    _("%(day)s: “%(typed)s” is not a time range like 09:00-13:00.")
                    % {"day": day_name, "typed": _as_typed(item)}
                )
                continue
            start, end = item
            if end <= start:
                errors.append(
                    _("%(day)s: %(start)s-%(end)s ends before it starts.")
                    % {"day": day_name, "start": start, "end": end}
                )
                continue
            parsed.append([start, end])
        parsed.sort()
        for earlier, later in zip(parsed, parsed[1:], strict=False):
            if later[0] < earlier[1]:
                errors.append(
                    _("%(day)s: %(first)s and %(second)s overlap.")
                    % {
                        "day": day_name,
                        "first": f"{earlier[0]}-{earlier[1]}",
                        "second": f"{later[0]}-{later[1]}",
                    }
                )
        if parsed:
            cleaned[day] = parsed
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError(_("Tell us at least one time in the week when you can work."))
    return cleaned


def _as_typed(item: object) -> str:
    """A range as the applicant wrote it ("9 to 5"), not as Python shows the parsed list."""
    if isinstance(item, list | tuple) and all(isinstance(part, str) for part in item):
        return "-".join(part for part in item if part)
    return str(item)


def validate_new_password(password: str, *, email: str, first_name: str, last_name: str) -> None:
    """Django's password validators, with the applicant's own details to compare against."""
    validate_password(password, user=User(email=email, first_name=first_name, last_name=last_name))


# --- Applying ------------------------------------------------------------------------------


def validate_application(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str = "",
    segment: str,
    country: str,
    time_zone: str,
    languages: Iterable[str],
    skills: Iterable[str],
    weekly_availability: Mapping[str, object],
    motivation: str,
) -> dict:
    """Check an application without writing anything; return it cleaned (normalised email,
    codes, sorted availability, ``general`` added to the skills).

    Raises ``ValidationError`` whose ``error_dict`` is keyed by the argument names, with
    every problem found, not just the first.
    """
    errors: dict[str, list[str]] = {}

    def check(field: str, validate, *args, **kwargs):
        try:
            return validate(*args, **kwargs)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
            return None

    email = email.strip().lower()
    first_name, last_name = first_name.strip(), last_name.strip()
    motivation = motivation.strip()
    check("email", validate_email, email)
    if "email" not in errors and User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_duplicate_email_message(email)]
    if not first_name:
        errors["first_name"] = [_("Tell us your name.")]
    check(
        "password",
        validate_new_password,
        password,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    if segment not in Agent.Segment.values:
        errors["segment"] = [_("Unknown segment: %(value)s.") % {"value": segment or _("(blank)")}]
    country = check("country", validate_country, country)
    time_zone = check("time_zone", validate_time_zone, time_zone)
    languages = check("languages", validate_languages, languages)
    skills = check("skills", validate_skills, skills)
    if skills is not None:
        # Every agent takes general questions; tickets that need nothing more require it.
        skills = sorted({Skill.GENERAL.value, *skills})
    availability = check("weekly_availability", validate_weekly_availability, weekly_availability)
    if not motivation:
        errors["motivation"] = [_("Tell us in a sentence or two why you want to do this work.")]
    elif len(motivation) > MOTIVATION_MAX_CHARS:
        errors["motivation"] = [
            _("Keep it to %(limit)s characters (this is %(length)s).")
            % {"limit": MOTIVATION_MAX_CHARS, "length": len(motivation)}
        ]
    if errors:
        raise ValidationError(errors)
    return {
        "email": email,
        "password": password,
        "first_name": first_name,
        "last_name": last_name,
        "segment": segment,
        "country": country,
        "time_zone": time_zone,
        "languages": languages,
        "skills": skills,
        "weekly_availability": availability,
        "motivation": motivation,
    }


def agent_apply(
    *,
    site_url: str | None = None,
    preferred_language: str = settings.LANGUAGE_CODE,
    **application,
) -> Agent:
    """Create an applicant (status applied) and send the verification link after commit.

    Takes the arguments of ``validate_application``, which checks everything before anything
    is written, the ``site_url`` the link starts with (core/site_url.py) and the language the
    applicant read the form in, which its emails are then written in. The writes
    share one transaction, so a refused application leaves nothing behind. Raises
    ``ValidationError`` keyed by field.
    """
    cleaned = validate_application(**application)
    email = cleaned["email"]
    try:
        with transaction.atomic():
            agent = agent_create(**cleaned, preferred_language=preferred_language)
            _after_commit_send_verification(agent.pk, site_url)
    except (IntegrityError, ValidationError):
        # Another application with this address got in after the check above: agent_create's
        # own check or the unique email refuses this one. (Its other checks already passed.)
        raise ValidationError({"email": [_duplicate_email_message(email)]}) from None
    return agent


def _duplicate_email_message(email: str) -> str:
    return _(
        "An account with %(email)s already exists. Log in instead, or use another address."
    ) % {"email": email}


# --- Email verification --------------------------------------------------------------------

_VERIFY_SALT = "agents.onboarding.email-verification"


def _email_fingerprint(email: str) -> str:
    # The link is bound to the address it was sent to without spelling it out in the URL.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:20]


def email_verification_token(agent: Agent) -> str:
    return signing.dumps(
        {"agent": agent.pk, "email": _email_fingerprint(agent.user.email)},
        salt=_VERIFY_SALT,
        compress=True,
    )


def email_verification_url(agent: Agent, *, site_url: str | None = None) -> str:
    path = reverse("agent-verify", kwargs={"token": email_verification_token(agent)})
    return site_url_or_default(site_url) + path


def agent_verify_email(*, token: str) -> Agent:
    """applied → email verified, from a signed link that expires. Clicking a used link again
    is harmless: it returns the agent unchanged."""
    max_age = timedelta(hours=settings.AGENT_EMAIL_VERIFY_MAX_AGE_HOURS)
    try:
        payload = signing.loads(token, salt=_VERIFY_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise VerificationLinkExpired(
            _("This verification link has expired. Log in and we will send you a new one."),
            agent_id=_agent_id_of_expired(token),
        ) from None
    except signing.BadSignature:
        raise VerificationLinkInvalid(
            _("This verification link is not valid. Check that you copied all of it.")
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("agent"), int):
        raise VerificationLinkInvalid(_("This verification link is not valid."))

    with transaction.atomic():
        agent = (
            Agent.objects.select_for_update()
            .select_related("user")
            .filter(pk=payload["agent"])
            .first()
        )
        if agent is None or payload.get("email") != _email_fingerprint(agent.user.email):
            raise VerificationLinkInvalid(_("This verification link is not valid."))
        if agent.email_verified_at is not None:
            return agent
        if agent.status != S.APPLIED:
            raise VerificationLinkInvalid(_("This application is closed."))
        agent = agent_transition(
            agent_id=agent.pk,
            to_status=S.EMAIL_VERIFIED,
            actor=agent.user,
            reason="verified the email address",
        )
        agent.email_verified_at = timezone.now()
        agent.save(update_fields=["email_verified_at", "updated_at"])
    return agent


def _agent_id_of_expired(token: str) -> int | None:
    # The signature already checked out (only the age failed), so the payload is ours.
    try:
        payload = signing.loads(token, salt=_VERIFY_SALT, max_age=None)
    except signing.BadSignature:
        return None
    agent_id = payload.get("agent") if isinstance(payload, dict) else None
    return agent_id if isinstance(agent_id, int) else None


def agent_resend_verification(*, agent_id: int, site_url: str | None = None) -> None:
    """Send a fresh link to an applicant who has not verified yet, at most once a minute."""
    agent = Agent.objects.get(pk=agent_id)
    if agent.status != S.APPLIED or agent.email_verified_at is not None:
        raise OnboardingError(_("Your email address is already verified."))
    window = settings.AGENT_EMAIL_VERIFY_RESEND_SECONDS
    # cache.add is atomic: of two simultaneous requests only one wins the slot.
    if not cache.add(f"agents:verify-resend:{agent_id}", 1, timeout=window):
        raise OnboardingError(
            _("We sent you a link a moment ago. Check your inbox (and spam) before asking again.")
        )
    _after_commit_send_verification(agent.pk, site_url)


def _after_commit_send_verification(agent_id: int, site_url: str | None) -> None:
    enqueue_on_commit("agents.tasks.send_verification_email", agent_id, site_url)


def email_verification_send(*, agent_id: int, site_url: str | None = None) -> None:
    """Render and send the verification email (called by the Celery task)."""
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    if agent.email_verified_at is not None:
        return  # a redelivered task after the applicant already clicked
    context = {
        "agent": agent,
        "url": email_verification_url(agent, site_url=site_url),
        "max_age_hours": settings.AGENT_EMAIL_VERIFY_MAX_AGE_HOURS,
    }
    _send(agent, "agent_verify_email", context)


# --- Training and the quiz -----------------------------------------------------------------


@transaction.atomic
def agent_start_training(*, agent_id: int) -> Agent:
    """email verified → training. Starting twice is harmless."""
    agent = Agent.objects.select_for_update().select_related("user").get(pk=agent_id)
    if agent.status == S.TRAINING:
        return agent
    if agent.status != S.EMAIL_VERIFIED:
        raise OnboardingError(_not_now(agent, "start_training"))
    return agent_transition(
        agent_id=agent.pk, to_status=S.TRAINING, actor=agent.user, reason="started training"
    )


def quiz_questions() -> QuerySet[QuizQuestion]:
    """The questions asked and scored now, with their choices."""
    return QuizQuestion.objects.filter(is_active=True).prefetch_related(
        Prefetch("choices", queryset=QuizChoice.objects.order_by("position", "id"))
    )


def quiz_retry_available_at(agent: Agent, *, now: datetime | None = None) -> datetime | None:
    """When the agent may take the quiz again after a failed attempt; None if it may now."""
    now = now or timezone.now()
    last = agent.quiz_attempts.order_by("-submitted_at", "-id").first()
    if last is None or last.passed:
        return None
    available_at = last.submitted_at + timedelta(hours=settings.AGENT_QUIZ_RETRY_COOLDOWN_HOURS)
    return available_at if available_at > now else None


def quiz_attempt_submit(
    *, agent_id: int, answers: Mapping[int, int | None], now: datetime | None = None
) -> QuizAttempt:
    """Score a quiz on the server and record the attempt; a pass moves training → awaiting
    review.

    ``answers`` maps question ids to the chosen choice ids. Only the active questions are
    scored, out of all of them: an answer that is missing, names another question's choice,
    or names a question not asked counts for nothing, so no tampered form can raise the score.
    The agent row is locked first, so a double submit cannot slip past the cooldown.
    """
    now = now or timezone.now()
    pass_percent = settings.AGENT_QUIZ_PASS_PERCENT
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").get(pk=agent_id)
        if agent.status != S.TRAINING:
            raise OnboardingError(_not_now(agent, "take_quiz"))
        available_at = quiz_retry_available_at(agent, now=now)
        if available_at is not None:
            raise QuizCooldown(
                _("You can take the quiz again from %(when)s UTC.")
                % {"when": format_when(available_at)},
                available_at=available_at,
            )
        questions = list(quiz_questions())
        if not questions:
            raise OnboardingError(_("The quiz is not ready yet. Please come back later."))

        record = []
        correct_count = 0
        for question in questions:
            choices = {choice.pk: choice for choice in question.choices.all()}
            chosen = choices.get(_as_int(answers.get(question.pk)))
            is_correct = bool(chosen and chosen.is_correct)
            correct_count += is_correct
            record.append(
                {
                    "question": question.pk,
                    "question_text": question.text,
                    "choice": chosen.pk if chosen else None,
                    "choice_text": chosen.text if chosen else "",
                    "correct": is_correct,
                }
            )
        question_count = len(questions)
        # Integer arithmetic: 4 of 5 at an 80% mark passes exactly, with no rounding.
        passed = correct_count * 100 >= pass_percent * question_count
        attempt = QuizAttempt.objects.create(
            agent=agent,
            submitted_at=now,
            question_count=question_count,
            correct_count=correct_count,
            score_percent=correct_count * 100 // question_count,
            pass_percent=pass_percent,
            passed=passed,
            answers=record,
        )
        if passed:
            agent_transition(
                agent_id=agent.pk,
                to_status=S.AWAITING_REVIEW,
                actor=agent.user,
                reason=f"passed the quiz with {attempt.score_percent}%",
            )
    return attempt


def _as_int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --- Review in the admin -------------------------------------------------------------------


def agent_approve(*, agent_id: int, actor: User, reason: str, site_url: str | None = None) -> Agent:
    """awaiting review → approved. The agent becomes active by accepting the code of conduct.

    Only from awaiting review: suspended → approved is reinstatement, a different decision.
    """
    return _review(
        agent_id=agent_id,
        to_status=S.APPROVED,
        actor=actor,
        reason=reason,
        from_statuses={S.AWAITING_REVIEW},
        site_url=site_url,
    )


def agent_reject(*, agent_id: int, actor: User, reason: str, site_url: str | None = None) -> Agent:
    return _review(
        agent_id=agent_id, to_status=S.REJECTED, actor=actor, reason=reason, site_url=site_url
    )


def agent_suspend(*, agent_id: int, actor: User, reason: str, site_url: str | None = None) -> Agent:
    """→ suspended. An active agent's sockets close and its tickets return to the queue
    (agent_transition does both after commit)."""
    return _review(
        agent_id=agent_id, to_status=S.SUSPENDED, actor=actor, reason=reason, site_url=site_url
    )


def agent_send_back_to_training(
    *, agent_id: int, actor: User, reason: str, site_url: str | None = None
) -> Agent:
    """awaiting review → training: the reviewer wants the quiz taken again."""
    return _review(
        agent_id=agent_id, to_status=S.TRAINING, actor=actor, reason=reason, site_url=site_url
    )


def agent_reinstate(
    *, agent_id: int, actor: User, reason: str, site_url: str | None = None
) -> Agent:
    """suspended → the status it was suspended from (active, or approved if it had not yet
    accepted the code of conduct)."""
    agent = Agent.objects.get(pk=agent_id)
    if agent.status != S.SUSPENDED:
        raise OnboardingError(f"{agent} is not suspended.")
    return _review(
        agent_id=agent_id,
        to_status=_status_before_suspension(agent),
        actor=actor,
        reason=reason,
        from_statuses={S.SUSPENDED},
        site_url=site_url,
    )


def _status_before_suspension(agent: Agent) -> str:
    last = (
        AgentStatusEvent.objects.filter(agent=agent, to_status=S.SUSPENDED)
        .order_by("-created_at", "-id")
        .first()
    )
    if last is not None and last.from_status in (S.ACTIVE, S.APPROVED):
        return last.from_status
    return S.ACTIVE if agent.code_of_conduct_accepted_at else S.APPROVED


def _review(
    *,
    agent_id: int,
    to_status: str,
    actor: User,
    reason: str,
    from_statuses: set[str] | None = None,
    site_url: str | None = None,
) -> Agent:
    """One reviewer decision: a reason is required, the transition is audited with it, and
    the agent is told by email after commit. ``from_statuses`` narrows the state machine for
    decisions that share a target status with another decision; the email's links start
    with ``site_url`` (the reviewer's request; SITE_URL without one)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("A reason is required; it is recorded and sent to the agent.")
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        if from_statuses is not None and agent.status not in from_statuses:
            raise AgentTransitionError(
                f"An agent who is {agent.get_status_display().lower()} cannot be "
                f"{'reinstated' if S.SUSPENDED in from_statuses else 'approved'}."
            )
        agent = agent_transition(agent_id=agent_id, to_status=to_status, actor=actor, reason=reason)
        # Written by agent_transition a moment ago, in this transaction.
        event = AgentStatusEvent.objects.filter(agent_id=agent_id).latest("created_at", "id")
        _after_commit_send_status_email(event.pk, site_url)
    return agent


def _after_commit_send_status_email(event_id: int, site_url: str | None) -> None:
    enqueue_on_commit("agents.tasks.send_status_email", event_id, site_url)


STATUS_EMAILS = {
    # (from, to) or (None, to): template under templates/emails/ and subject, lazily
    # translated: it is read inside the agent's language (_send).
    (S.SUSPENDED, S.ACTIVE): (
        "agent_reinstated",
        gettext_lazy("Your Humanline account is active again"),
    ),
    (S.SUSPENDED, S.APPROVED): (
        "agent_reinstated",
        gettext_lazy("Your Humanline account is active again"),
    ),
    (S.AWAITING_REVIEW, S.TRAINING): (
        "agent_back_to_training",
        gettext_lazy("Please retake the quiz"),
    ),
    (None, S.APPROVED): ("agent_approved", gettext_lazy("You're approved to work on Humanline")),
    (None, S.REJECTED): ("agent_rejected", gettext_lazy("Your Humanline application")),
    (None, S.SUSPENDED): ("agent_suspended", gettext_lazy("Your Humanline account is suspended")),
}


def status_email_send(*, event_id: int, site_url: str | None = None) -> None:
    """Tell an agent about a reviewer's decision (called by the Celery task)."""
    event = AgentStatusEvent.objects.select_related("agent__user").get(pk=event_id)
    key = (event.from_status, event.to_status)
    template = STATUS_EMAILS.get(key) or STATUS_EMAILS.get((None, event.to_status))
    if template is None:
        return
    agent = event.agent
    base = site_url_or_default(site_url)
    context = {
        "agent": agent,
        "reason": event.reason,
        "site_url": base,
        "status_url": base + reverse("agent-status"),
        "conduct_url": base + reverse("agent-conduct"),
        "training_url": base + reverse("agent-training"),
    }
    _send(agent, template[0], context, subject=template[1])


# --- Going online --------------------------------------------------------------------------


@transaction.atomic
def agent_accept_code_of_conduct(*, agent_id: int) -> Agent:
    """approved → active: the agent accepts the code of conduct itself, so nobody talks to a
    customer without having agreed to the rules in their own name."""
    agent = Agent.objects.select_for_update().select_related("user").get(pk=agent_id)
    if agent.status != S.APPROVED:
        raise OnboardingError(_not_now(agent, "accept_conduct"))
    agent = agent_transition(
        agent_id=agent.pk,
        to_status=S.ACTIVE,
        actor=agent.user,
        reason="accepted the code of conduct",
    )
    agent.code_of_conduct_accepted_at = timezone.now()
    agent.save(update_fields=["code_of_conduct_accepted_at", "updated_at"])
    return agent


# --- Reads for the pages and the portal ----------------------------------------------------


def next_step_url(agent: Agent) -> str | None:
    """Where an agent who may not work yet should go next; None once it is active.

    The portal calls this after login and sends anyone not yet active there.
    """
    if agent.status == S.ACTIVE:
        return None
    if agent.status in (S.EMAIL_VERIFIED, S.TRAINING):
        return reverse("agent-training")
    if agent.status == S.APPROVED:
        return reverse("agent-conduct")
    # applied (check your email), awaiting review, suspended, rejected: the status page says
    # what is happening and what, if anything, the agent can do.
    return reverse("agent-status")


def payout_setup_url(agent: Agent) -> str | None:
    """The payouts page while an agent who earns (or will soon) has no working payout
    account; None when payouts are ready or the agent cannot earn."""
    if agent.payouts_enabled or agent.status not in PAYOUT_SETUP_STATUSES:
        return None
    return reverse("agent-payouts")


# Who may connect a payout account: approved and active agents, and suspended ones, who may
# still be owed pay for tickets they resolved.
PAYOUT_SETUP_STATUSES = frozenset({S.APPROVED, S.ACTIVE, S.SUSPENDED})


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | current | todo


ONBOARDING_STEPS = [
    gettext_lazy("Apply"),
    gettext_lazy("Verify your email"),
    gettext_lazy("Training and quiz"),
    gettext_lazy("Review by our team"),
    gettext_lazy("Accept the code of conduct"),
]
# The step each status is working on; an active agent has done them all.
_CURRENT_STEP = {
    S.APPLIED: 1,
    S.EMAIL_VERIFIED: 2,
    S.TRAINING: 2,
    S.AWAITING_REVIEW: 3,
    S.APPROVED: 4,
    S.ACTIVE: len(ONBOARDING_STEPS),
}


def onboarding_steps(agent: Agent) -> list[Step]:
    """The applicant's progress for the status page. A suspended agent keeps the steps it
    had done and has none current; a rejected one has none to show."""
    if agent.status == S.REJECTED:
        return []
    if agent.status == S.SUSPENDED:
        done_before = _CURRENT_STEP[_status_before_suspension(agent)]
        return [
            Step(label, "done" if i < done_before else "todo")
            for i, label in enumerate(ONBOARDING_STEPS)
        ]
    current = _CURRENT_STEP[agent.status]
    return [
        Step(label, "done" if i < current else "current" if i == current else "todo")
        for i, label in enumerate(ONBOARDING_STEPS)
    ]


NOT_NOW = {
    "start_training": gettext_lazy(
        "You cannot start training while your application is %(status)s."
    ),
    "take_quiz": gettext_lazy("You cannot take the quiz while your application is %(status)s."),
    "accept_conduct": gettext_lazy(
        "You cannot accept the code of conduct while your application is %(status)s."
    ),
}


def _not_now(agent: Agent, step: str) -> str:
    status = agent.get_status_display()
    # Mid-sentence the status is lower case ("in training"), but German keeps its nouns'
    # capitals ("E-Mail bestätigt").
    if translation.get_language() != "de":
        status = status.lower()
    return NOT_NOW[step] % {"status": status}


# --- Mail ----------------------------------------------------------------------------------


def _send(
    agent: Agent, template: str, context: dict, *, subject: str | Promise | None = None
) -> None:
    # In the language the agent reads Humanline in (docs/i18n.md), whatever is active here.
    with translation.override(agent.email_language):
        body = render_to_string(f"emails/{template}.txt", context)
        if subject is None:
            subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        subject = str(subject)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.user.email])
