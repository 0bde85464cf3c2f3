import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command

from agents.models import Agent, User
from payouts.models import RateCard
from quality.models import AgentQualityScore
from tests.factories import PASSWORD, UserFactory
from tickets.models import KnowledgeArticle, Ticket
from workforce.models import ShiftSlot

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "agents": Agent.objects.count(),
        "articles": KnowledgeArticle.objects.count(),
        "rate_cards": RateCard.objects.count(),
        "slots": ShiftSlot.objects.count(),
        "tickets": Ticket.objects.count(),
        "quality_scores": AgentQualityScore.objects.count(),
    }


def test_seed_demo_creates_an_admin_and_active_agents_across_segments(settings):
    settings.DEBUG = True

    call_command("seed_demo", "--agents", "6", "--password", "pw-for-the-demo")

    assert User.objects.get(email="admin@example.com").is_superuser
    agents = (
        Agent.objects.select_related("user")
        .filter(user__email__startswith="agent")
        .order_by("user__email")
    )
    assert [a.user.email for a in agents][:2] == ["agent01@example.com", "agent02@example.com"]
    assert all(a.status == Agent.Status.ACTIVE for a in agents)
    assert {a.segment for a in agents} == {"student", "rural", "brand_fan"}
    assert agents[0].user.check_password("pw-for-the-demo")
    assert KnowledgeArticle.objects.exists()
    assert RateCard.objects.get().entries.count() >= 4
    assert ShiftSlot.objects.exists()


def test_seed_demo_leaves_an_applicant_waiting_for_review(settings, mailoutbox):
    settings.DEBUG = True

    call_command("seed_demo", "--agents", "0")

    applicant = Agent.objects.get(user__email="applicant@example.com")
    assert applicant.status == Agent.Status.AWAITING_REVIEW
    assert applicant.quiz_attempts.get().passed
    assert [e.to_status for e in applicant.status_events.order_by("created_at", "id")] == [
        Agent.Status.EMAIL_VERIFIED,
        Agent.Status.TRAINING,
        Agent.Status.AWAITING_REVIEW,
    ]
    assert mailoutbox == []


def test_seed_demo_twice_creates_nothing_new(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--agents", "3")
    first = counts()

    call_command("seed_demo", "--agents", "3")

    assert counts() == first


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert counts()["users"] == 0

    call_command("seed_demo", "--agents", "1", "--force")
    assert counts()["agents"] == 2  # the agent asked for, and the applicant awaiting review


@pytest.mark.parametrize(
    "model_admin", list(admin.site._registry.values()), ids=lambda m: m.model.__name__
)
def test_every_admin_changelist_renders_with_search_and_filters(client, model_admin):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    opts = model_admin.model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"

    # A one-row model's list opens its row (quality thresholds): followed.
    response = client.get(url, {"q": "anything"} if model_admin.search_fields else {}, follow=True)

    assert response.status_code == 200


def test_every_model_of_the_product_is_registered_in_the_admin():
    from django.apps import apps

    ours = [
        model
        for app in ("agents", "tickets", "workforce", "quality", "payouts", "ops")
        for model in apps.get_app_config(app).get_models()
    ]
    # A review's criterion scores and its dispute are read and settled on the review's page.
    shown_on_their_review = {"ReviewScore", "Dispute"}
    missing = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    assert [name for name in missing if name not in shown_on_their_review] == []


def test_the_admin_refuses_anonymous_visitors(client):
    response = client.get("/admin/tickets/ticket/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_admin_logs_in_with_email_and_password(client):
    UserFactory(email="ops@example.com", is_staff=True)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ops@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
