"""A customer reports a conversation from its page (tickets.complaints, tickets.views)."""

import pytest

from quality.models import Review
from tests.factories import AgentFactory, ResolvedTicketFactory, TicketFactory
from tickets.complaints import COMPLAINT_DETAILS_MAX_CHARS, ComplaintRefused, complaint_file
from tickets.models import Complaint, Ticket

pytestmark = pytest.mark.django_db


def report_url(ticket) -> str:
    return f"/chat/{ticket.token}/report/"


def test_a_report_stores_the_complaint_against_the_agent_and_queues_a_review():
    ticket = ResolvedTicketFactory()

    complaint = complaint_file(token=ticket.token, category="rude", details="He was curt.")

    assert (complaint.agent, complaint.category, complaint.details) == (
        ticket.agent,
        "rude",
        "He was curt.",
    )
    review = Review.objects.get(ticket=ticket)
    assert (review.reason, review.agent) == (Review.Reason.COMPLAINT, ticket.agent)


def test_a_conversation_still_with_its_agent_can_be_reported():
    agent = AgentFactory()
    ticket = TicketFactory(status=Ticket.Status.ASSIGNED, agent=agent)

    complaint = complaint_file(token=ticket.token, category="private_data")

    assert complaint.agent == agent


def test_the_details_are_masked_like_the_chat():
    ticket = ResolvedTicketFactory()

    complaint = complaint_file(
        token=ticket.token, category="private_data", details="He asked for 4111 1111 1111 1111"
    )

    assert "4111 1111 1111 1111" not in complaint.details


def test_a_second_report_of_the_same_conversation_is_refused_and_stores_nothing():
    ticket = ResolvedTicketFactory()
    complaint_file(token=ticket.token, category="rude")

    with pytest.raises(ComplaintRefused) as refused:
        complaint_file(token=ticket.token, category="other", details="again")

    assert refused.value.code == "already_reported"
    assert Complaint.objects.count() == 1
    assert Review.objects.count() == 1


def test_a_conversation_only_the_assistant_handled_cannot_be_reported():
    ticket = TicketFactory(status=Ticket.Status.ABANDONED)

    with pytest.raises(ComplaintRefused) as refused:
        complaint_file(token=ticket.token, category="rude")

    assert refused.value.code == "not_handled"
    assert not Complaint.objects.exists()
    assert not Review.objects.exists()


def test_an_unknown_category_is_refused_and_stores_nothing():
    ticket = ResolvedTicketFactory()

    with pytest.raises(ComplaintRefused):
        complaint_file(token=ticket.token, category="slow")

    assert not Complaint.objects.exists()


def test_details_past_the_limit_are_refused_and_store_nothing():
    ticket = ResolvedTicketFactory()

    with pytest.raises(ComplaintRefused):
        complaint_file(
            token=ticket.token, category="other", details="x" * (COMPLAINT_DETAILS_MAX_CHARS + 1)
        )

    assert not Complaint.objects.exists()


def test_an_unknown_token_is_refused():
    with pytest.raises(ComplaintRefused) as refused:
        complaint_file(token="no-such-token", category="rude")

    assert refused.value.code == "not_found"


# --- The page ---------------------------------------------------------------------------


def test_the_report_page_offers_the_four_categories(client):
    ticket = ResolvedTicketFactory()

    response = client.get(report_url(ticket))

    assert response.status_code == 200
    for label in ["rude", "wrong information", "private data", "Something else"]:
        assert label in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


def test_posting_the_form_reports_the_conversation(client):
    ticket = ResolvedTicketFactory()

    response = client.post(
        report_url(ticket), {"category": "wrong_information", "details": "Wrong refund date."}
    )

    assert response.status_code == 200
    assert b"Thank you" in response.content
    assert Complaint.objects.get(ticket=ticket).category == "wrong_information"


def test_posting_twice_answers_already_reported(client):
    ticket = ResolvedTicketFactory()
    client.post(report_url(ticket), {"category": "rude"})

    response = client.post(report_url(ticket), {"category": "other"})

    assert response.status_code == 409
    assert b"already reported" in response.content
    assert Complaint.objects.count() == 1


def test_the_page_of_a_reported_conversation_says_so(client):
    ticket = ResolvedTicketFactory()
    complaint_file(token=ticket.token, category="rude")

    response = client.get(report_url(ticket))

    assert b"already reported" in response.content
    assert b'name="category"' not in response.content  # no report form, only the language switcher


def test_a_form_without_a_category_is_refused_and_stores_nothing(client):
    ticket = ResolvedTicketFactory()

    response = client.post(report_url(ticket), {"details": "?"})

    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_a_conversation_nobody_handled_is_refused_on_the_page(client):
    ticket = TicketFactory(status=Ticket.Status.ABANDONED)

    response = client.post(report_url(ticket), {"category": "rude"})

    assert response.status_code == 400
    assert b"Only a conversation with one of our agents" in response.content
    assert not Complaint.objects.exists()


def test_an_unknown_token_is_not_found(client):
    assert client.get("/chat/no-such-token/report/").status_code == 404


def test_the_report_page_refuses_other_methods(client):
    ticket = ResolvedTicketFactory()

    assert client.put(report_url(ticket)).status_code == 405


def test_the_chat_page_links_the_report_next_to_the_transcript(client):
    response = client.get("/chat/")

    assert b'id="report-link"' in response.content
    assert b"Report this conversation" in response.content
