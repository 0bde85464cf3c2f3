"""Pages of agent onboarding (docs/agents.md): thin edges that parse a form, call a service in
agents.onboarding or payouts.stripe_connect, and show the result."""

from __future__ import annotations

import functools
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents import onboarding
from agents.models import Agent, TrainingModule
from agents.vocabulary import Skill
from core.site_url import site_url
from payouts import stripe_connect
from payouts.ledger import rate_card_at
from payouts.money import format_money, format_multiplier
from portal.forms import AgentApplicationForm, CodeOfConductForm, QuizForm
from tickets.models import Ticket

logger = logging.getLogger(__name__)

S = Agent.Status
# Statuses that may read the training modules: from verification on, except rejected.
MAY_READ_TRAINING = frozenset(
    {S.EMAIL_VERIFIED, S.TRAINING, S.AWAITING_REVIEW, S.APPROVED, S.ACTIVE, S.SUSPENDED}
)


# The rate card's priorities, named here for the page: Ticket.Priority's own labels stay
# English, as pay lines store them in their descriptions (payouts.ledger).
PRIORITY_LABELS = {
    Ticket.Priority.LOW: pgettext_lazy("priority", "Low"),
    Ticket.Priority.NORMAL: pgettext_lazy("priority", "Normal"),
    Ticket.Priority.HIGH: pgettext_lazy("priority", "High"),
    Ticket.Priority.URGENT: pgettext_lazy("priority", "Urgent"),
}


def applicant_view(view):
    """Log-in required, and the user must have an agent profile: ``request.agent``."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        agent = Agent.objects.select_related("user").filter(user_id=request.user.pk).first()
        if agent is None:
            return render(request, "agents/not_an_agent.html", status=403)
        request.agent = agent
        return view(request, *args, **kwargs)

    return wrapper


def _posted(request: HttpRequest):
    # Not `request.POST or None`: an empty POST must still bind the form and be refused.
    return request.POST if request.method == "POST" else None


def _go_to_next_step(request: HttpRequest) -> HttpResponse:
    return redirect(onboarding.next_step_url(request.agent) or reverse("agent-status"))


# --- Public pages --------------------------------------------------------------------------


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """What the work is, what it pays (the rate card in force), how it works."""
    card = rate_card_at(timezone.now())
    rates = []
    if card is not None:
        for entry in card.entries.all():
            rates.append(
                {
                    "priority": PRIORITY_LABELS[Ticket.Priority(entry.priority)],
                    "skill": Skill(entry.skill).label
                    if entry.skill in Skill.values
                    else entry.skill,
                    "amount": format_money(entry.amount_cents, card.currency),
                }
            )
    context = {
        "card": card,
        "rates": rates,
        "top_rating_bonus": card and format_money(card.top_rating_bonus_cents, card.currency),
        "shift_bonus": card and format_money(card.shift_completion_bonus_cents, card.currency),
        "surge": card and format_multiplier(card.surge_multiplier_pct),
        "segments": Agent.Segment.choices,
    }
    return render(request, "agents/landing.html", context)


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and Agent.objects.filter(user_id=request.user.pk).exists():
        return redirect("agent-status")
    form = AgentApplicationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            agent = onboarding.agent_apply(
                **form.service_arguments(),
                site_url=site_url(request),
                # The language the applicant read the form in: its emails are written in it.
                preferred_language=translation.get_language(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, agent.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Thanks for applying! We sent a link to %(email)s; "
                    "open it to verify your email address."
                )
                % {"email": agent.user.email},
            )
            return redirect("agent-status")
    status = 400 if request.method == "POST" else 200
    return render(request, "agents/apply.html", {"form": form}, status=status)


@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        agent = onboarding.agent_verify_email(token=token)
    except onboarding.VerificationLinkExpired as error:
        return render(
            request, "agents/verify_failed.html", {"error": str(error), "expired": True}, status=400
        )
    except onboarding.VerificationLinkInvalid as error:
        return render(request, "agents/verify_failed.html", {"error": str(error)}, status=400)
    same_person = request.user.is_authenticated and request.user.pk == agent.user_id
    return render(request, "agents/verify_done.html", {"agent": agent, "same_person": same_person})


# --- The applicant's own pages -------------------------------------------------------------


@require_POST
@applicant_view
def resend_verification(request: HttpRequest) -> HttpResponse:
    try:
        onboarding.agent_resend_verification(agent_id=request.agent.pk, site_url=site_url(request))
    except onboarding.OnboardingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("We sent a new link to %(email)s.") % {"email": request.agent.user.email}
        )
    return redirect("agent-status")


@require_GET
@applicant_view
def status(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    last_decision = None
    if agent.status in (S.REJECTED, S.SUSPENDED):
        last_decision = agent.status_events.filter(to_status=agent.status).last()
    context = {
        "agent": agent,
        "steps": onboarding.onboarding_steps(agent),
        "next_url": onboarding.next_step_url(agent),
        "payout_url": onboarding.payout_setup_url(agent),
        "last_decision": last_decision,
    }
    return render(request, "agents/status.html", context)


@require_GET
@applicant_view
def training(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    if agent.status not in MAY_READ_TRAINING:
        return _go_to_next_step(request)
    context = {
        "agent": agent,
        "modules": TrainingModule.objects.filter(is_published=True),
        "last_attempt": agent.quiz_attempts.first(),
        "retry_at": onboarding.quiz_retry_available_at(agent),
        "question_count": onboarding.quiz_questions().count(),
        "pass_percent": settings.AGENT_QUIZ_PASS_PERCENT,
        "cooldown_hours": settings.AGENT_QUIZ_RETRY_COOLDOWN_HOURS,
    }
    return render(request, "agents/training.html", context)


@require_POST
@applicant_view
def training_start(request: HttpRequest) -> HttpResponse:
    try:
        onboarding.agent_start_training(agent_id=request.agent.pk)
    except onboarding.OnboardingError as error:
        messages.error(request, str(error))
    return redirect("agent-training")


@require_GET
@applicant_view
def training_module(request: HttpRequest, slug: str) -> HttpResponse:
    if request.agent.status not in MAY_READ_TRAINING:
        return _go_to_next_step(request)
    module = get_object_or_404(TrainingModule, slug=slug, is_published=True)
    modules = list(TrainingModule.objects.filter(is_published=True).only("slug", "title"))
    index = next(i for i, m in enumerate(modules) if m.pk == module.pk)
    context = {
        "module": module,
        "previous": modules[index - 1] if index > 0 else None,
        "next": modules[index + 1] if index + 1 < len(modules) else None,
        "agent": request.agent,
    }
    return render(request, "agents/training_module.html", context)


@require_http_methods(["GET", "POST"])
@applicant_view
def quiz(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    if agent.status != S.TRAINING:
        if agent.status == S.EMAIL_VERIFIED:
            messages.info(request, _("Start training first; the quiz comes after the modules."))
        return _go_to_next_step(request)
    retry_at = onboarding.quiz_retry_available_at(agent)
    questions = list(onboarding.quiz_questions())
    form = QuizForm(_posted(request), questions=questions)
    if request.method == "POST" and retry_at is None and form.is_valid():
        try:
            attempt = onboarding.quiz_attempt_submit(agent_id=agent.pk, answers=form.answers())
        except onboarding.OnboardingError as error:
            messages.error(request, str(error))
            return redirect("agent-training")
        if attempt.passed:
            messages.success(
                request,
                _(
                    "You passed with %(score)s%%. Our team will now review your "
                    "application; we will email you."
                )
                % {"score": attempt.score_percent},
            )
            return redirect("agent-status")
        messages.error(
            request,
            _(
                "You scored %(score)s%%; the pass mark is %(pass_mark)s%%. "
                "Read the modules again and retry after the waiting period."
            )
            % {"score": attempt.score_percent, "pass_mark": attempt.pass_percent},
        )
        return redirect("agent-training")
    context = {
        "form": form,
        "retry_at": retry_at,
        "agent": agent,
        "questions": questions,
        "pass_percent": settings.AGENT_QUIZ_PASS_PERCENT,
    }
    refused = request.method == "POST"
    return render(request, "agents/quiz.html", context, status=400 if refused else 200)


@require_http_methods(["GET", "POST"])
@applicant_view
def code_of_conduct(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    if agent.status not in (S.APPROVED, S.ACTIVE):
        return _go_to_next_step(request)
    form = CodeOfConductForm(_posted(request))
    if request.method == "POST":
        if agent.status != S.APPROVED:
            messages.info(request, _("You have already accepted the code of conduct."))
            return redirect("agent-status")
        if form.is_valid():
            try:
                onboarding.agent_accept_code_of_conduct(agent_id=agent.pk)
            except onboarding.OnboardingError as error:
                messages.error(request, str(error))
                return redirect("agent-status")
            messages.success(request, _("Welcome aboard! You can go online now."))
            return redirect("agent-status")
    status = 400 if request.method == "POST" else 200
    return render(request, "agents/conduct.html", {"form": form, "agent": agent}, status=status)


# --- Payouts (Stripe Connect Express) ------------------------------------------------------


def _payouts_allowed(request: HttpRequest) -> bool:
    return request.agent.status in onboarding.PAYOUT_SETUP_STATUSES


@require_GET
@applicant_view
def payouts(request: HttpRequest) -> HttpResponse:
    if not _payouts_allowed(request):
        messages.info(request, _("You can set up payouts once your application is approved."))
        return _go_to_next_step(request)
    return render(request, "agents/payouts.html", {"agent": request.agent})


def _redirect_to_stripe_onboarding(request: HttpRequest) -> HttpResponse:
    try:
        url = stripe_connect.payout_onboarding_link(
            agent_id=request.agent.pk,
            return_url=request.build_absolute_uri(reverse("agent-payouts-return")),
            refresh_url=request.build_absolute_uri(reverse("agent-payouts-refresh")),
        )
    except stripe_connect.PayoutSetupError as error:
        messages.error(request, str(error))
        return redirect("agent-payouts")
    except stripe.StripeError:
        logger.exception("Stripe onboarding link for agent %s failed", request.agent.pk)
        messages.error(request, _("Stripe is not answering right now. Please try again shortly."))
        return redirect("agent-payouts")
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_POST
@applicant_view
def payouts_start(request: HttpRequest) -> HttpResponse:
    if not _payouts_allowed(request):
        raise Http404
    return _redirect_to_stripe_onboarding(request)


@require_GET
@applicant_view
def payouts_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the agent here when an onboarding link expired or was used: make a new
    one and go straight back."""
    if not _payouts_allowed(request):
        raise Http404
    return _redirect_to_stripe_onboarding(request)


@require_GET
@applicant_view
def payouts_return(request: HttpRequest) -> HttpResponse:
    """Back from Stripe. Returning says nothing about the outcome, so ask Stripe."""
    if not _payouts_allowed(request):
        raise Http404
    try:
        enabled = stripe_connect.payout_account_sync(agent_id=request.agent.pk)
    except (stripe.StripeError, stripe_connect.PayoutSetupError):
        logger.exception("Stripe account check for agent %s failed", request.agent.pk)
        messages.error(request, _("We could not check with Stripe just now; try again shortly."))
        return redirect("agent-payouts")
    if enabled:
        messages.success(request, _("Your payout account is ready. Payouts will reach it."))
    else:
        messages.info(
            request,
            _(
                "Stripe still needs some details before it can pay you. Continue the set-up "
                "when you are ready; your pay is kept until then."
            ),
        )
    return redirect("agent-payouts")
