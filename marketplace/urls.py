from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agents.apis import SessionLoginApi
from agents.views import LoginView
from marketplace import views
from tickets.admin import dispatch_settings_view
from tickets.apis import ConversationCreateApi, ConversationMessagesApi

handler404 = "marketplace.views.not_found"
handler500 = "marketplace.outages.server_error"

admin.site.site_header = "Humanline operations"
admin.site.site_title = "Humanline"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Shifts and surges moved from the agents app to workforce: old admin links still land.
    re_path(
        r"^admin/agents/(?P<model>shiftslot|shiftassignment|shiftassignmentevent|halfhourdemand"
        r"|surgeperiod)/(?P<rest>.*)$",
        RedirectView.as_view(
            url="/admin/workforce/%(model)s/%(rest)s", permanent=True, query_string=True
        ),
    ),
    # Before admin.site.urls, whose catch-all would answer it; staff only, as the admin is.
    path(
        "admin/tickets/dispatch-settings/",
        admin.site.admin_view(dispatch_settings_view),
        name="admin-dispatch-settings",
    ),
    path("admin/", admin.site.urls),
    # The customer side's languages (docs/i18n.md): the switcher posts to set_language, and
    # the chat's script reads its phrases from the catalog of the active language.
    # Django's own set_language, wrapped to remember a logged-in agent's choice (CSRF-checked
    # as every POST is, by the middleware).
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("tickets.urls")),
    path("", include("portal.onboarding_urls")),
    path("", include("payouts.urls")),
    path("portal/", include("portal.urls")),
    path("ops/", include("ops.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI over the schema, its scripts served from our own static files (the sidecar
    # package), so the docs page loads nothing from a CDN.
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/auth/session/", SessionLoginApi.as_view(), name="api-session-login"),
    path("api/v1/conversations/", ConversationCreateApi.as_view(), name="api-conversation-create"),
    path(
        "api/v1/conversations/<conversation_token:token>/messages/",
        ConversationMessagesApi.as_view(),
        name="api-conversation-messages",
    ),
    # Prometheus's scrape, not part of the API (a plain view: drf-spectacular leaves it out).
    path("metrics", views.metrics_view, name="metrics"),
]
