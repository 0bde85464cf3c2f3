from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.complaints import COMPLAINT_DETAILS_MAX_CHARS
from tickets.models import Complaint

# The customer's words for the categories; the model's labels stay English for the admin.
CATEGORY_LABELS = {
    Complaint.Category.RUDE: _("The agent was rude"),
    Complaint.Category.WRONG_INFORMATION: _("I was given wrong information"),
    Complaint.Category.PRIVATE_DATA: _("I was asked for private data"),
    Complaint.Category.OTHER: _("Something else"),
}


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What went wrong?"),
        choices=[(value, CATEGORY_LABELS[value]) for value in Complaint.Category.values],
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Anything else we should know? (optional)"),
        required=False,
        max_length=COMPLAINT_DETAILS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
