"""Schemas of the websocket frames clients send; a frame that fails them changes nothing.

Each inbound ``type`` maps to a schema: its fields and what each accepts. ``parse_frame``
returns the validated data or raises ``FrameError`` with the protocol's snake_case code
(docs/protocol.md). Every frame a socket receives passes through here, so the fields are
checked by hand rather than by DRF serializers, which build and deep-copy their fields for
each frame (~10 % of the server's time in the claim race, docs/performance.md).
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tickets.models import NOTE_MAX_BODY_CHARS, AnswerFeedback, Offer


class FrameError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def as_event(self) -> dict[str, str]:
        return {"type": "error", "code": self.code, "detail": self.detail}


_REQUIRED = object()


@dataclass(frozen=True)
class Integer:
    """A JSON integer (not a string, float or boolean) within the bounds."""

    min_value: int | None = None
    max_value: int | None = None
    default: Any = _REQUIRED

    def clean(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FrameError("invalid_field", f"{name}: A valid integer is required.")
        if self.min_value is not None and value < self.min_value:
            raise FrameError(
                "invalid_field",
                f"{name}: Ensure this value is greater than or equal to {self.min_value}.",
            )
        if self.max_value is not None and value > self.max_value:
            raise FrameError(
                "invalid_field",
                f"{name}: Ensure this value is less than or equal to {self.max_value}.",
            )
        return value


# PostgreSQL stores neither NUL nor a lone surrogate, and a JSON frame can carry both
# ("\u0000", "\ud800"); refused by field here, as DRF's CharField refuses them over HTTP.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Text:
    """A JSON string of at most ``max_length`` characters (the chat limit when None).

    ``trim`` strips surrounding whitespace (ids, reasons); a message body keeps its own, but
    may not be only whitespace. Too long and blank have codes of their own (``too_long_code``,
    ``blank_code``) where a client shows them to a person.
    """

    max_length: int | None = None
    allow_blank: bool = False
    trim: bool = True
    default: Any = _REQUIRED
    too_long_code: str = "invalid_field"
    blank_code: str = "invalid_field"

    def clean(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise FrameError("invalid_field", f"{name}: Not a valid string.")
        unstorable = _UNSTORABLE.search(value)
        if unstorable:
            raise FrameError(
                "invalid_field",
                f"{name}: The character U+{ord(unstorable.group()):04X} is not allowed.",
            )
        if self.trim:
            value = value.strip()
        if not self.allow_blank and not value.strip():
            raise FrameError(self.blank_code, f"{name}: This field may not be blank.")
        limit = self.max_length or settings.CHAT_MAX_BODY_CHARS
        if len(value) > limit:
            raise FrameError(
                self.too_long_code,
                f"{name}: Ensure this field has no more than {limit} characters.",
            )
        return value


@dataclass(frozen=True)
class Choice:
    """A JSON string that is one of ``choices`` (a decline's reason, a presence status)."""

    choices: tuple[str, ...]
    default: Any = _REQUIRED

    def clean(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise FrameError("invalid_field", f"{name}: Must be one of {', '.join(self.choices)}.")
        return value


@dataclass(frozen=True)
class Boolean:
    """A JSON ``true`` or ``false`` (not 0, 1 or a string)."""

    default: Any = _REQUIRED

    def clean(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FrameError("invalid_field", f"{name}: Must be true or false.")
        return value


@dataclass(frozen=True)
class Email:
    """A JSON string that is one email address (Django's validator, at most 254 characters),
    refused with its own code so that a client can ask the person again."""

    default: Any = _REQUIRED

    def clean(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise FrameError("invalid_email", f"{name}: Enter a valid email address.")
        value = value.strip()
        try:
            if len(value) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            raise FrameError("invalid_email", f"{name}: Enter a valid email address.") from None
        return value


# EmailField's length, as Ticket.reply_email stores it.
EMAIL_MAX_LENGTH = 254

Field = Integer | Text | Choice | Boolean | Email
Schema = dict[str, Field]

CLIENT_ID = Text(max_length=64)
BODY = Text(trim=False, too_long_code="body_too_long", blank_code="empty_body")
TICKET = Integer(min_value=1)
AFTER_SEQ = Integer(min_value=0)
OFFER = Integer(min_value=1)
# Message.seq is a PositiveIntegerField: PostgreSQL's integer, at most 2**31 - 1.
SEQ = Integer(min_value=1, max_value=2**31 - 1)

CUSTOMER_FRAMES: dict[str, Schema] = {
    "message": {"client_id": CLIENT_ID, "body": BODY},
    "request_human": {},
    "typing": {},
    "resume": {"after_seq": AFTER_SEQ},
    "rate": {
        "score": Integer(min_value=1, max_value=5),
        "comment": Text(max_length=2000, allow_blank=True, default=""),
    },
    # "Did this solve your problem?" after a resolve (docs/quality.md): yes confirms the
    # resolution, no reopens the conversation.
    "confirm": {"solved": Boolean()},
    "heartbeat": {},
    # A verdict on one of the assistant's answers (tickets.feedback).
    "feedback": {"seq": SEQ, "verdict": Choice(tuple(AnswerFeedback.Verdict.values))},
    # "Leave a message": be answered by email rather than wait on the page (docs/dispatch.md).
    "email_reply": {"email": Email()},
}

AGENT_FRAMES: dict[str, Schema] = {
    "claim": {"ticket": TICKET},
    "message": {"ticket": TICKET, "client_id": CLIENT_ID, "body": BODY},
    "typing": {"ticket": TICKET},
    "resolve": {"ticket": TICKET},
    "note": {
        "ticket": TICKET,
        "client_id": CLIENT_ID,
        "body": Text(
            max_length=NOTE_MAX_BODY_CHARS,
            trim=False,
            too_long_code="body_too_long",
            blank_code="empty_body",
        ),
    },
    "release": {"ticket": TICKET, "reason": Text(max_length=500, allow_blank=True, default="")},
    "resume": {"ticket": TICKET, "after_seq": AFTER_SEQ},
    "heartbeat": {},
    # Offers (docs/dispatch.md): answered in every routing mode, so that an offer made just
    # before a switch to "pick" can still be taken; in "pick" nobody is offered anything.
    "accept": {"offer": OFFER},
    "decline": {
        "offer": OFFER,
        "reason": Choice(tuple(Offer.DeclineReason.values)),
        "note": Text(
            max_length=Offer._meta.get_field("decline_note").max_length,
            allow_blank=True,
            default="",
        ),
    },
    "presence": {"status": Choice(("available", "away"))},
}


def parse_frame(text: str | None, schemas: dict[str, Schema]) -> tuple[str, dict[str, Any]]:
    """The frame's type and its fields as the schema cleaned them; other keys are ignored."""
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
    cleaned: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in data:
            if field.default is _REQUIRED:
                raise FrameError("missing_field", f"{name}: This field is required.")
            cleaned[name] = field.default
        elif data[name] is None:
            raise FrameError("invalid_field", f"{name}: This field may not be null.")
        else:
            cleaned[name] = field.clean(name, data[name])
    return frame_type, cleaned


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
