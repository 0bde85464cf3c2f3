"""Forms of identity: the login, and a reviewer's reason for a decision on an agent."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from agents import services
from core.client_address import UNKNOWN, client_address


class ThrottledLoginForm(AuthenticationForm):
    """The browser login, under the same attempt limit as the session API."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong email or password."),
        "throttled": _("Too many login attempts. Try again later."),
    }

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        if not email or not self.cleaned_data.get("password"):
            # No password check will run (the missing field has its error already), so
            # nothing is reserved, and nothing may be handed back or cleared either.
            return super().clean()
        address = client_address(self.request) if self.request else UNKNOWN
        if not services.login_attempt_reserve(email=email, address=address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()  # raises on wrong credentials: the slot stays reserved
        services.login_succeeded(email=email, address=address)
        return cleaned


# --- Onboarding (agents/onboarding.py holds the rules; these only shape the input) ----------


class ReviewReasonForm(forms.Form):
    """The reason an admin gives for a review decision; it is audited and emailed."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Recorded in the audit trail and sent to the agent by email.",
        error_messages={"required": "Give a reason; it is recorded and sent to the agent."},
    )


# --- Shifts (agents/shifts.py holds the rules) ------------------------------------------------
