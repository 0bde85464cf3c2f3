"""The agent's language (docs/i18n.md): onboarding's pages follow the browser or the switcher,
the language an agent applies in or picks with the switcher is remembered on its profile, and
the emails it receives are written in it; English stays the default."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from agents import onboarding
from agents.models import Agent, AgentStatusEvent
from quality.consequences import consequence_decide
from quality.models import ConsequenceProposal
from tests.agents.onboarding_support import GOOD_PASSWORD, applicant
from tests.factories import AgentFactory, ConsequenceProposalFactory, UserFactory
from workforce.models import SurgePeriod
from workforce.surge import surge_offers_send

pytestmark = pytest.mark.django_db

S = Agent.Status


def application(**overrides) -> dict:
    data = {
        "first_name": "Sara",
        "email": "sara@example.com",
        "password": GOOD_PASSWORD,
        "segment": "student",
        "country": "SE",
        "time_zone": "Europe/Stockholm",
        "languages": ["sv", "en"],
        "avail_mon": "09:00-13:00",
        "motivation": "I like helping people sort out their problems.",
    }
    data.update(overrides)
    return data


# --- Remembering the language --------------------------------------------------------------


def test_applying_in_swedish_remembers_swedish_as_the_agents_language(client):
    response = client.post("/agents/apply/", application(), HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9")

    assert response.status_code == 302
    assert Agent.objects.get().preferred_language == "sv"


def test_applying_without_a_preference_remembers_english(client):
    client.post("/agents/apply/", application())

    assert Agent.objects.get().preferred_language == "en"


def test_the_switcher_remembers_a_logged_in_agents_choice(client):
    agent = AgentFactory()
    client.force_login(agent.user)

    response = client.post("/i18n/setlang/", {"language": "de", "next": "/portal/"})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    agent.refresh_from_db()
    assert agent.preferred_language == "de"


def test_the_switcher_still_sets_the_cookie_for_someone_not_logged_in(client):
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/chat/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


def test_the_switcher_changes_no_profile_for_a_user_who_is_not_an_agent(client):
    other = AgentFactory()
    client.force_login(UserFactory(email="ops@example.com", is_staff=True))

    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/"})

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.preferred_language == ""


def test_the_switcher_ignores_a_language_humanline_does_not_speak(client):
    agent = AgentFactory(preferred_language="sv")
    client.force_login(agent.user)

    client.post("/i18n/setlang/", {"language": "fr", "next": "/portal/"})

    agent.refresh_from_db()
    assert agent.preferred_language == "sv"


def test_the_switcher_still_checks_the_csrf_token():
    agent = AgentFactory()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(agent.user)

    response = csrf_client.post("/i18n/setlang/", {"language": "de", "next": "/portal/"})

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.preferred_language == ""


# --- Onboarding's pages ----------------------------------------------------------------------


def test_the_apply_page_is_spanish_for_a_spanish_browser(client):
    page = client.get("/agents/apply/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<html lang="es">' in page
    assert "Solicita ser agente de Humanline" in page
    assert "Cuándo sueles poder trabajar" in page
    assert "Enviar mi solicitud" in page


def test_the_apply_page_is_english_without_a_preference(client):
    page = client.get("/agents/apply/").content.decode()

    assert '<html lang="en">' in page
    assert "Apply to be a Humanline agent" in page


def test_an_application_refused_in_spanish_says_why_in_spanish(client):
    response = client.post(
        "/agents/apply/",
        application(avail_mon="13:00-09:00", first_name=" "),
        HTTP_ACCEPT_LANGUAGE="es",
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Corrige los campos marcados; aún no se ha guardado nada." in page
    assert "Lunes: 13:00-09:00 termina antes de empezar." in page
    assert Agent.objects.count() == 0


def test_the_status_page_names_the_steps_in_the_agents_language(client):
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    page = client.get("/agents/status/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert "Din ansökan" in page
    assert "Under utbildning" in page
    assert "Utbildning och test" in page


# --- The agent's emails ------------------------------------------------------------------------


def approve(agent: Agent, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.agent_approve(
            agent_id=agent.pk,
            actor=UserFactory(email="ops@example.com", is_staff=True),
            reason="Great answers.",
        )


def test_the_approval_email_to_a_swedish_agent_is_swedish(
    mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant(S.AWAITING_REVIEW, preferred_language="sv", user__first_name="Sara")

    approve(agent, django_capture_on_commit_callbacks)

    (email,) = mailoutbox
    assert email.subject == "Du är godkänd för att arbeta på Humanline"
    assert email.body.startswith("Hej Sara!")
    assert "Från granskaren: Great answers." in email.body  # the reason in the reviewer's words
    assert "/agents/conduct/" in email.body


def test_the_approval_email_to_an_english_agent_is_english(
    mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant(S.AWAITING_REVIEW, user__first_name="Sam")

    approve(agent, django_capture_on_commit_callbacks)

    (email,) = mailoutbox
    assert email.subject == "You're approved to work on Humanline"
    assert email.body.startswith("Hi Sam,")
    assert "From the reviewer: Great answers." in email.body


def test_the_agents_email_is_in_its_language_whatever_language_is_active(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    # The reviewer reads the admin in English; a verification resent from a German page.
    agent = applicant(S.APPLIED, preferred_language="de")
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/agents/verify/resend/", HTTP_ACCEPT_LANGUAGE="sv")

    (email,) = mailoutbox
    assert email.subject == (
        "Bestätige deine E-Mail-Adresse, um deine Bewerbung bei Humanline fortzusetzen"
    )
    assert "Der Link funktioniert" in email.body


def surge_for_swedish() -> int:
    period = SurgePeriod.objects.create(
        language="sv", started_at=timezone.now(), trigger_wait_seconds=120
    )
    return surge_offers_send(surge_period_id=period.pk, multiplier_at=lambda _at: "1.5")


def test_the_surge_offer_to_a_swedish_agent_is_swedish(mailoutbox):
    AgentFactory(preferred_language="sv", languages=["sv"], surge_opt_in=True, is_online=False)

    assert surge_for_swedish() == 1

    (email,) = mailoutbox
    assert email.subject == "Kunder väntar: 1.5× betalt nu"
    assert "Kunder som skriver på SV väntar längre än vanligt just nu." in email.body


def test_the_surge_offer_to_an_english_agent_is_english(mailoutbox):
    AgentFactory(languages=["sv"], surge_opt_in=True, is_online=False)

    surge_for_swedish()

    (email,) = mailoutbox
    assert email.subject == "Customers are waiting: 1.5× pay now"
    assert "Customers writing in SV are waiting longer than usual right now." in email.body


def accept_coaching(agent: Agent, django_capture_on_commit_callbacks) -> None:
    proposal = ConsequenceProposalFactory(kind=ConsequenceProposal.Kind.COACHING, agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        consequence_decide(
            proposal_id=proposal.pk,
            decided_by=UserFactory(email="ops@example.com", is_staff=True),
            accept=True,
            reason="Tone, see reviews.",
        )


def test_the_consequence_email_to_a_swedish_agent_is_swedish(
    mailoutbox, django_capture_on_commit_callbacks
):
    accept_coaching(AgentFactory(preferred_language="sv"), django_capture_on_commit_callbacks)

    (email,) = mailoutbox
    assert email.subject == "Coachning om dina konversationer på Humanline"
    assert "Inget annat ändras: du kan fortsätta arbeta som vanligt." in email.body
    assert "Anledningen, med vårt teams ord: Tone, see reviews." in email.body


def test_the_consequence_email_to_an_english_agent_is_english(
    mailoutbox, django_capture_on_commit_callbacks
):
    accept_coaching(AgentFactory(), django_capture_on_commit_callbacks)

    (email,) = mailoutbox
    assert email.subject == "Coaching on your Humanline conversations"
    assert "Nothing else changes: you can keep working as usual." in email.body


def test_a_status_event_is_still_audited_in_english():
    # The audit trail is the operators' record: the agent's language does not reach it.
    agent = applicant(S.EMAIL_VERIFIED, preferred_language="sv")

    onboarding.agent_start_training(agent_id=agent.pk)

    assert AgentStatusEvent.objects.filter(agent=agent).last().reason == "started training"


def _log_in(client: Client, user, **headers):
    return client.post(
        "/accounts/login/", {"username": user.email, "password": "pw-for-tests-only"}, **headers
    )


def test_logging_in_brings_the_agents_language_to_a_new_browser(client):
    agent = AgentFactory(preferred_language="sv")
    agent.user.set_password("pw-for-tests-only")
    agent.user.save()

    response = _log_in(client, agent.user, HTTP_ACCEPT_LANGUAGE="de")
    portal = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert '<html lang="sv">' in portal


def test_logging_in_as_someone_who_is_no_agent_sets_no_language(client):
    user = UserFactory()
    user.set_password("pw-for-tests-only")
    user.save()

    response = _log_in(client, user)

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_logging_in_leaves_the_browsers_language_to_an_agent_that_never_chose(client):
    agent = AgentFactory(preferred_language="")
    agent.user.set_password("pw-for-tests-only")
    agent.user.save()

    response = _log_in(client, agent.user, HTTP_ACCEPT_LANGUAGE="de")

    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_an_agent_that_never_chose_gets_its_emails_in_english():
    assert AgentFactory.build(preferred_language="").email_language == "en"
    assert AgentFactory.build(preferred_language="sv").email_language == "sv"
