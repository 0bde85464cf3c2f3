"""Serializer fields for API input that accept what the OpenAPI schema says, and nothing else.

DRF's fields are lenient where the schema is not: ``CharField`` reads ``0`` as ``"0"`` and
``true`` as ``"True"``, ``IntegerField`` reads ``"1.0"``, ``" 7"`` and other scripts'
digits, and every text check (length, pattern, e-mail) runs on the value after its
surrounding whitespace was trimmed, while the schema describes the text as sent. A client
following the schema and the server disagreed both ways: schemathesis found ``{"name": 0}``
accepted and valid-by-schema bodies refused.

These fields check the value as it was sent (its JSON type, its length, its pattern) and
only then let DRF trim and store it, and each states exactly those checks in the schema
(``json_schema`` below, read by the drf-spectacular extensions at the end of the module).
Patterns are written as JSON Schema has them (``^…$``) and applied with ``re.fullmatch``,
which gives ``$`` its JSON Schema meaning, the end of the text, rather than Python's "or
before a final newline".
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import EmailValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

# DRF refuses NUL in every CharField (PostgreSQL cannot store it), so the schema says so.
# Lone surrogates are refused too, but a JSON Schema string is Unicode text, which has none.
NUL = r"\x00"

# What str.strip() removes, spelled out: the shorthand \s means other sets in other regex
# engines (ECMAScript's, Rust's), and a client's validator must read the pattern as we do.
# tests/core/test_api_fields.py checks it against str.isspace.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Trimmed text that may not be blank: something other than whitespace, and no NUL.
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"

# What Django's EmailValidator and the users table take (RFC 5321's path limit).
EMAIL_MAX_CHARS = 254


class StrictCharField(serializers.CharField):
    """Text, and only text: ``0``, ``true`` or ``[]`` is refused, not read as a string.

    ``max_length`` counts the text as sent. Surrounding whitespace is trimmed after the
    checks (unless ``trim_whitespace=False``), so a field that may not be blank needs a
    character other than whitespace. With ``pattern`` (JSON Schema's ``^…$``) the text must
    match it whole, as sent, and is not trimmed: the pattern is the whole rule, except that
    ``allow_blank`` admits "" besides. The pattern must not match "" or NUL.
    """

    default_error_messages = {"pattern": "This value does not match the required pattern."}

    def __init__(self, *, pattern: str | None = None, **kwargs: Any) -> None:
        if kwargs.get("min_length"):
            # DRF counts it after trimming, which no JSON Schema keyword can say.
            raise ImproperlyConfigured("StrictCharField has no min_length; use allow_blank.")
        if pattern is not None and re.fullmatch(pattern, ""):
            # "" is allow_blank's to admit; drf-spectacular writes "pattern or empty".
            raise ImproperlyConfigured("A StrictCharField pattern must not match ''.")
        self.pattern = pattern
        if pattern is not None:
            kwargs["trim_whitespace"] = False
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            blank_allowed = data == "" and self.allow_blank
            if (
                self.pattern is not None
                and not blank_allowed
                and not re.fullmatch(self.pattern, data)
            ):
                self.fail("pattern")
        return super().run_validation(data)

    def json_schema(self) -> dict[str, Any]:
        # drf-spectacular then adds "or empty" (oneOf) to a field that may be blank and has a
        # pattern, so a pattern here never matches "" and NUL is kept out by "not".
        schema: dict[str, Any] = {"type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        elif not self.allow_blank and self.trim_whitespace:
            schema["pattern"] = NOT_BLANK
        else:
            if not self.allow_blank:
                schema["minLength"] = 1
            schema["not"] = {"pattern": NUL}
        return schema


class StrictEmailField(StrictCharField):
    """An e-mail address exactly as sent (no trimming: ``" a@b.example"`` is refused),
    at most 254 characters."""

    default_error_messages = {"invalid": "Enter a valid email address."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", EMAIL_MAX_CHARS)
        kwargs["trim_whitespace"] = False
        super().__init__(**kwargs)
        self.validators.append(EmailValidator(message=self.error_messages["invalid"]))

    def json_schema(self) -> dict[str, Any]:
        # With allow_blank, drf-spectacular makes it "this or empty"; "" is no address.
        return {"type": "string", "format": "email", "maxLength": self.max_length}


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, sent as a string: DRF compares ``str(value)``, so a choice
    ``"1"`` would take the number ``1`` and ``"True"`` the boolean ``true``."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number: a JSON integer, or in a query string ASCII digits with an optional
    minus sign. DRF's own reads ``"1.0"``, ``" 1"``, ``"+1"``, ``"١"`` and ``true`` as 1."""

    _DIGITS = re.compile(r"-?[0-9]+")

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads an optional field's empty form or query value ("?after_seq=") as if it
        # were left out, and answers with the default; the schema has it as no integer.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        if isinstance(data, str) and self._DIGITS.fullmatch(data):
            return int(data)
        self.fail("invalid")


class StrictTextSchema(OpenApiSerializerFieldExtension):
    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return self.target.json_schema()


class ListBoundsSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular 0.30 maps a nested ``many=True`` serializer to an array without the
    bounds DRF enforces on it (``allow_empty``, ``min_length``, ``max_length``)."""

    target_class = serializers.ListSerializer
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        min_items = max(self.target.min_length or 0, 0 if self.target.allow_empty else 1)
        if min_items:
            schema["minItems"] = min_items
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema
