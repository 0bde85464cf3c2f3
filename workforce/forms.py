"""The admin's staffing what-if form (workforce.admin)."""

from django import forms


class StaffingWhatIfForm(forms.Form):
    arrivals_per_hour = forms.FloatField(
        min_value=0.01, max_value=100_000, label="Escalations per hour"
    )
    handle_time_seconds = forms.IntegerField(
        min_value=1, max_value=86_400, label="Average handle time (seconds, per chat)"
    )
    target_share_pct = forms.IntegerField(
        min_value=1, max_value=99, label="Service level target (% answered)"
    )
    target_seconds = forms.IntegerField(min_value=0, max_value=3_600, label="… within (seconds)")
    patience_seconds = forms.IntegerField(
        min_value=1, max_value=86_400, label="Customers' mean patience (seconds)"
    )
    chats_per_agent = forms.IntegerField(
        min_value=1, max_value=10, label="Chats per agent (concurrency)"
    )
    max_abandon_pct = forms.FloatField(
        min_value=0.1,
        max_value=50,
        required=False,
        label="At most this % giving up (Erlang A, optional)",
    )

    def clean(self):
        data = super().clean()
        arrivals, handle = data.get("arrivals_per_hour"), data.get("handle_time_seconds")
        # Keeps the computation bounded: a million erlangs is no support team.
        if arrivals and handle and arrivals * handle / 3600 > 10_000:
            raise forms.ValidationError(
                "That is more than 10,000 erlangs of work (escalations per hour × handle time "
                "÷ 3600); check the units: handle time is in seconds."
            )
        return data
