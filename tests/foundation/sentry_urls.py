"""A view that fails, for tests/foundation/test_sentry.py (the product has no such URL)."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def failing_view(request, token):
    # A local variable holding the customer's words: frames are sent without their locals.
    body = request.POST["body"]  # noqa: F841
    raise RuntimeError("sentry probe")


urlpatterns = [path("chat/<str:token>/fail/", failing_view)]
