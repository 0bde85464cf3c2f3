"""Table-driven tests for tickets.masking. Pure functions: no Django, no database."""

import time

import pytest

from tickets.masking import (
    EMAIL_HIDDEN,
    PHONE_HIDDEN,
    SECURITY_CODE_REMOVED,
    mask_contact_details,
    mask_secrets,
    passes_luhn,
)

MASKED_4242 = "•••• •••• •••• 4242"

CARD_NUMBERS = [
    pytest.param(
        "my card is 4242 4242 4242 4242 thanks",
        f"my card is {MASKED_4242} thanks",
        id="a visa number with spaces",
    ),
    pytest.param("4242-4242-4242-4242", MASKED_4242, id="a visa number with dashes"),
    pytest.param("card:4242424242424242.", f"card:{MASKED_4242}.", id="a visa number unspaced"),
    pytest.param(
        "amex 3782 822463 10005 please", "amex •••• •••• •••• 0005 please", id="an amex number"
    ),
    pytest.param(
        "5555555555554444 and 4000056655665556",
        "•••• •••• •••• 4444 and •••• •••• •••• 5556",
        id="two card numbers in one message",
    ),
    pytest.param(
        "4242 4242 4242 4242 123",
        f"{MASKED_4242} 123",
        id="a card number typed straight before more digits",
    ),
    pytest.param(
        "use 6011 1111 1111 1117 12/26",
        "use •••• •••• •••• 1117 12/26",
        id="a discover number followed by its expiry date",
    ),
]

SECURITY_CODES = [
    pytest.param("cvv 123", f"cvv {SECURITY_CODE_REMOVED}", id="a cvv after the word cvv"),
    pytest.param("CVV: 123", f"CVV: {SECURITY_CODE_REMOVED}", id="an upper case cvv with a colon"),
    pytest.param("my cvc is 9876", f"my cvc is {SECURITY_CODE_REMOVED}", id="a four digit cvc"),
    pytest.param("cvv2=321", f"cvv2={SECURITY_CODE_REMOVED}", id="a cvv2 with an equals sign"),
    pytest.param(
        "the security code is 456",
        f"the security code is {SECURITY_CODE_REMOVED}",
        id="a security code spelled out",
    ),
    pytest.param("CSC 789", f"CSC {SECURITY_CODE_REMOVED}", id="a csc"),
    pytest.param(
        "mi código de seguridad es 321",
        f"mi código de seguridad es {SECURITY_CODE_REMOVED}",
        id="a security code in spanish",
    ),
    pytest.param(
        "4242 4242 4242 4242 exp 12/26 cvv 123",
        f"{MASKED_4242} exp 12/26 cvv {SECURITY_CODE_REMOVED}",
        id="a card number and its cvv together",
    ),
]

IBANS = [
    pytest.param(
        "IBAN ES91 2100 0418 4502 0005 1332 OK",
        "IBAN ES•• •••• •••• 1332 OK",
        id="a spaced spanish iban",
    ),
    pytest.param("GB82WEST12345698765432", "GB•• •••• •••• 5432", id="a compact british iban"),
]

LEFT_ALONE_BY_MASK_SECRETS = [
    pytest.param("order 1234567890123", id="an order number that fails luhn"),
    pytest.param("call +1 555 123 4567", id="a phone number"),
    pytest.param("424242424242", id="a luhn valid run too short for a card"),
    pytest.param("12345678901234567890123", id="a digit run too long for a card"),
    pytest.param("I paid $120.50 on 2024-05-01 for order #12345", id="amounts dates and orders"),
    pytest.param("cvv 12345", id="five digits after cvv"),
    pytest.param("GB82 WEST 1234 5698 7654 33", id="an iban with wrong check digits"),
    pytest.param(f"already masked {MASKED_4242}", id="an already masked card"),
    pytest.param("", id="an empty message"),
]

CONTACT_DETAILS = [
    pytest.param(
        "mail me at jane.doe+acme@example.co.uk now",
        f"mail me at {EMAIL_HIDDEN} now",
        id="an email address",
    ),
    pytest.param("+44 20 7946 0958", PHONE_HIDDEN, id="a british number with a plus"),
    pytest.param("call (555) 123-4567.", f"call {PHONE_HIDDEN}.", id="a us number in brackets"),
    pytest.param("+1-555-123-4567", PHONE_HIDDEN, id="a us number with dashes"),
    pytest.param("555.123.4567", PHONE_HIDDEN, id="a us number with dots"),
    pytest.param("0034 612 345 678", PHONE_HIDDEN, id="a spanish number with 00"),
    pytest.param("+34612345678", PHONE_HIDDEN, id="a compact international number"),
    pytest.param("07700 900123", PHONE_HIDDEN, id="a british mobile with a space"),
    pytest.param("07700900123", PHONE_HIDDEN, id="a bare eleven digit mobile"),
    pytest.param("+44 (0)20 7946 0958", PHONE_HIDDEN, id="a number with a trunk prefix"),
    pytest.param(
        "a@b.io or +1 555 123 4567",
        f"{EMAIL_HIDDEN} or {PHONE_HIDDEN}",
        id="an email and a phone number together",
    ),
]

LEFT_ALONE_BY_MASK_CONTACT_DETAILS = [
    pytest.param("It cost $120.50", id="an amount in dollars"),
    pytest.param("Paid 1234567.89 EUR", id="a large amount with decimals"),
    pytest.param("1.234.567,89 €", id="an amount with thousands separators"),
    pytest.param("USD 1 234 567", id="an amount grouped with spaces"),
    pytest.param("delivered 2024-05-01", id="an iso date"),
    pytest.param("on 2024-05-01 10:30", id="a date and time"),
    pytest.param("order #12345", id="a short order number"),
    pytest.param("ref #1234567890", id="a long order number"),
    pytest.param("order 1234567", id="a seven digit reference"),
    pytest.param("server 192.168.0.1", id="an ip address"),
    pytest.param("Our office is open 9-17", id="opening hours"),
    pytest.param(MASKED_4242, id="a masked card number"),
]


@pytest.mark.parametrize(("text", "expected"), CARD_NUMBERS)
def test_it_masks_card_numbers_keeping_the_last_four_digits(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(("text", "expected"), SECURITY_CODES)
def test_it_removes_security_codes(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(("text", "expected"), IBANS)
def test_it_masks_ibans_with_valid_check_digits(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize("text", LEFT_ALONE_BY_MASK_SECRETS)
def test_mask_secrets_leaves_other_numbers_alone(text: str) -> None:
    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    "text",
    [param.values[0] for param in CARD_NUMBERS + SECURITY_CODES + IBANS],
)
def test_masking_secrets_twice_changes_nothing_more(text: str) -> None:
    once = mask_secrets(text)
    assert mask_secrets(once) == once


@pytest.mark.parametrize(("text", "expected"), CONTACT_DETAILS)
def test_it_hides_contact_details(text: str, expected: str) -> None:
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize("text", LEFT_ALONE_BY_MASK_CONTACT_DETAILS)
def test_mask_contact_details_leaves_amounts_dates_and_order_numbers_alone(text: str) -> None:
    assert mask_contact_details(text) == text


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        pytest.param("4242424242424242", True, id="a test visa"),
        pytest.param("79927398713", True, id="the textbook example"),
        pytest.param("4242424242424241", False, id="a visa with a typo"),
    ],
)
def test_it_checks_luhn(digits: str, valid: bool) -> None:
    assert passes_luhn(digits) is valid


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="none"),
        pytest.param(12345, id="an int"),
        pytest.param("\x00\ud800 ١٢٣٤٥٦٧٨٩٠١٢٣", id="odd unicode"),
    ],
)
def test_masking_never_raises(text: object) -> None:
    assert isinstance(mask_secrets(text), str)  # type: ignore[arg-type]
    assert isinstance(mask_contact_details(text), str)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("cvv" + " :" * 20_000 + "x", id="a long run of separators after cvv"),
        pytest.param("GB12" + "ABCD" * 20_000, id="a long upper case run"),
        pytest.param("a." * 50_000 + "x", id="a long dotted word"),
        pytest.param("1 " * 50_000, id="many single digits"),
        pytest.param("4242 " * 20_000, id="many digit groups"),
    ],
)
def test_masking_stays_fast_on_hostile_input(text: str) -> None:
    started = time.monotonic()
    mask_contact_details(mask_secrets(text))
    assert time.monotonic() - started < 2
