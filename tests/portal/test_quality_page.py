"""The agent's "My quality" page (/portal/quality/): its scored reviews, disputing one, and
never a customer's identity (portal.quality_views)."""

import pytest

from quality.models import Dispute, Review, RubricCriterion
from quality.reviews import CriterionScore, review_dispute, review_score, review_settle
from tests.factories import AgentFactory, ResolvedTicketFactory, ReviewFactory, UserFactory
from tickets.complaints import complaint_file

pytestmark = pytest.mark.django_db

URL = "/portal/quality/"


def scored(review, *, score: int = 4, comments: str = "Good work.", comment: str = ""):
    return review_score(
        review_id=review.pk,
        reviewer=UserFactory(is_staff=True),
        scores={
            c.pk: CriterionScore(score, comment)
            for c in RubricCriterion.objects.filter(is_active=True)
        },
        comments=comments,
    )


def dispute_url(review) -> str:
    return f"/portal/quality/reviews/{review.pk}/dispute/"


def test_the_agent_sees_its_scored_reviews_with_criteria_and_comments(client):
    review = scored(ReviewFactory(), comments="Name the refund date.", comment="Kind tone.")
    client.force_login(review.agent.user)

    response = client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Conversation #{review.ticket_id}" in page
    assert "75 %" in page
    for text in ["Solved the problem", "Privacy", "4 / 5", "Kind tone.", "Name the refund date."]:
        assert text in page
    assert "Dispute this review" in page


def test_reviews_still_waiting_are_only_counted(client):
    agent = AgentFactory()
    waiting = ReviewFactory.create_batch(2, ticket__agent=agent, ticket__topic="secret-topic")
    client.force_login(agent.user)

    page = client.get(URL).content.decode()

    assert "2 of your conversations are waiting for a reviewer." in page
    assert f"#{waiting[0].ticket_id}" not in page
    assert "secret-topic" not in page


def test_the_agent_sees_only_its_own_reviews(client):
    mine = scored(ReviewFactory())
    theirs = scored(ReviewFactory())
    client.force_login(mine.agent.user)

    page = client.get(URL).content.decode()

    assert f"Conversation #{mine.ticket_id}" in page
    assert f"Conversation #{theirs.ticket_id}" not in page


def test_a_complaint_shows_its_category_never_the_customers_identity_or_words(client):
    ticket = ResolvedTicketFactory(
        customer_name="Grace Hopper",
        customer_email="grace@example.org",
        customer_phone="+1 202 555 0143",
        topic="billing",
    )
    complaint_file(token=ticket.token, category="rude", details="He said my bug was my fault.")
    scored(Review.objects.get(ticket=ticket, reason=Review.Reason.COMPLAINT))
    client.force_login(ticket.agent.user)

    page = client.get(URL).content.decode()

    assert "Customer complaint: rude" in page
    assert f"Conversation #{ticket.pk} · billing" in page
    for secret in [
        "Grace Hopper",
        "grace@example.org",
        "+1 202 555 0143",
        "He said my bug was my fault.",
        ticket.token,
    ]:
        assert secret not in page


def test_the_agent_disputes_a_review_once_with_a_reason(client):
    review = scored(ReviewFactory())
    client.force_login(review.agent.user)

    response = client.post(dispute_url(review), {"reason": "The customer thanked me."})
    again = client.post(dispute_url(review), {"reason": "Really."}, follow=True)

    assert response.status_code == 302
    assert Dispute.objects.get(review=review).reason == "The customer thanked me."
    assert Review.objects.get(pk=review.pk).status == Review.Status.DISPUTED
    assert "already disputed" in again.content.decode()
    assert Dispute.objects.count() == 1


def test_a_disputed_review_shows_the_dispute_instead_of_the_form(client):
    review = scored(ReviewFactory())
    review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="I solved it.")
    client.force_login(review.agent.user)

    page = client.get(URL).content.decode()

    assert "I solved it." in page
    assert "Waiting for a second reviewer." in page
    assert "Dispute this review" not in page


def test_a_settled_dispute_shows_the_outcome_and_the_old_score(client):
    review = scored(ReviewFactory())
    review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="I solved it.")
    review_settle(
        review_id=review.pk,
        settler=UserFactory(),
        outcome="revised",
        note="You did.",
        revised_score_pct=95,
    )
    client.force_login(review.agent.user)

    page = client.get(URL).content.decode()

    assert "Score revised" in page
    assert "(was 75 %)" in page
    assert "95 %" in page
    assert "You did." in page


def test_a_dispute_without_a_reason_is_refused_and_nothing_is_stored(client):
    review = scored(ReviewFactory())
    client.force_login(review.agent.user)

    response = client.post(dispute_url(review), {"reason": "   "})

    assert response.status_code == 400
    assert "Say why you disagree" in response.content.decode()
    assert not Dispute.objects.exists()


def test_disputing_another_agents_review_is_not_found(client):
    review = scored(ReviewFactory())
    client.force_login(AgentFactory().user)

    response = client.post(dispute_url(review), {"reason": "Mine now."})

    assert response.status_code == 404
    assert not Dispute.objects.exists()


def test_a_dispute_is_a_post(client):
    review = scored(ReviewFactory())
    client.force_login(review.agent.user)

    assert client.get(dispute_url(review)).status_code == 405


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_anonymous_dispute_is_sent_to_the_login_and_stores_nothing(client):
    review = scored(ReviewFactory())

    response = client.post(dispute_url(review), {"reason": "Hi."})

    assert response.status_code == 302
    assert not Dispute.objects.exists()


def test_a_user_who_is_not_an_agent_is_refused(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(URL).status_code == 403


def test_the_portal_and_the_profile_link_my_quality(client):
    client.force_login(AgentFactory().user)

    for page in ["/portal/", "/portal/profile/"]:
        assert 'href="/portal/quality/">My quality</a>' in client.get(page).content.decode()


def test_the_page_takes_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    agent = AgentFactory()
    for review in ReviewFactory.create_batch(30, ticket__agent=agent):
        scored(review)
    for _ in range(5):
        ticket = ResolvedTicketFactory(agent=agent)
        complaint_file(token=ticket.token, category="wrong_information")
        scored(Review.objects.get(ticket=ticket))
    ReviewFactory.create_batch(3, ticket__agent=agent)
    client.force_login(agent.user)

    # Session and user, the agent, reviews, scores, complaint categories, the waiting count;
    # the weekly trend's three aggregates; the score card's agent, days and thresholds, and
    # the rate card in force for the tier's pay.
    with django_assert_max_num_queries(15):
        response = client.get(URL)

    page = response.content.decode()
    assert page.count("data-review=") == 35
    assert page.count("Customer complaint: wrong information") == 5
