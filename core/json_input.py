"""JSON from request bodies, bounded in size and nesting before it is parsed.

The standard library's parser recurses once per nested array or object, so a couple of
kilobytes of ``[[[[…`` raise ``RecursionError`` (an HTTP 500), and nothing bounds how much
a DRF parser reads. Every JSON request body goes through ``load_json_body``: DRF views by
``BoundedJSONParser`` (the default parser, marketplace/settings.py) and plain views by
calling it. Limits: ``JSON_MAX_BYTES`` and ``JSON_MAX_DEPTH``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A JSON string, escapes included. An unterminated one runs to the end of the text, as the
# parser would read it; matching it (rather than failing and retrying from each later quote)
# keeps the scan linear on hostile input such as a quote followed by a megabyte of \".
_STRING = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JsonInputError(ValueError):
    """Why a body is not acceptable JSON; the message is written for the client."""


def nesting_exceeds(text: str, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than ``max_depth`` outside strings."""
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


def load_json_body(body: bytes, *, encoding: str = "utf-8") -> Any:
    """The JSON value of a request body; ``JsonInputError`` if too big, too deep or invalid.

    Nothing is parsed until the size and the nesting are known to be within the limits.
    ``NaN`` and ``Infinity`` are refused: they are not JSON, and nothing here stores them.
    """
    if len(body) > settings.JSON_MAX_BYTES:
        raise JsonInputError(f"The JSON body is over {settings.JSON_MAX_BYTES} bytes.")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        raise JsonInputError(f"The body is not {encoding} text.") from None
    if nesting_exceeds(text, settings.JSON_MAX_DEPTH):
        raise JsonInputError(f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels.")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise JsonInputError(f"JSON parse error - {error}") from None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser through ``load_json_body``; refusals are 400 ``invalid_json``."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # One byte past the limit is enough to know the body is over it.
        body = stream.read(settings.JSON_MAX_BYTES + 1)
        try:
            return load_json_body(body, encoding=encoding)
        except JsonInputError as error:
            raise ParseError({"detail": str(error), "code": "invalid_json"}) from None
