from django.http import JsonResponse
from django.shortcuts import render
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
