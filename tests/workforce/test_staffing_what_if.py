"""The admin's staffing what-if: agents under Erlang C and Erlang A for a typed-in case."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from workforce.staffing_models import staffing_both_models

pytestmark = pytest.mark.django_db

URL = reverse("admin:workforce_shiftslot_what_if")
CASE = {
    "arrivals_per_hour": "120",
    "handle_time_seconds": "600",
    "target_share_pct": "80",
    "target_seconds": "60",
    "patience_seconds": "180",
    "chats_per_agent": "1",
}


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    client.force_login(admin)
    return client


def test_it_shows_the_agents_each_model_needs(staff_client):
    response = staff_client.get(URL, CASE)

    assert response.status_code == 200
    erlang_c, erlang_a = response.context["results"]
    # 120 an hour × 600 s = 20 erlangs; Erlang C asks for 24 (80 % in 60 s), and customers
    # who give up after about 3 minutes lighten the queue enough for fewer.
    assert (erlang_c.model, erlang_c.agents) == ("Erlang C", 24)
    assert erlang_a.model == "Erlang A"
    assert erlang_a.agents < erlang_c.agents
    assert erlang_a.service_level >= 0.8
    assert b"Erlang A" in response.content


def test_concurrency_divides_servers_by_chats_times_efficiency(staff_client, settings):
    settings.SHIFT_CHAT_EFFICIENCY = {1: 1.0, 2: 0.85, 3: 0.7}

    response = staff_client.get(URL, {**CASE, "chats_per_agent": "3"})

    erlang_c, _ = response.context["results"]
    assert response.context["efficiency"] == 0.7
    assert erlang_c.agents == 12  # ceil(24 / 2.1)


def test_a_cap_on_abandonment_adds_erlang_a_agents(staff_client):
    plain = staff_client.get(URL, CASE).context["results"][1]

    capped = staff_client.get(URL, {**CASE, "max_abandon_pct": "1"}).context["results"][1]

    assert capped.agents > plain.agents
    assert capped.abandon_probability <= 0.01


def test_the_form_opens_with_the_measured_or_default_patience(staff_client, settings):
    settings.SHIFT_DEFAULT_PATIENCE_SECONDS = 240

    response = staff_client.get(URL)

    assert response.status_code == 200
    assert response.context["results"] is None
    assert response.context["form"].initial["patience_seconds"] == 240


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("arrivals_per_hour", "-5"),
        ("handle_time_seconds", "0"),
        ("target_share_pct", "100"),
        ("patience_seconds", "abc"),
        ("chats_per_agent", "0"),
    ],
)
def test_invalid_input_is_refused_with_the_fields_error(staff_client, field, value):
    response = staff_client.get(URL, {**CASE, field: value})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert response.context["results"] is None


def test_an_absurd_load_is_refused_with_a_hint_about_units(staff_client):
    response = staff_client.get(
        URL, {**CASE, "arrivals_per_hour": "90000", "handle_time_seconds": "3600"}
    )

    assert response.status_code == 400
    assert "erlangs" in str(response.context["form"].non_field_errors())


def test_it_is_for_staff_only(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(email="a@example.com", password="x"))

    response = client.get(URL, CASE)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_without_the_shift_slot_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user(email="s@example.com", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(URL, CASE).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_shiftslot"))
    assert client.get(URL, CASE).status_code == 200


def test_both_models_use_the_same_concurrency_conversion():
    erlang_c, erlang_a = staffing_both_models(
        arrivals_per_hour=120,
        handle_time_seconds=600,
        target_share=0.8,
        target_seconds=60,
        patience_seconds=1e12,
        chats_per_agent=2,
        efficiency=0.85,
    )
    # Infinitely patient customers: the two models agree.
    assert (erlang_a.servers, erlang_a.agents) == (erlang_c.servers, erlang_c.agents)
    assert erlang_a.abandon_probability < 1e-6
