import secrets

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agents.services import agent_preferred_language_set
from marketplace import health, metrics


@never_cache
@require_GET
async def healthz(request):
    results = await health.check_all()
    healthy = all(value == health.OK for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)


@never_cache
@require_GET
async def readyz(request):
    """/healthz and the background work: a Celery worker answers, beat still runs jobs."""
    ready, body = await health.check_readiness()
    return JsonResponse(body, status=200 if ready else 503)


def set_language(request):
    """Django's ``set_language`` (the switcher's form posts here; it sets the language cookie
    and goes back), and, for a logged-in agent, the choice is remembered on its profile, so
    its emails are written in it too (docs/i18n.md). Django's view checks the method, the
    language and where to go back to; only a choice it accepted is stored."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and response.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None
    ):
        agent_preferred_language_set(user_id=request.user.pk, language=language)
    return response


def home(request):
    return render(request, "home.html")


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin, the chat):
    the static file, under its hashed name in production, so not a permanent redirect."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def not_found(request, exception=None):
    """handler404: under /api/ a JSON ``{"detail"}``, as the API's other refusals and its
    schema have it (a path whose token is not token-shaped matches no route and lands here);
    elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus's scrape: the figures of marketplace.metrics, for the bearer of
    METRICS_TOKEN. Without a token configured the page does not exist (404), so an unset
    variable never exposes it; with one, a wrong or missing token is refused (401)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Constant time: how far a guess matches must not show in how long the refusal takes.
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)
