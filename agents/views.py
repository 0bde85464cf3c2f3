from django.contrib.auth import views as auth_views

from agents.forms import ThrottledLoginForm


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "agents/login.html"
    redirect_authenticated_user = True
