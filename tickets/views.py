"""The customer's pages: the live chat (also framed by the embed snippet), the transcript
download and the report of a conversation. The chat itself speaks the websocket protocol
from static/tickets/chat.js."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe

from agents.vocabulary import Language
from core.dates import format_when
from tickets import selectors
from tickets.complaints import ComplaintRefused, complaint_file
from tickets.forms import ComplaintForm
from tickets.models import Complaint, Message, Ticket

RATING_SCORES = range(1, 6)
# The report page's refusals in the customer's language (the service's own are English).
REPORT_REFUSALS = {
    "not_handled": gettext_lazy("Only a conversation with one of our agents can be reported."),
    "already_reported": gettext_lazy("This conversation was already reported. Thank you."),
}
TRANSCRIPT_MAX_MESSAGES = 5000


def _chat_page_policy(request: HttpRequest) -> str:
    """The chat page's Content-Security-Policy.

    Any site may frame the chat (``frame-ancestors *``): that is what the embed snippet is
    for, and framing it is harmless, because the page carries no ambient authority. There
    is no login and no cookie it acts with; a conversation's token lives in the framed
    page's own (per-site, partitioned) storage, so a framing page can only ever reach the
    conversation its own visitor starts. Everything else is locked to our origin: no inline
    script, so a message that slipped past textContent could still not run.
    """
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors *",
        ]
    )


@require_safe
@xframe_options_exempt
def chat_page(request: HttpRequest) -> HttpResponse:
    embed = request.GET.get("embed") == "1"
    # The conversation starts in the page's language when the API takes it (agents'
    # vocabulary), in English otherwise: a page in a language agents do not list must still
    # be able to start a conversation.
    page_language = translation.get_language()
    conversation_language = page_language if page_language in Language.values else "en"
    response = render(
        request,
        "tickets/chat.html",
        {
            "embed": embed,
            "rating_scores": RATING_SCORES,
            "conversation_language": conversation_language,
        },
    )
    response["Content-Security-Policy"] = _chat_page_policy(request)
    return response


@require_safe
def embed_example(request: HttpRequest) -> HttpResponse:
    """A stand-in for a company's site, showing the one-line snippet at work."""
    snippet_src = request.build_absolute_uri("/static/tickets/embed.js")
    return render(request, "tickets/embed_example.html", {"snippet_src": snippet_src})


def _sender_name(message: Message) -> str:
    if message.sender == Message.Sender.CUSTOMER:
        return _("You")
    if message.sender == Message.Sender.BOT:
        return _("Assistant")
    if message.sender == Message.Sender.AGENT:
        return message.agent.display_name if message.agent else _("Agent")
    return "Humanline"


@require_safe
def chat_transcript(request: HttpRequest, token: str) -> HttpResponse:
    """The conversation as plain text, for the customer who holds its token."""
    ticket = Ticket.objects.filter(token=token).only("id", "created_at").first()
    if ticket is None:
        raise Http404("No such conversation.")
    messages = selectors.messages_after(
        ticket_id=ticket.pk, after_seq=0, limit=TRANSCRIPT_MAX_MESSAGES
    )
    lines = [
        _("Conversation %(id)s, started %(started)s")
        % {"id": ticket.pk, "started": _utc(ticket.created_at)},
        _("Downloaded %(now)s") % {"now": _utc(timezone.now())},
        "",
    ]
    for message in messages:
        lines.append(f"[{_utc(message.created_at)}] {_sender_name(message)}:")
        lines.extend(f"  {line}" for line in message.body.splitlines() or [""])
        lines.append("")
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="conversation-{ticket.pk}-transcript.txt"'
    )
    # The transcript is the customer's private conversation: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def chat_report(request: HttpRequest, token: str) -> HttpResponse:
    """Report the conversation, for the customer who holds its token (as the transcript)."""
    ticket = Ticket.objects.filter(token=token).only("id", "agent_id", "resolved_by_id").first()
    if ticket is None:
        raise Http404("No such conversation.")
    form = ComplaintForm(request.POST or None)
    context: dict = {"ticket_id": ticket.pk, "form": form}
    status = 200
    if ticket.agent_id is None and ticket.resolved_by_id is None:
        context["refusal"] = REPORT_REFUSALS["not_handled"]
        status = 400 if request.method == "POST" else 200
    elif request.method == "GET" and Complaint.objects.filter(ticket_id=ticket.pk).exists():
        context["refusal"] = REPORT_REFUSALS["already_reported"]
    elif request.method == "POST":
        if form.is_valid():
            try:
                complaint_file(
                    token=token,
                    category=form.cleaned_data["category"],
                    details=form.cleaned_data["details"],
                )
            except ComplaintRefused as refusal:
                if refusal.code == "not_found":
                    raise Http404("No such conversation.") from None
                context["refusal"] = REPORT_REFUSALS.get(refusal.code, refusal.detail)
                status = 409 if refusal.code == "already_reported" else 400
            else:
                context["reported"] = True
        else:
            status = 400
    response = render(request, "tickets/report.html", context, status=status)
    # The page's address is the conversation's token: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _utc(moment: datetime) -> str:
    """In UTC, which the page does not know the customer's zone to improve on, in the reader's
    language: "Dec 5, 2026, 2:30 PM UTC", "5. Dez. 2026, 14:30 UTC"."""
    with timezone.override(UTC):
        return f"{format_when(moment)} UTC"
