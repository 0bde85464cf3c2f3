"""Strict API fields (core.api_fields): what they accept is what their schema says."""

import re
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from core.api_fields import (
    NOT_BLANK,
    WHITESPACE,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
)


def accepts(field: serializers.Field, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


def test_the_spelled_out_whitespace_is_exactly_what_str_strip_removes():
    characters = [chr(code) for code in range(sys.maxunicode + 1)]
    spelled = re.compile(f"[{WHITESPACE}]")

    assert {c for c in characters if spelled.fullmatch(c)} == {c for c in characters if c.isspace()}


@pytest.mark.parametrize("text", [" a ", "\u3000a", "\ufeff"])
def test_the_not_blank_pattern_matches_text_that_trimming_leaves_something_of(text):
    assert text.strip()
    assert re.fullmatch(NOT_BLANK, text)


@pytest.mark.parametrize("text", ["", " \t\n", "\u3000", "\x1c", "a\x00"])
def test_the_not_blank_pattern_refuses_blank_text_and_nul(text):
    assert not re.fullmatch(NOT_BLANK, text)


@pytest.mark.parametrize("value", [0, 1.5, True, None, ["a"]])
def test_a_strict_char_field_refuses_anything_but_a_string(value):
    assert not accepts(StrictCharField(), value)


def test_a_strict_char_field_trims_after_counting_the_text_as_sent():
    field = StrictCharField(max_length=3)

    assert field.run_validation(" ab") == "ab"
    assert not accepts(field, "abc ")


def test_a_pattern_matches_the_whole_text_and_a_final_newline_is_not_its_end():
    field = StrictCharField(pattern=r"^[a-z]+$")

    assert accepts(field, "billing")
    assert not accepts(field, "billing\n")


def test_a_pattern_that_matches_the_empty_text_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        StrictCharField(pattern=r"^[a-z]*$")


def test_min_length_is_a_configuration_error_as_no_schema_could_state_it():
    with pytest.raises(ImproperlyConfigured):
        StrictCharField(min_length=2)


def test_a_strict_choice_field_refuses_a_number_for_a_choice_spelled_the_same():
    field = StrictChoiceField(choices=["1", "2"])

    assert accepts(field, "1")
    assert not accepts(field, 1)


@pytest.mark.parametrize(("value", "expected"), [(7, 7), ("7", 7), ("-7", -7), ("007", 7)])
def test_a_strict_integer_field_reads_integers_and_ascii_digits(value, expected):
    assert StrictIntegerField().run_validation(value) == expected


@pytest.mark.parametrize("value", [True, 1.0, "1.0", " 1", "+1", "\u0661", "", "1e3"])
def test_a_strict_integer_field_refuses_what_drf_would_read_as_a_number(value):
    assert not accepts(StrictIntegerField(), value)
