from django.urls import path

from portal import earnings_views, quality_views, shift_views, views

urlpatterns = [
    path("", views.portal, name="portal"),
    path("profile/", views.profile, name="portal-profile"),
    path("earnings/", earnings_views.earnings, name="portal-earnings"),
    path("earnings/cash-out/", earnings_views.cash_out, name="portal-cash-out"),
    path("quality/", quality_views.quality, name="portal-quality"),
    path(
        "quality/reviews/<int:review_id>/dispute/",
        quality_views.dispute,
        name="portal-quality-dispute",
    ),
    path("shifts/", shift_views.shifts_page, name="portal-shifts"),
    path("shifts/preferences/", shift_views.preferences, name="portal-shift-preferences"),
    path(
        "shifts/offers/<int:assignment_id>/accept/",
        shift_views.offer_accept,
        name="portal-shift-accept",
    ),
    path(
        "shifts/offers/<int:assignment_id>/decline/",
        shift_views.offer_decline,
        name="portal-shift-decline",
    ),
    path("shifts/slots/<int:slot_id>/book/", shift_views.slot_book, name="portal-shift-book"),
]
