"""Staff decide consequences in the admin, read the scores and edit the thresholds there
(quality/admin_scores.py)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from agents.models import Agent, AgentStatusEvent
from quality.models import AgentQualityScore, ConsequenceProposal, QualityThresholds
from tests.factories import (
    AgentFactory,
    ConsequenceProposalFactory,
    QualityReviewFactory,
    QualityScoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROPOSALS = "/admin/quality/consequenceproposal/"
SCORES = "/admin/quality/agentqualityscore/"
THRESHOLDS = "/admin/quality/qualitythresholds/"
Kind = ConsequenceProposal.Kind
Status = ConsequenceProposal.Status


@pytest.fixture
def staff_user():
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def proposal_with_evidence(*, kind=Kind.SUSPENSION, score=35) -> ConsequenceProposal:
    row = QualityScoreFactory(score=score, reopen_pct=30, qa_pct=41)
    low = QualityReviewFactory(ticket__agent=row.agent, score_pct=22, comments="Rude opener.")
    return ConsequenceProposalFactory(
        agent=row.agent,
        kind=kind,
        quality_score=row,
        evidence={
            "day": row.day.isoformat(),
            "score": score,
            "tier": "standard",
            "components": {
                "confirmed_resolution_pct": 60,
                "reopen_pct": 30,
                "csat_pct": 60,
                "qa_pct": 41,
                "offer_acceptance_pct": 60,
            },
            "counts": {"tickets_resolved": 30, "reopens": 9, "reviews_scored": 4},
            "low_review_ids": [low.pk],
            "thresholds": {
                "coaching_below": 70,
                "probation_below": 55,
                "suspension_below": 40,
                "min_tickets": 10,
            },
        },
    )


# --- The list and the decision page ------------------------------------------------------


def test_the_proposal_list_shows_open_proposals_first(staff_client, staff_user):
    decided = ConsequenceProposalFactory(kind=Kind.COACHING)
    ConsequenceProposal.objects.filter(pk=decided.pk).update(
        status=Status.DISMISSED,
        decided_by=staff_user,
        decided_at="2026-01-01T00:00:00Z",
        decision_reason="fine",
    )
    open_one = ConsequenceProposalFactory(kind=Kind.PROBATION)
    # Decided after the open one was proposed, so newest-first alone would list it first.
    ConsequenceProposal.objects.filter(pk=open_one.pk).update(proposed_at="2025-01-01T00:00:00Z")

    response = staff_client.get(PROPOSALS)

    assert response.status_code == 200
    listed = [row.pk for row in response.context["cl"].result_list]
    assert listed == [open_one.pk, decided.pk]


def test_the_decision_page_reads_the_evidence_as_a_table_with_links(staff_client):
    proposal = proposal_with_evidence()

    response = staff_client.get(f"{PROPOSALS}{proposal.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"/admin/agents/agent/{proposal.agent_id}/change/" in page
    assert "Reopened" in page
    assert "30%" in page
    assert "Suspension" in page
    assert "Rude opener." in page
    assert '"low_review_ids"' not in page  # not raw JSON
    assert 'name="_accept"' in page
    assert 'name="_dismiss"' in page


def test_accepting_in_the_admin_suspends_logs_and_emails(
    staff_client, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = proposal_with_evidence()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{PROPOSALS}{proposal.pk}/change/",
            {"_accept": "Accept", "reason": "Repeated rudeness in reviews."},
        )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.ACCEPTED
    assert proposal.decided_by == staff_user
    assert Agent.objects.get(pk=proposal.agent_id).status == Agent.Status.SUSPENDED
    assert AgentStatusEvent.objects.filter(agent_id=proposal.agent_id, actor=staff_user).exists()
    entry = LogEntry.objects.get(object_id=str(proposal.pk))
    assert entry.action_flag == CHANGE
    assert entry.user == staff_user
    assert "Repeated rudeness in reviews." in entry.get_change_message()
    (email,) = mailoutbox
    assert "Repeated rudeness in reviews." in email.body


def test_dismissing_in_the_admin_records_it_and_changes_nothing(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = proposal_with_evidence()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{PROPOSALS}{proposal.pk}/change/", {"_dismiss": "Dismiss", "reason": "Holiday cover."}
        )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == (Status.DISMISSED, "Holiday cover.")
    assert Agent.objects.get(pk=proposal.agent_id).status == Agent.Status.ACTIVE
    assert LogEntry.objects.filter(object_id=str(proposal.pk)).count() == 1
    assert mailoutbox == []


def test_a_decision_without_a_reason_shows_an_error_and_stores_nothing(staff_client):
    proposal = proposal_with_evidence()

    response = staff_client.post(f"{PROPOSALS}{proposal.pk}/change/", {"_accept": "Accept"})

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED
    assert Agent.objects.get(pk=proposal.agent_id).status == Agent.Status.ACTIVE
    assert LogEntry.objects.count() == 0


def test_a_decided_proposal_shows_the_decision_and_no_buttons(staff_client, staff_user):
    proposal = proposal_with_evidence(kind=Kind.COACHING, score=65)
    ConsequenceProposal.objects.filter(pk=proposal.pk).update(
        status=Status.DISMISSED,
        decided_by=staff_user,
        decided_at="2026-01-01T00:00:00Z",
        decision_reason="A one-off.",
    )

    response = staff_client.get(f"{PROPOSALS}{proposal.pk}/change/")

    page = response.content.decode()
    assert "A one-off." in page
    assert 'name="_accept"' not in page


def test_deciding_an_already_decided_proposal_is_refused(staff_client, staff_user):
    proposal = proposal_with_evidence()
    ConsequenceProposal.objects.filter(pk=proposal.pk).update(
        status=Status.DISMISSED,
        decided_by=staff_user,
        decided_at="2026-01-01T00:00:00Z",
        decision_reason="No.",
    )

    response = staff_client.post(
        f"{PROPOSALS}{proposal.pk}/change/", {"_accept": "Accept", "reason": "Yes."}
    )

    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Status.DISMISSED


def test_staff_who_may_only_view_see_the_proposal_but_cannot_decide(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_consequenceproposal"))
    client.force_login(viewer)
    proposal = proposal_with_evidence()

    page = client.get(f"{PROPOSALS}{proposal.pk}/change/")
    post = client.post(f"{PROPOSALS}{proposal.pk}/change/", {"_accept": "A", "reason": "Yes."})

    assert page.status_code == 200
    assert 'name="_accept"' not in page.content.decode()
    assert post.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED


@pytest.mark.parametrize("url", [PROPOSALS, SCORES, THRESHOLDS])
def test_the_quality_admin_pages_refuse_non_staff(client, url):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(url)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- Scores and thresholds ---------------------------------------------------------------


def test_the_scores_list_is_read_only_and_filters_by_tier(staff_client):
    QualityScoreFactory(tier="expert", score=90)
    QualityScoreFactory(tier="standard", score=60)

    response = staff_client.get(SCORES, {"tier": "expert"})

    assert response.status_code == 200
    assert [row.score for row in response.context["cl"].result_list] == [90]
    assert staff_client.get(f"{SCORES}add/").status_code == 403
    row = AgentQualityScore.objects.first()
    assert staff_client.post(f"{SCORES}{row.pk}/change/", {"score": 1}).status_code == 403


def test_the_scores_list_runs_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    for _ in range(8):
        QualityScoreFactory(agent=AgentFactory())

    with django_assert_max_num_queries(12):
        response = staff_client.get(SCORES)

    assert response.status_code == 200


def threshold_form(**changes) -> dict:
    values = {
        "coaching_below": 70,
        "probation_below": 55,
        "suspension_below": 40,
        "expert_from": 85,
        "min_tickets": 10,
    }
    return {**values, **changes}


def test_the_thresholds_are_edited_in_the_admin(staff_client):
    row = QualityThresholds.objects.get()

    response = staff_client.post(f"{THRESHOLDS}{row.pk}/change/", threshold_form(coaching_below=75))

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.coaching_below == 75


def test_thresholds_out_of_order_are_refused_with_a_clear_message(staff_client):
    row = QualityThresholds.objects.get()

    response = staff_client.post(
        f"{THRESHOLDS}{row.pk}/change/", threshold_form(probation_below=80)
    )

    assert response.status_code == 200
    assert "must go up in this order" in response.content.decode()
    row.refresh_from_db()
    assert row.probation_below == 55


def test_there_is_one_thresholds_row_no_second_and_no_deleting(staff_client):
    row = QualityThresholds.objects.get()

    assert staff_client.get(f"{THRESHOLDS}add/").status_code == 403
    assert staff_client.get(f"{THRESHOLDS}{row.pk}/delete/").status_code == 403
