"""Schemas of the websocket frames clients send; a frame that fails them changes nothing.

Each inbound ``type`` maps to a DRF serializer. ``parse_frame`` returns the validated data
or raises ``FrameError`` with the protocol's snake_case code (docs/protocol.md).
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

from django.conf import settings
from rest_framework import serializers

from tickets.models import NOTE_MAX_BODY_CHARS


class FrameError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def as_event(self) -> dict[str, str]:
        return {"type": "error", "code": self.code, "detail": self.detail}


class ClientId(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=64, allow_blank=False, **kwargs)


class Body(serializers.CharField):
    def __init__(self, *, max_length: int | None = None, **kwargs):
        super().__init__(
            max_length=max_length or settings.CHAT_MAX_BODY_CHARS,
            allow_blank=False,
            trim_whitespace=False,
            **kwargs,
        )

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not value.strip():
            self.fail("blank")
        return value


class Empty(serializers.Serializer):
    pass


class CustomerMessage(serializers.Serializer):
    client_id = ClientId()
    body = Body()


class Resume(serializers.Serializer):
    after_seq = serializers.IntegerField(min_value=0)


class Rate(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class TicketRef(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1)


class AgentMessage(TicketRef):
    client_id = ClientId()
    body = Body()


class Note(TicketRef):
    client_id = ClientId()
    body = Body(max_length=NOTE_MAX_BODY_CHARS)


class Release(TicketRef):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class AgentResume(TicketRef):
    after_seq = serializers.IntegerField(min_value=0)


CUSTOMER_FRAMES: dict[str, type[serializers.Serializer]] = {
    "message": CustomerMessage,
    "request_human": Empty,
    "typing": Empty,
    "resume": Resume,
    "rate": Rate,
    "heartbeat": Empty,
}

AGENT_FRAMES: dict[str, type[serializers.Serializer]] = {
    "claim": TicketRef,
    "message": AgentMessage,
    "typing": TicketRef,
    "resolve": TicketRef,
    "note": Note,
    "release": Release,
    "resume": AgentResume,
    "heartbeat": Empty,
}


def _error_code(field: str, codes: list[str]) -> str:
    if "required" in codes:
        return "missing_field"
    if field == "body" and "max_length" in codes:
        return "body_too_long"
    if field == "body" and "blank" in codes:
        return "empty_body"
    return "invalid_field"


def parse_frame(
    text: str | None, schemas: dict[str, type[serializers.Serializer]]
) -> tuple[str, dict[str, Any]]:
    if text is None:
        raise FrameError("invalid_json", "Frames are JSON text.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("invalid_frame", "A frame is a JSON object with a type.")
    frame_type = data.get("type")
    if not isinstance(frame_type, str) or not frame_type:
        raise FrameError("missing_field", "The frame has no type.")
    schema = schemas.get(frame_type)
    if schema is None:
        raise FrameError("unknown_type", f"Unknown frame type {frame_type[:40]!r}.")
    serializer = schema(data=data)
    if not serializer.is_valid():
        field, errors = next(iter(serializer.errors.items()))
        codes = [getattr(error, "code", "") for error in errors] if isinstance(errors, list) else []
        raise FrameError(_error_code(field, codes), f"{field}: {' '.join(map(str, errors))}")
    return frame_type, dict(serializer.validated_data)


class FrameRateLimiter:
    """A sliding one-second window per socket: at most ``limit`` frames a second."""

    def __init__(self, limit: int | None = None, *, clock=time.monotonic):
        self.limit = limit or settings.WS_MAX_FRAMES_PER_SECOND
        self.clock = clock
        self.times: deque[float] = deque()

    def allow(self) -> bool:
        now = self.clock()
        while self.times and now - self.times[0] >= 1.0:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True
