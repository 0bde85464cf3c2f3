"""The admin's week view of demand against staffing, and headcount overrides."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ShiftAssignmentFactory, ShiftSlotFactory
from workforce import calendar
from workforce.models import HalfHourDemand, ShiftAssignment, ShiftSlot

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    client.force_login(admin)
    return client


def test_the_week_view_shows_each_slot_and_the_chart(staff_client):
    week = calendar.week_start_of(timezone.now())
    slot = ShiftSlotFactory(
        starts_at=week + timedelta(hours=8),
        ends_at=week + timedelta(hours=12),
        headcount_required=3,
    )
    ShiftAssignmentFactory(slot=slot, state=ShiftAssignment.State.BOOKED, offer_expires_at=None)
    HalfHourDemand.objects.create(
        starts_at=week + timedelta(hours=9),
        language="en",
        skill="general",
        arrivals=20,
        handle_time_seconds=600,
        concurrency=2,
        agents_required=3,
        computed_at=timezone.now(),
    )

    response = staff_client.get(reverse("admin:workforce_shiftslot_week"))

    assert response.status_code == 200
    row = response.context["staffing"].slots[0]
    assert (row.erlang_peak, row.headcount, row.committed, row.short) == (3, 3, 1, 2)
    hour_9 = response.context["staffing"].half_hours[18]
    assert (hour_9.required, hour_9.committed) == (3, 1)
    page = response.content.decode()
    assert "<svg" in page
    assert page.count("<polyline") == 3  # Erlang C, Erlang A, committed


def test_the_week_view_shows_the_forecast_and_erlang_a_per_half_hour(
    staff_client, settings, django_assert_max_num_queries
):
    settings.SHIFT_DEFAULT_PATIENCE_SECONDS = 180
    settings.SHIFT_CHAT_EFFICIENCY = {1: 1.0}
    week = calendar.week_start_of(timezone.now())
    for language in ("en", "fr"):
        for hour in range(24):  # a day of demand in two queues
            HalfHourDemand.objects.create(
                starts_at=week + timedelta(hours=hour),
                language=language,
                skill="general",
                arrivals=60,
                handle_time_seconds=600,
                concurrency=1,
                agents_required=24,  # Erlang C: 120 an hour × 600 s, 80 % in 60 s
                computed_at=timezone.now(),
            )

    # Session, user, and five reads for the whole week, however many half hours.
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("admin:workforce_shiftslot_week"))

    hour_9 = response.context["staffing"].half_hours[18]
    assert hour_9.arrivals == 120
    assert hour_9.required == 48
    # Customers who give up after 3 minutes on average leave a shorter queue: fewer agents.
    assert 0 < hour_9.erlang_a < hour_9.required
    assert "Erlang A" in response.content.decode()


def test_the_week_view_refuses_a_bad_week_with_a_message(staff_client):
    response = staff_client.get(reverse("admin:workforce_shiftslot_week"), {"week": "2025-03-18"})

    assert response.status_code == 200
    assert "weeks start on a Monday" in response.content.decode()


def test_the_week_view_is_for_staff_only(client):
    response = client.get(reverse("admin:workforce_shiftslot_week"))

    assert response.status_code == 302


def test_an_override_from_the_changelist_goes_through_the_service(staff_client):
    slot = ShiftSlotFactory(headcount_required=2)
    url = reverse("admin:workforce_shiftslot_changelist")
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(slot.pk),
        "form-0-headcount_override": "4",
        "_save": "Save",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert ShiftSlot.objects.get(pk=slot.pk).headcount == 4


def test_an_admin_link_from_before_the_move_to_workforce_still_lands(staff_client):
    response = staff_client.get("/admin/agents/shiftslot/week/?week=2025-03-17")

    assert response.status_code == 301
    assert response["Location"] == "/admin/workforce/shiftslot/week/?week=2025-03-17"
    assert staff_client.get(response["Location"]).status_code == 200
