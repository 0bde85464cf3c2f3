"""The agent's earnings page and instant cash-out, in the portal (portal/views.py
decides who may see them)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from agents import onboarding
from payouts import ledger, selectors, services
from payouts.charts import weekly_bar_chart
from payouts.models import EarningLine
from portal.forms import CashOutForm
from portal.views import agent_portal_view

LINES_PER_PAGE = 50


@agent_portal_view
def earnings(request, agent):
    page = Paginator(selectors.earning_lines(agent=agent), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    window = timedelta(hours=settings.REOPEN_WINDOW_HOURS)
    for line in page.object_list:
        if line.status == EarningLine.Status.UNCONFIRMED:
            # A ticket line is earned at the resolve; the window runs from there.
            line.confirmed_by = line.earned_at + window
    currency = settings.PAYOUT_CURRENCY
    weeks = selectors.weekly_earnings(agent=agent, currency=currency)
    return render(
        request,
        "portal/earnings.html",
        {
            "agent": agent,
            "totals": selectors.earnings_totals(agent=agent),
            "page": page,
            "chart": weekly_bar_chart(weeks, currency),
            "payouts": selectors.recent_payouts(agent=agent),
            "bank_payouts": selectors.recent_bank_payouts(agent=agent),
            "quote": services.instant_payout_quote(agent=agent),
            "hold_hours": settings.PAYOUT_HOLD_HOURS,
            "reopen_window_hours": settings.REOPEN_WINDOW_HOURS,
            "minimum_cents": settings.PAYOUT_MINIMUM_CENTS,
            "currency": currency,
            "payout_setup_url": onboarding.payout_setup_url(agent),
        },
    )


@agent_portal_view
@require_http_methods(["GET", "POST"])
def cash_out(request, agent):
    quote = services.instant_payout_quote(agent=agent)
    form = CashOutForm(request.POST or None, initial={"expected_net_cents": quote.net_cents})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                payout = services.instant_payout_request(
                    agent_id=agent.pk,
                    expected_net_cents=form.cleaned_data["expected_net_cents"],
                )
            except ledger.PayoutError as error:
                messages.error(request, str(error))
                return redirect("portal-cash-out")
            messages.success(
                request,
                gettext("Cash-out #%(number)s is on its way to your Stripe account.")
                % {"number": payout.pk},
            )
            return redirect("portal-earnings")
        status = 400
    return render(
        request,
        "portal/cash_out.html",
        {"agent": agent, "quote": quote, "form": form},
        status=status,
    )
