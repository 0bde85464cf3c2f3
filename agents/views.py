from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from agents.forms import ThrottledLoginForm
from agents.models import Agent
from core.language_cookie import remember_language


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "agents/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        """Logged in: an agent's pages are in the language it chose (on applying or with the
        switcher), in this browser too, whatever the browser asks for."""
        response = super().form_valid(form)
        language = (
            Agent.objects.filter(user_id=form.get_user().pk)
            .values_list("preferred_language", flat=True)
            .first()
        )
        if language and language != self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            remember_language(response, language)
        return response
