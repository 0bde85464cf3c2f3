"""The review queue and the review page in the admin (quality.admin_reviews)."""

import pytest
from django.contrib.auth.models import Permission

from quality.models import Review, RubricCriterion
from quality.reviews import CriterionScore, review_dispute, review_score
from tests.factories import ReviewFactory, UserFactory
from tickets.models import Complaint, Message, TicketNote

pytestmark = pytest.mark.django_db


def review_url(review) -> str:
    return f"/admin/quality/review/{review.pk}/change/"


def score_form(score: int = 4, **extra) -> dict:
    form = {"action": "score", "comments": "Clear and kind."}
    for criterion in RubricCriterion.objects.filter(is_active=True):
        form[f"score-{criterion.pk}"] = str(score)
        form[f"comment-{criterion.pk}"] = ""
    return form | extra


def reviewer(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="quality", codename__in=codenames)
    )
    return user


@pytest.fixture
def staff_reviewer():
    return reviewer("view_review", "change_review")


def scored(review, by):
    return review_score(
        review_id=review.pk,
        reviewer=by,
        scores={c.pk: CriterionScore(3) for c in RubricCriterion.objects.filter(is_active=True)},
    )


def test_the_queue_lists_queued_reviews_by_default(client, staff_reviewer):
    queued = ReviewFactory()
    done = scored(ReviewFactory(), UserFactory())
    client.force_login(staff_reviewer)

    response = client.get("/admin/quality/review/")

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert queued in shown
    assert done not in shown


def test_the_queue_filters_by_status_reason_and_agent(client, staff_reviewer):
    sample = ReviewFactory()
    complaint = ReviewFactory(reason=Review.Reason.COMPLAINT)
    done = scored(ReviewFactory(), UserFactory())
    client.force_login(staff_reviewer)

    def listed(**params):
        return list(client.get("/admin/quality/review/", params).context["cl"].result_list)

    assert listed(status="scored") == [done]
    assert set(listed(status="all")) == {sample, complaint, done}
    assert listed(reason="complaint") == [complaint]
    assert listed(agent__id__exact=str(sample.agent_id)) == [sample]


def test_the_review_page_shows_the_transcript_with_private_notes_but_no_contact_details(
    client, staff_reviewer
):
    review = ReviewFactory(
        ticket__customer_name="Ada Lovelace",
        ticket__customer_email="ada@example.org",
        ticket__customer_phone="+44 20 7946 0000",
    )
    ticket = review.ticket
    Message.objects.create(
        ticket=ticket, seq=1, sender="customer", body="My card was charged twice"
    )
    Message.objects.create(
        ticket=ticket, seq=2, sender="agent", agent=review.agent, body="Refund on its way."
    )
    TicketNote.objects.create(ticket=ticket, agent=review.agent, body="Checked the ledger first.")
    client.force_login(staff_reviewer)

    response = client.get(review_url(review))

    page = response.content.decode()
    assert response.status_code == 200
    for text in ["My card was charged twice", "Refund on its way.", "Checked the ledger first."]:
        assert text in page
    assert "(private note)" in page
    for identity in ["ada@example.org", "+44 20 7946 0000"]:
        assert identity not in page


def test_a_complaint_review_shows_the_reviewer_its_category_and_details(client, staff_reviewer):
    review = ReviewFactory(reason=Review.Reason.COMPLAINT)
    Complaint.objects.create(
        ticket=review.ticket, agent=review.agent, category="rude", details="Rolled his eyes."
    )
    client.force_login(staff_reviewer)

    page = client.get(review_url(review)).content.decode()

    assert "The agent was rude" in page
    assert "Rolled his eyes." in page


def test_a_reviewer_scores_a_review_from_its_page(client, staff_reviewer):
    review = ReviewFactory()
    client.force_login(staff_reviewer)

    response = client.post(review_url(review), score_form(5))

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.score_pct, review.reviewer, review.comments) == (
        Review.Status.SCORED,
        100,
        staff_reviewer,
        "Clear and kind.",
    )


def test_scoring_twice_from_the_page_is_refused_with_a_clear_message(client, staff_reviewer):
    review = scored(ReviewFactory(), staff_reviewer)
    client.force_login(staff_reviewer)

    response = client.post(review_url(review), score_form(1))

    assert response.status_code == 400
    assert "already scored" in response.content.decode()
    assert Review.objects.get(pk=review.pk).score_pct == 50


def test_a_missing_score_is_refused_and_nothing_is_stored(client, staff_reviewer):
    review = ReviewFactory()
    form = score_form()
    form[f"score-{RubricCriterion.objects.get(name='Tone').pk}"] = ""
    client.force_login(staff_reviewer)

    response = client.post(review_url(review), form)

    assert response.status_code == 400
    assert "missing: Tone" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == Review.Status.QUEUED


def test_a_score_that_is_not_a_number_is_refused(client, staff_reviewer):
    review = ReviewFactory()
    form = score_form()
    form[f"score-{RubricCriterion.objects.first().pk}"] = "five"
    client.force_login(staff_reviewer)

    response = client.post(review_url(review), form)

    assert response.status_code == 400
    assert Review.objects.get(pk=review.pk).status == Review.Status.QUEUED


def test_staff_with_only_the_view_permission_read_but_cannot_score(client):
    review = ReviewFactory()
    client.force_login(reviewer("view_review"))

    assert client.get(review_url(review)).status_code == 200
    assert client.post(review_url(review), score_form()).status_code == 403
    assert Review.objects.get(pk=review.pk).status == Review.Status.QUEUED


def test_staff_without_the_review_permissions_are_refused(client):
    review = ReviewFactory()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(review_url(review)).status_code == 403
    assert client.get("/admin/quality/review/").status_code == 403


def test_an_agent_who_is_not_staff_is_sent_to_the_admin_login(client):
    review = ReviewFactory()
    client.force_login(review.agent.user)

    response = client.get(review_url(review))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_second_reviewer_settles_the_dispute_from_the_page(client, staff_reviewer):
    review = scored(ReviewFactory(), UserFactory(is_staff=True))
    review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="It was solved.")
    client.force_login(staff_reviewer)

    response = client.post(
        review_url(review),
        {"action": "settle", "outcome": "revised", "revised_score_pct": "80", "note": "Agreed."},
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.score_pct, review.dispute.original_score_pct) == (
        Review.Status.SETTLED,
        80,
        50,
    )


def test_the_first_reviewer_is_refused_settling_with_a_clear_message(client, staff_reviewer):
    review = scored(ReviewFactory(), staff_reviewer)
    review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="It was solved.")
    client.force_login(staff_reviewer)

    page = client.get(review_url(review)).content.decode()
    response = client.post(
        review_url(review), {"action": "settle", "outcome": "upheld", "note": "Mine stands."}
    )

    assert "a second reviewer settles its dispute" in page
    assert 'id="settle-form"' not in page
    assert response.status_code == 400
    assert "a second reviewer must settle" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == Review.Status.DISPUTED


def test_operators_edit_the_rubric_but_never_delete_a_criterion(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    criterion = RubricCriterion.objects.get(name="Tone")
    client.force_login(operator)

    response = client.post(
        f"/admin/quality/rubriccriterion/{criterion.pk}/change/",
        {"name": "Tone", "guidance": "Warm.", "weight": "2", "position": "2", "is_active": "on"},
    )

    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.weight, criterion.guidance) == (2, "Warm.")
    assert client.get(f"/admin/quality/rubriccriterion/{criterion.pk}/delete/").status_code == 403


def test_a_refused_score_form_keeps_what_the_reviewer_entered(client, staff_reviewer):
    review = ReviewFactory()
    tone = RubricCriterion.objects.get(name="Tone")
    accuracy = RubricCriterion.objects.get(name="Accuracy")
    form = score_form(3, **{f"comment-{accuracy.pk}": "Wrong fee quoted."})
    form[f"score-{tone.pk}"] = ""
    client.force_login(staff_reviewer)

    page = client.post(review_url(review), form).content.decode()

    assert f'id="score-{accuracy.pk}-3" name="score-{accuracy.pk}" value="3" checked' in page
    assert "Wrong fee quoted.</textarea>" in page
