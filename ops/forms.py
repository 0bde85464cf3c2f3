from __future__ import annotations

from datetime import date, timedelta

from django import forms

from ops.history import HISTORY_DAYS

# What the report shows when no range is asked for.
DEFAULT_RANGE_DAYS = 30


def default_range(today: date) -> tuple[date, date]:
    return today - timedelta(days=DEFAULT_RANGE_DAYS - 1), today


class ReportRangeForm(forms.Form):
    """A range of report days (OPS_REPORT_TIME_ZONE) within the report's window: from
    HISTORY_DAYS before today to today."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned
        earliest = self.today - timedelta(days=HISTORY_DAYS)
        if start > end:
            raise forms.ValidationError("The start must be on or before the end.")
        if end > self.today:
            self.add_error("end", f"The end cannot be after today ({self.today:%Y-%m-%d}).")
        if start < earliest:
            self.add_error(
                "start",
                f"The history goes back {HISTORY_DAYS} days: start on {earliest:%Y-%m-%d} "
                "or later.",
            )
        return cleaned
