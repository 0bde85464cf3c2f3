"""Bounded JSON (core.json_input): size and nesting are checked before anything is parsed."""

import json
import time

import pytest

from core.json_input import JsonInputError, load_json_body, nesting_exceeds


def test_nesting_within_the_limit_is_not_exceeded():
    assert not nesting_exceeds('{"a": [[1, {"b": 2}]]}', 4)


def test_nesting_one_past_the_limit_is_exceeded():
    assert nesting_exceeds('{"a": [[1, {"b": [2]}]]}', 4)


def test_siblings_do_not_add_up_to_depth():
    assert not nesting_exceeds("[" + "[], " * 10_000 + "[]]", 2)


@pytest.mark.parametrize("text", ['"[[[[[["', '"\\"[[[[[["', '["\\\\", "[[[[[["]'])
def test_brackets_inside_strings_do_not_count(text):
    assert not nesting_exceeds(text, 1)


def test_an_unterminated_string_swallows_the_rest_as_the_parser_would():
    assert not nesting_exceeds('["abc [[[[[[[[', 1)


@pytest.mark.parametrize(
    "text",
    [
        '"' + '\\"' * 1_000_000,  # a quote, then escaped quotes, never closed
        '"' + '\\"' * 1_000_000 + "\\",  # the same, ending in a lone backslash
        '"' * 2_000_001,  # a million empty strings and one unterminated
        "[]" * 1_000_000,
    ],
    ids=["escaped-quotes", "lone-backslash", "quotes", "pairs"],
)
def test_hostile_text_is_scanned_in_linear_time(text):
    started = time.perf_counter()

    nesting_exceeds(text, 32)

    assert time.perf_counter() - started < 1


def test_a_body_within_the_limits_loads(settings):
    settings.JSON_MAX_DEPTH = 3
    body = json.dumps({"transcript": [{"body": "é [[[["}]}).encode()

    assert load_json_body(body) == {"transcript": [{"body": "é [[[["}]}


def test_a_deep_body_is_refused_without_being_parsed(settings, monkeypatch):
    settings.JSON_MAX_DEPTH = 32
    monkeypatch.setattr(json, "loads", pytest.fail)

    with pytest.raises(JsonInputError, match="deeper than 32"):
        load_json_body(b"[" * 100_000)


def test_a_body_over_the_size_limit_is_refused(settings):
    settings.JSON_MAX_BYTES = 10

    with pytest.raises(JsonInputError, match="over 10 bytes"):
        load_json_body(b'{"a": "12345"}')


@pytest.mark.parametrize("body", [b"\xff{}", b"{", b'{"a": NaN}', b"[Infinity]"])
def test_what_is_not_json_text_is_refused(body):
    with pytest.raises(JsonInputError):
        load_json_body(body)
