"""Masking of what customers type before anyone else sees it.

mask_secrets runs on every customer message before it is stored, logged or pushed, so a
card number typed into the chat never reaches the database, the logs or an agent's screen.
mask_contact_details runs on what an agent is shown: agents are gig workers and must not be
able to contact customers outside the platform.

Both functions are pure and never raise: a masking bug must not lose a customer's message,
and if something unexpected does go wrong they return a placeholder rather than the
unmasked text.
"""

import logging
import re

logger = logging.getLogger(__name__)

MASKED_CARD_PREFIX = "•••• •••• •••• "
SECURITY_CODE_REMOVED = "[security code removed]"
EMAIL_HIDDEN = "[email hidden]"
PHONE_HIDDEN = "[phone hidden]"
UNCHECKED_MESSAGE = "[message hidden: it could not be checked for sensitive details]"

CARD_MIN_DIGITS = 13
CARD_MAX_DIGITS = 19
# Cards are typed whole or in groups of 4 (4-6-5 for Amex). Refusing shorter groups keeps
# dates and lists of small numbers from being glued into a "card", and bounds the work.
CARD_MIN_GROUP_DIGITS = 3
# E.164 caps a full international number at 15 digits.
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
# Without a "+" or separators a short digit run is far more likely an order or reference
# number than a phone number, so bare runs need the length of a full national number.
BARE_PHONE_MIN_DIGITS = 10

# Groups of digits joined by single spaces or dashes: how people type card numbers.
# No group can end where the next one starts, so matching stays linear on long input.
_DIGIT_GROUPS = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_GROUP_SEPARATOR = re.compile(r"[ -]")

_SECURITY_CODE = re.compile(
    r"""
    \b(?P<label>
        cvv2? | cvc2? | csc | cid
        | security\s+code | card\s+verification(?:\s+(?:code|value|number))?
        | c[oó]digo\s+de\s+seguridad
    )(?![^\W\d_])
    (?P<joiner>\s*(?:(?:[:=\#\-]|is\b|was\b|es\b)\s*)*)
    (?P<code>\d{3,4})(?!\d)
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Printed IBANs: country, check digits, then up to 30 characters, often grouped by four.
# Upper case only, so ordinary words next to an IBAN are not taken as part of it. Chunks
# must be separated by a space, which keeps the pattern free of backtracking blow-ups.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2} ?[A-Z0-9]+(?: [A-Z0-9]+)*(?![A-Za-z0-9])")
IBAN_MIN_LENGTH = 15
IBAN_MAX_LENGTH = 34

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")

# A candidate phone number: starts with "+", "(" or a digit, ends with a digit, and uses only
# digits and the separators people put in phone numbers. Anything glued to a word, a "#"
# (order numbers), a currency sign or a decimal point is not a phone number.
_PHONE_CANDIDATE = re.compile(r"(?<![\w#$€£¥+.,/-])(?:\+|\()?\d[\d ().-]*\d(?!\w)")
_DATE_AT_START = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DECIMAL_NUMBER = re.compile(r"^\d+\.\d{1,2}$")
_AMOUNT_CONTEXT_AFTER = re.compile(r"^(?:[.,]\d|\s?(?:[$€£¥]|(?:eur|usd|gbp|mxn)\b))", re.I)
_AMOUNT_CONTEXT_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:eur|usd|gbp|mxn))\s?$", re.I)


def mask_secrets(text: str) -> str:
    """Mask payment card numbers and IBANs, and remove card security codes.

    Only digit runs that pass the Luhn check are treated as cards, so order and phone
    numbers stay readable; only IBANs with valid check digits are masked.
    """
    try:
        if not isinstance(text, str):
            return ""
        # IBANs first: their long digit tails could otherwise pass for a card number.
        masked = _IBAN.sub(_mask_iban_match, text)
        masked = _DIGIT_GROUPS.sub(_mask_cards_in_digit_groups, masked)
        return _SECURITY_CODE.sub(_remove_security_code, masked)
    except Exception:
        logger.exception("Masking secrets failed; hiding the whole message.")
        return UNCHECKED_MESSAGE


def mask_contact_details(text: str) -> str:
    """Hide email addresses and phone numbers; leave amounts, dates and order numbers alone."""
    try:
        if not isinstance(text, str):
            return ""
        masked = _EMAIL.sub(EMAIL_HIDDEN, text)
        return _PHONE_CANDIDATE.sub(_mask_phone_match, masked)
    except Exception:
        logger.exception("Masking contact details failed; hiding the whole message.")
        return UNCHECKED_MESSAGE


def passes_luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _masked_card(digits: str) -> str:
    return MASKED_CARD_PREFIX + digits[-4:]


def _mask_cards_in_digit_groups(match: re.Match[str]) -> str:
    """Mask every card number inside a run of digit groups.

    A run can hold more than a card ("4242 4242 4242 4242 123" with the security code
    typed straight after it), so spans of whole groups are tried, longest first, from each
    group onwards.
    """
    run = match.group(0)
    groups = _GROUP_SEPARATOR.split(run)
    separators = _GROUP_SEPARATOR.findall(run)
    pieces: list[str] = []
    start = 0
    while start < len(groups):
        card_end = _card_span_end(groups, start)
        if card_end is None:
            pieces.append(groups[start])
            if start < len(separators):
                pieces.append(separators[start])
            start += 1
            continue
        pieces.append(_masked_card("".join(groups[start:card_end])))
        if card_end - 1 < len(separators):
            pieces.append(separators[card_end - 1])
        start = card_end
    return "".join(pieces)


def _card_span_end(groups: list[str], start: int) -> int | None:
    """The end (exclusive) of the longest card number starting at groups[start], if any."""
    digit_count = 0
    candidate_ends: list[int] = []
    for end in range(start + 1, len(groups) + 1):
        group = groups[end - 1]
        digit_count += len(group)
        if digit_count > CARD_MAX_DIGITS or len(group) < CARD_MIN_GROUP_DIGITS:
            break
        if digit_count >= CARD_MIN_DIGITS:
            candidate_ends.append(end)
    for end in reversed(candidate_ends):
        if passes_luhn("".join(groups[start:end])):
            return end
    return None


def _remove_security_code(match: re.Match[str]) -> str:
    return f"{match.group('label')}{match.group('joiner')}{SECURITY_CODE_REMOVED}"


def _mask_iban_match(match: re.Match[str]) -> str:
    chunks = match.group(0).split(" ")
    # The pattern may have taken trailing upper-case words or numbers, so try every span of
    # leading chunks, longest first, until the check digits agree.
    candidate_ends: list[int] = []
    length = 0
    for end, chunk in enumerate(chunks, start=1):
        length += len(chunk)
        if length > IBAN_MAX_LENGTH:
            break
        if length >= IBAN_MIN_LENGTH:
            candidate_ends.append(end)
    for end in reversed(candidate_ends):
        candidate = "".join(chunks[:end])
        if _iban_checksum_ok(candidate):
            rest = " ".join(chunks[end:])
            masked = f"{candidate[:2]}•• •••• •••• {candidate[-4:]}"
            return f"{masked} {rest}" if rest else masked
    return match.group(0)


def _iban_checksum_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def _mask_phone_match(match: re.Match[str]) -> str:
    candidate = match.group(0)
    if _looks_like_phone(
        candidate,
        before=match.string[max(0, match.start() - 5) : match.start()],
        after=match.string[match.end() : match.end() + 5],
    ):
        return PHONE_HIDDEN
    return candidate


def _looks_like_phone(candidate: str, *, before: str, after: str) -> bool:
    digits = sum(char.isdigit() for char in candidate)
    if not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        return False
    if candidate.count("(") != candidate.count(")"):
        return False
    if _DATE_AT_START.match(candidate) or _IPV4.match(candidate):
        return False
    if _DECIMAL_NUMBER.match(candidate):
        return False
    # "1 234 567,89 €" and "USD 1 234 567" are amounts with grouped thousands.
    if _AMOUNT_CONTEXT_AFTER.match(after) or _AMOUNT_CONTEXT_BEFORE.search(before):
        return False
    has_separators = not candidate.isdigit()
    return has_separators or digits >= BARE_PHONE_MIN_DIGITS
