from django import forms


class CashOutForm(forms.Form):
    # The amount the agent was shown and confirms; the service refuses if it moved since.
    expected_net_cents = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
