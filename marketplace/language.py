"""Which language a page is in (docs/i18n.md).

LocaleMiddleware, just before this, has picked one from the language cookie (the switcher's
choice) and Accept-Language. Here two things change that:

- The customer side, the agent portal, onboarding and the agent's login are translated;
  every other page (ops, the admin, the API) stays English, rather than half-translated by
  Django's own catalogs around our English text.
- On the customer side, `?lang=sv` in the address wins: the embed widget frames /chat/ on
  other sites and passes its host page's language this way. It is remembered in the
  language cookie, as the switcher's choice is.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject

from core.language_cookie import remember_language
from tickets.language import supported_language

# The home page, the chat and its pages, and the two i18n views the chat uses.
CUSTOMER_PATH_PREFIXES = ("/chat/", "/jsi18n/", "/i18n/")  # /chat/ has the embed example too
CUSTOMER_PATHS = frozenset({"/"})
# The agent's pages: the portal, onboarding (/agents/…) and the login.
AGENT_PATH_PREFIXES = ("/portal/", "/agents/", "/accounts/")


def is_customer_path(path: str) -> bool:
    return path in CUSTOMER_PATHS or path.startswith(CUSTOMER_PATH_PREFIXES)


def is_translated_path(path: str) -> bool:
    return is_customer_path(path) or path.startswith(AGENT_PATH_PREFIXES)


class PageLanguageMiddleware(MiddlewareMixin):
    # MiddlewareMixin, as Django's own, so it runs under ASGI without a thread hop.

    def process_request(self, request: HttpRequest) -> None:
        path = request.path_info
        request.page_is_translated = is_translated_path(path)
        if not request.page_is_translated:
            language = settings.LANGUAGE_CODE
        elif not is_customer_path(path):
            return
        else:
            language = supported_language(request.GET.get("lang", ""))
            if language is None:
                return
            request._language_from_query = language
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        language = getattr(request, "_language_from_query", None)
        if language is not None:
            remember_language(response, language)
        return response


def _path_without_lang(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("lang", None)
    return request.path + (f"?{query.urlencode()}" if query else "")


def language_switcher(request: HttpRequest) -> dict:
    """Context processor: ``language_next``, where the switcher returns to: this page without
    ``?lang=``, which would outvote the choice just made."""
    return {"language_next": SimpleLazyObject(lambda: _path_without_lang(request))}
