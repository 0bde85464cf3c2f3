from django import forms

from tickets.complaints import COMPLAINT_DETAILS_MAX_CHARS
from tickets.models import Complaint


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(
        label="What went wrong?", choices=Complaint.Category.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label="Anything else we should know? (optional)",
        required=False,
        max_length=COMPLAINT_DETAILS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
