"""The agent's shifts page and its four POSTs. The rules are in agents.shifts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agents import shifts
from agents.forms import ShiftPreferencesForm
from agents.portal_views import portal_agent_or_refusal
from agents.surge import surge_multiplier_pct, surges_open_for


def _page(request, agent, *, form: ShiftPreferencesForm | None = None, status: int = 200):
    now = timezone.now()
    return render(
        request,
        "portal/shifts.html",
        {
            "agent": agent,
            "offers": shifts.agent_open_offers(agent=agent, now=now),
            "upcoming": shifts.agent_upcoming_shifts(agent=agent, now=now),
            "open_slots": shifts.open_slots_for(agent=agent, now=now),
            "surges": surges_open_for(agent=agent),
            "surge_multiplier": surge_multiplier_pct(at=now) / 100,
            "form": form or ShiftPreferencesForm(initial=ShiftPreferencesForm.initial_for(agent)),
        },
        status=status,
    )


@login_required
@require_GET
def shifts_page(request):
    agent, refusal = portal_agent_or_refusal(request)
    if refusal is not None:
        return refusal
    return _page(request, agent)


def _answer(request, action, **ids):
    agent, refusal = portal_agent_or_refusal(request)
    if refusal is not None:
        return refusal
    try:
        action(agent_id=agent.pk, **ids)
    except shifts.ShiftError as error:
        messages.error(request, str(error))
        return _page(request, agent, status=400)
    return None


@login_required
@require_POST
def offer_accept(request, assignment_id: int):
    refusal = _answer(request, shifts.shift_offer_accept, assignment_id=assignment_id)
    if refusal is not None:
        return refusal
    messages.success(request, "Shift accepted. See you then.")
    return redirect("portal-shifts")


@login_required
@require_POST
def offer_decline(request, assignment_id: int):
    refusal = _answer(request, shifts.shift_offer_decline, assignment_id=assignment_id)
    if refusal is not None:
        return refusal
    messages.success(request, "Shift declined; it will be offered to someone else.")
    return redirect("portal-shifts")


@login_required
@require_POST
def slot_book(request, slot_id: int):
    refusal = _answer(request, shifts.shift_slot_book, slot_id=slot_id)
    if refusal is not None:
        return refusal
    messages.success(request, "Shift booked.")
    return redirect("portal-shifts")


@login_required
@require_POST
def preferences(request):
    agent, refusal = portal_agent_or_refusal(request)
    if refusal is not None:
        return refusal
    form = ShiftPreferencesForm(request.POST)
    if not form.is_valid():
        return _page(request, agent, form=form, status=400)
    try:
        shifts.agent_shift_preferences_update(
            agent_id=agent.pk,
            weekly_availability=form.weekly_availability(),
            weekly_hour_cap=form.cleaned_data["weekly_hour_cap"],
            surge_opt_in=form.cleaned_data["surge_opt_in"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _page(request, agent, form=form, status=400)
    messages.success(request, "Preferences saved; the next matching uses them.")
    return redirect("portal-shifts")
