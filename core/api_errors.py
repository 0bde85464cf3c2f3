"""The API's error answers, as the OpenAPI schema documents them.

drf-spectacular documents the success of an operation and nothing else. Each API view lists
here every other status it can answer, with the body that comes with it, so that a client,
and schemathesis in ``make schema-check``, can tell an answer the API promises from a bug.
The bodies are DRF's own (``{"detail"}``, errors by field), core.json_input's
``invalid_json`` and marketplace.outages' ``unavailable``; these serializers only describe
them and are never used to write one.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers


class Error(serializers.Serializer):
    detail = serializers.CharField(help_text="What was refused and why, for a person to read.")


class InvalidJsonError(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["invalid_json"])


class FieldErrors(serializers.Serializer):
    """Described by ``FieldErrorsSchema``: its keys are the request's own field names."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrors

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        # A list of objects (a transcript) has one entry per item, empty for a good one;
        # an object's errors are keyed by its own fields, in the same shape.
        nested = {"type": "object", "additionalProperties": True}
        return {
            "type": "object",
            "description": (
                'Errors by field: `{"<field>": ["…"]}`, nested for lists and objects; errors '
                "of the body as a whole (not an object) under `non_field_errors`."
            ),
            "minProperties": 1,
            "additionalProperties": {
                "anyOf": [
                    messages,
                    nested,
                    {"type": "array", "items": nested},
                ]
            },
        }


class UnavailableError(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["unavailable"])


# Exactly one matches: an invalid_json body's values are strings, a field's are lists or
# objects.
BAD_REQUEST = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="BadRequest",
        serializers=[InvalidJsonError, FieldErrors],
        resource_type_field_name=None,
    ),
    description=(
        "The body is not JSON, or is over JSON_MAX_BYTES or nested deeper than JSON_MAX_DEPTH "
        "(`invalid_json`); or a field is missing or invalid (errors by field)."
    ),
)

INVALID_QUERY = OpenApiResponse(FieldErrors, description="A query parameter is invalid.")

NOT_ACCEPTABLE = OpenApiResponse(Error, description="Accept leaves out application/json.")

UNSUPPORTED_MEDIA_TYPE = OpenApiResponse(Error, description="The body is not application/json.")

UNAVAILABLE = OpenApiResponse(
    UnavailableError,
    description=(
        "The database or Redis could not be reached: nothing was done unless the outage "
        "struck after the change was stored. Retry after Retry-After seconds."
    ),
)


def refusal(description: str) -> OpenApiResponse:
    """A ``{"detail"}`` answer: 401, 403, 404, 422, 429."""
    return OpenApiResponse(Error, description=description)


def retry_after(*statuses: int) -> OpenApiParameter:
    """The Retry-After header of the answers with these statuses."""
    return OpenApiParameter(
        "Retry-After",
        int,
        OpenApiParameter.HEADER,
        required=True,
        response=list(statuses),
        description="Seconds to wait before trying again.",
    )
