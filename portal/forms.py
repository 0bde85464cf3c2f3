"""The forms of the agent-facing pages: applying, training, the code of conduct, shift
preferences and cash-out. Each parses and reports; the rules live in the services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agents.countries import country_choices
from agents.models import Agent
from agents.onboarding import time_zone_names, validate_application
from agents.time_zones import TIME_ZONE_ALIASES, TIME_ZONES
from agents.vocabulary import Language, Skill


def _time_zone_choices() -> list:
    # Current names only, one per region of a country (agents/time_zones.py), grouped by
    # area and labelled by city, so typing "Nai" in the menu finds Nairobi. The service
    # accepts any name the database knows; this is what is offered.
    known = time_zone_names()
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in TIME_ZONES:
        if name in known:
            area, _slash, place = name.partition("/")
            groups.setdefault(area, []).append((name, place.replace("_", " ").replace("/", " / ")))
    return [("", _("Choose your time zone")), ("UTC", "UTC"), *groups.items()]


class AvailabilityField(forms.CharField):
    """One day of the week as text, ``09:00-13:00, 18:00-21:00``; blank for a day off."""

    def to_python(self, value):
        text = super().to_python(value)
        ranges = []
        for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
            start, _, end = part.partition("-")
            ranges.append([start.strip(), end.strip()])
        return ranges


class WeeklyAvailabilityForm(forms.Form):
    """A field per weekday of times the agent can work ("09:00-13:00, 18:00-22:00"), shared by
    the application and the shift preferences. Templates render them in a loop."""

    AVAILABILITY_FIELDS = [
        f"avail_{day}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ]

    avail_mon = AvailabilityField(label=_("Monday"), required=False)
    avail_tue = AvailabilityField(label=_("Tuesday"), required=False)
    avail_wed = AvailabilityField(label=_("Wednesday"), required=False)
    avail_thu = AvailabilityField(label=_("Thursday"), required=False)
    avail_fri = AvailabilityField(label=_("Friday"), required=False)
    avail_sat = AvailabilityField(label=_("Saturday"), required=False)
    avail_sun = AvailabilityField(label=_("Sunday"), required=False)

    def availability_fields(self):
        return [self[name] for name in self.AVAILABILITY_FIELDS]

    def weekly_availability(self) -> dict[str, list[list[str]]]:
        return {
            name.removeprefix("avail_"): self.cleaned_data.get(name) or []
            for name in self.AVAILABILITY_FIELDS
        }


class AgentApplicationForm(WeeklyAvailabilityForm):
    """The sign-up form. Choices are offered as lists, but what is submitted is checked again
    by ``onboarding.agent_apply``, whose messages name the bad value."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not a common password, and not all digits."),
    )
    segment = forms.ChoiceField(
        label=_("Which describes you best?"),
        choices=Agent.Segment.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Unknown segment: %(value)s.")},
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        error_messages={"invalid_choice": _("Unknown country: %(value)s. Pick one from the list.")},
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        # static/agents/time_zone.js preselects the browser's zone, via these aliases when
        # the browser reports an old name.
        widget=forms.Select(attrs={"data-browser-time-zone": "time-zone-aliases"}),
        help_text=_("Filled in from your browser; change it if it is not where you work from."),
        error_messages={
            "invalid_choice": _("Unknown time zone: %(value)s. Pick one from the list.")
        },
    )
    time_zone_aliases = TIME_ZONE_ALIASES
    languages = forms.MultipleChoiceField(
        label=_("Languages you can support customers in"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("At least one language is required."),
            "invalid_choice": _("Unknown language code: %(value)s."),
        },
    )
    skills = forms.MultipleChoiceField(
        label=_("What can you help with?"),
        choices=[(value, label) for value, label in Skill.choices if value != Skill.GENERAL],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Everyone takes general questions; tick what you can do beyond that."),
        error_messages={"invalid_choice": _("Unknown skill: %(value)s.")},
    )
    motivation = forms.CharField(
        label=_("Why do you want to do this work?"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        help_text=_("A few sentences; at most 1000 characters."),
    )

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "email": data["email"],
            "password": data["password"],
            "first_name": data["first_name"],
            "last_name": data.get("last_name", ""),
            "segment": data["segment"],
            "country": data["country"],
            "time_zone": data["time_zone"],
            "languages": data["languages"],
            "skills": data["skills"],
            "weekly_availability": self.weekly_availability(),
            "motivation": data["motivation"],
        }

    def clean(self):
        """Run the service's checks too, on whatever parsed, so an applicant sees every
        problem at once (a weak password and a missing language in one round)."""
        data = self.cleaned_data
        arguments = {
            "email": data.get("email", ""),
            "password": data.get("password", ""),
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "segment": data.get("segment", ""),
            "country": data.get("country", ""),
            "time_zone": data.get("time_zone", ""),
            "languages": data.get("languages", []),
            "skills": data.get("skills", []),
            "weekly_availability": self.weekly_availability(),
            "motivation": data.get("motivation", ""),
        }
        try:
            validate_application(**arguments)
        except ValidationError as error:
            # A field that did not even parse already says why; don't pile a second message on.
            self.add_service_errors(error, skip=set(self.errors))
        return data

    def add_service_errors(self, error: ValidationError, *, skip: set[str] = frozenset()) -> None:
        """Put the service's errors next to the fields they are about."""
        for field, messages in error.message_dict.items():
            if field in skip:
                continue
            if field == "weekly_availability":
                field = None
            self.add_error(field, messages)


class QuizForm(forms.Form):
    """One radio group per active question, named ``q<id>``. Only the ids offered here are
    accepted, and the service scores from the database, never from anything posted but the
    chosen ids."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for number, question in enumerate(self.questions, start=1):
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=f"{number}. {question.text}",
                choices=[(choice.pk, choice.text) for choice in question.choices.all()],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Answer this question."),
                    "invalid_choice": _("That is not one of this question's answers."),
                },
            )

    def answers(self) -> dict[int, int]:
        return {question.pk: self.cleaned_data[f"q{question.pk}"] for question in self.questions}


class CodeOfConductForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the code of conduct and I will follow it."),
        error_messages={"required": _("Tick the box to accept the code of conduct.")},
    )


class ShiftPreferencesForm(WeeklyAvailabilityForm):
    """Weekly availability, hour cap and surge opt-in; ``shifts.agent_shift_preferences_update``
    checks them again and names any bad value."""

    weekly_hour_cap = forms.IntegerField(
        label=_("Most hours a week"), min_value=0, max_value=60, help_text=_("From 0 to 60.")
    )
    surge_opt_in = forms.BooleanField(
        label=_("Tell me when customers are waiting and pay is boosted (surge)"), required=False
    )

    @classmethod
    def initial_for(cls, agent: Agent) -> dict:
        initial = {
            f"avail_{day}": ", ".join(f"{start}-{end}" for start, end in ranges)
            for day, ranges in (agent.weekly_availability or {}).items()
        }
        initial["weekly_hour_cap"] = agent.shift_weekly_hour_cap
        initial["surge_opt_in"] = agent.surge_opt_in
        return initial


class CashOutForm(forms.Form):
    # The amount the agent was shown and confirms; the service refuses if it moved since.
    expected_net_cents = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you disagree?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why you disagree with the review.")},
    )
