from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace import health


@never_cache
@require_GET
async def healthz(request):
    results = await health.check_all()
    healthy = all(value == health.OK for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)


def home(request):
    return render(request, "home.html")


def not_found(request, exception=None):
    """handler404: under /api/ a JSON ``{"detail"}``, as the API's other refusals and its
    schema have it (a path whose token is not token-shaped matches no route and lands here);
    elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
