from datetime import UTC, date, datetime, timedelta

from django.template import Context, Template
from django.utils import timezone as django_timezone
from django.utils import translation

from core.dates import DAY, WEEKDAY, format_clock, format_date, format_when

AFTERNOON = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def test_a_date_is_written_the_american_way_by_default():
    assert format_date(AFTERNOON) == "Dec 5, 2026"


def test_a_date_is_written_the_german_way_for_a_german_viewer():
    assert format_date(AFTERNOON, locale="de") == "5. Dez. 2026"


def test_a_date_is_written_the_japanese_way_for_a_japanese_viewer():
    assert format_date(date(2026, 12, 5), locale="ja") == "2026年12月5日"


def test_the_active_language_is_the_viewers_locale():
    with translation.override("sv"):
        assert format_date(AFTERNOON, DAY) == "5 dec."


def test_a_time_uses_the_locales_clock():
    assert format_clock(AFTERNOON) == "2:30\u202fPM"
    assert format_clock(AFTERNOON, locale="de") == "14:30"


def test_a_date_and_time_are_joined_the_locales_way():
    assert format_when(AFTERNOON, WEEKDAY, locale="de") == "Sa., 5. Dez., 14:30"


def test_a_datetime_is_shown_in_the_current_time_zone():
    with django_timezone.override("Asia/Tokyo"):
        assert format_when(AFTERNOON, locale="ja") == "2026年12月5日 23:30"


def test_nothing_is_shown_for_no_date():
    assert format_date(None) == format_when(None) == format_clock(None) == ""


def test_the_template_filters_follow_the_active_language():
    template = Template(
        '{% load local_dates %}{{ when|local_date }} | {{ when|local_datetime:"day" }}'
        " | {{ when|local_time }}"
    )
    with translation.override("fr"):
        rendered = template.render(Context({"when": AFTERNOON + timedelta(days=1)}))
    assert rendered == "6 déc. 2026 | 6 déc., 14:30 | 14:30"
