from django.urls import path

from agents import portal_views

urlpatterns = [
    path("", portal_views.portal, name="portal"),
    path("profile/", portal_views.profile, name="portal-profile"),
]
