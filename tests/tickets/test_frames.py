"""The frame schemas: what each inbound frame accepts, and the code of each refusal."""

import json

import pytest

from tickets.frames import AGENT_FRAMES, CUSTOMER_FRAMES, FrameError, parse_frame


def agent(frame):
    return parse_frame(json.dumps(frame), AGENT_FRAMES)


def customer(frame):
    return parse_frame(json.dumps(frame), CUSTOMER_FRAMES)


def refusal(parse, frame) -> str:
    with pytest.raises(FrameError) as caught:
        parse(frame)
    assert caught.value.detail
    return caught.value.code


def test_a_valid_agent_message_keeps_its_body_as_typed_and_trims_its_client_id():
    frame_type, data = agent(
        {"type": "message", "ticket": 3, "client_id": " c-1 ", "body": "  hello\n", "x": 1}
    )

    assert frame_type == "message"
    assert data == {"ticket": 3, "client_id": "c-1", "body": "  hello\n"}


def test_optional_fields_take_their_defaults():
    assert customer({"type": "rate", "score": 4}) == ("rate", {"score": 4, "comment": ""})
    assert agent({"type": "release", "ticket": 2}) == ("release", {"ticket": 2, "reason": ""})


def test_a_frame_without_fields_parses_to_nothing():
    assert customer({"type": "request_human", "extra": "ignored"}) == ("request_human", {})


@pytest.mark.parametrize("ticket", ["5", 5.0, True, [5], {"id": 5}])
def test_a_ticket_that_is_not_a_json_integer_is_an_invalid_field(ticket):
    assert refusal(agent, {"type": "claim", "ticket": ticket}) == "invalid_field"


def test_a_null_field_is_an_invalid_field_not_a_default():
    assert refusal(customer, {"type": "rate", "score": 5, "comment": None}) == "invalid_field"


@pytest.mark.parametrize("ticket", [0, -3])
def test_a_ticket_id_below_one_is_an_invalid_field(ticket):
    assert refusal(agent, {"type": "claim", "ticket": ticket}) == "invalid_field"


@pytest.mark.parametrize("score", [0, 6])
def test_a_rating_outside_one_to_five_is_an_invalid_field(score):
    assert refusal(customer, {"type": "rate", "score": score}) == "invalid_field"


def test_a_note_over_its_limit_is_body_too_long():
    frame = {"type": "note", "ticket": 1, "client_id": "n", "body": "a" * 2001}

    assert refusal(agent, frame) == "body_too_long"


def test_a_message_body_at_the_chat_limit_is_accepted_and_one_over_is_refused(settings):
    settings.CHAT_MAX_BODY_CHARS = 10
    frame = {"type": "message", "client_id": "m"}

    assert customer({**frame, "body": "a" * 10})[1]["body"] == "a" * 10
    assert refusal(customer, {**frame, "body": "a" * 11}) == "body_too_long"


def test_a_blank_client_id_is_an_invalid_field():
    assert refusal(customer, {"type": "message", "client_id": "  ", "body": "hi"}) == (
        "invalid_field"
    )


def test_a_client_id_over_64_characters_is_an_invalid_field():
    assert refusal(customer, {"type": "message", "client_id": "c" * 65, "body": "hi"}) == (
        "invalid_field"
    )


# PostgreSQL stores neither; a frame carries them as "\u0000" and "\ud800".
UNSTORABLE = ["a\u0000b", "\u0000", "a\ud800b", "\udfff"]


@pytest.mark.parametrize("text", UNSTORABLE)
@pytest.mark.parametrize(
    ("parse", "frame", "field"),
    [
        (customer, {"type": "message", "client_id": "m"}, "body"),
        (customer, {"type": "message", "body": "hi"}, "client_id"),
        (customer, {"type": "rate", "score": 5}, "comment"),
        (agent, {"type": "message", "ticket": 1, "client_id": "m"}, "body"),
        (agent, {"type": "note", "ticket": 1, "client_id": "n"}, "body"),
        (agent, {"type": "release", "ticket": 1}, "reason"),
    ],
    ids=["customer-body", "client-id", "comment", "agent-body", "note", "reason"],
)
def test_nul_or_a_lone_surrogate_in_any_text_field_is_an_invalid_field(parse, frame, field, text):
    with pytest.raises(FrameError) as caught:
        parse({**frame, field: text})

    assert caught.value.code == "invalid_field"
    assert caught.value.detail.startswith(f"{field}: The character U+")


def test_a_surrogate_pair_is_one_character_and_is_accepted():
    frame = json.dumps({"type": "message", "client_id": "m", "body": "ok \ud83d\ude00"})

    assert parse_frame(frame, CUSTOMER_FRAMES)[1]["body"] == "ok \U0001f600"
