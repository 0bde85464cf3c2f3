"""The agent's shifts page and its four POSTs. The rules are in agents.shifts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from payouts.ledger import surge_multiplier_pct
from payouts.money import format_multiplier
from portal.forms import ShiftPreferencesForm
from portal.views import agent_portal_view
from workforce import selectors, shifts
from workforce.surge import surges_open_for


def _page(request, agent, *, form: ShiftPreferencesForm | None = None, status: int = 200):
    now = timezone.now()
    return render(
        request,
        "portal/shifts.html",
        {
            "agent": agent,
            "offers": selectors.agent_open_offers(agent=agent, now=now),
            "upcoming": selectors.agent_upcoming_shifts(agent=agent, now=now),
            "open_slots": selectors.open_slots_for(agent=agent, now=now),
            "surges": surges_open_for(agent=agent),
            "surge_multiplier": format_multiplier(surge_multiplier_pct(at=now)),
            "form": form or ShiftPreferencesForm(initial=ShiftPreferencesForm.initial_for(agent)),
        },
        status=status,
    )


@agent_portal_view
@require_GET
def shifts_page(request, agent):
    return _page(request, agent)


def _act(request, agent, action, success: str, **ids):
    try:
        action(agent_id=agent.pk, **ids)
    except shifts.ShiftError as error:
        messages.error(request, str(error))
        return _page(request, agent, status=400)
    messages.success(request, success)
    return redirect("portal-shifts")


@agent_portal_view
@require_POST
def offer_accept(request, agent, assignment_id: int):
    return _act(
        request,
        agent,
        shifts.shift_offer_accept,
        gettext("Shift accepted. See you then."),
        assignment_id=assignment_id,
    )


@agent_portal_view
@require_POST
def offer_decline(request, agent, assignment_id: int):
    return _act(
        request,
        agent,
        shifts.shift_offer_decline,
        gettext("Shift declined; it will be offered to someone else."),
        assignment_id=assignment_id,
    )


@agent_portal_view
@require_POST
def slot_book(request, agent, slot_id: int):
    return _act(request, agent, shifts.shift_slot_book, gettext("Shift booked."), slot_id=slot_id)


@agent_portal_view
@require_POST
def preferences(request, agent):
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
    messages.success(request, gettext("Preferences saved; the next matching uses them."))
    return redirect("portal-shifts")
