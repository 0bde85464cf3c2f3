import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from marketplace.open_sockets import OpenSocketCounter  # noqa: E402
from marketplace.request_id import WebsocketRequestId  # noqa: E402
from marketplace.routing import websocket_urlpatterns  # noqa: E402
from marketplace.scheduler import lifespan_app  # noqa: E402
from marketplace.websocket_guard import WebsocketGuard  # noqa: E402
from marketplace.websocket_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # A connection id for the logs, outermost so the guard's own lines carry it
        # (request_id.py); open sockets counted for /metrics (open_sockets.py); a handshake
        # never ends in an HTTP 500 (websocket_guard.py); scheme, host and port of the page
        # must match (websocket_origin.py).
        "websocket": WebsocketRequestId(
            OpenSocketCounter(
                WebsocketGuard(
                    SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                )
            )
        ),
        "lifespan": lifespan_app,
    }
)

if settings.SENTRY_DSN:
    from marketplace import error_reporting

    application = error_reporting.wrap_asgi(application)
