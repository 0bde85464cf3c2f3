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
import unicodedata
from collections.abc import Callable, Iterator

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

# Scripts written without spaces between words: Han, Hiragana, Katakana, Hangul (Korean
# glues particles to numbers: "010-1234-5678로"), CJK punctuation, and Thai, Lao, Khmer and
# Myanmar. Their characters are word characters to `re`, so `\b` and `\w` lookarounds would
# refuse "電話は090-1234-5678です"; the patterns below look only at ASCII letters and digits
# around a number, and never let an email's local part or domain run into these scripts.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff"
    "\u3000-\u303f\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f"
)
# Dashes people type inside numbers that NFKC leaves alone.
_DASHES = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"}

# Groups of digits joined by single spaces or dashes: how people type card numbers.
# No group can end where the next one starts, so matching stays linear on long input.
_DIGIT_GROUPS = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_DIGIT_GROUP = re.compile(r"\d+")

_SECURITY_CODE = re.compile(
    r"""
    (?<![A-Za-z0-9])(?P<label>
        cvv2? | cvc2? | csc | cid
        | security\s+code | card\s+verification(?:\s+(?:code|value|number))?
        | c[oó]digo\s+de\s+seguridad
    )(?![A-Za-z])
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

# A character of an email address: any word character or ".+%-" but not one of the unspaced
# scripts, so "メールはtaro@example.jpです" hides only the address. The start must not follow
# another address character (that keeps the scan linear on "a.a.a.…"), unless it follows
# an unspaced script, which the address cannot run into.
_EMAIL_CHAR = rf"(?:(?![{_UNSPACED}])[\w.+%-])"
_DOMAIN_CHAR = rf"(?:(?![{_UNSPACED}])[\w-])"
_EMAIL = re.compile(
    rf"(?:(?<=[{_UNSPACED}])|(?<![\w.+%-])){_EMAIL_CHAR}+"
    rf"@{_DOMAIN_CHAR}+(?:\.{_DOMAIN_CHAR}+)*\.[A-Za-z]{{2,}}(?!{_DOMAIN_CHAR})"
)

# A candidate phone number: starts with "+", "(" or a digit, ends with a digit, and uses only
# digits and the separators people put in phone numbers. Anything glued to an ASCII letter or
# digit (product codes like "A1234567890"), a "#" (order numbers), a currency sign or a
# decimal point is not a phone number; glued to any other script it may well be one.
_PHONE_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_#$€£¥₩₹+.,/-])(?:\+|\()?\d[\d ().-]*\d(?![A-Za-z0-9_])"
)
_DATE_AT_START = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DECIMAL_NUMBER = re.compile(r"^\d+\.\d{1,2}$")
_CURRENCY_SIGNS = "$€£¥₩₹円元원"
_CURRENCY_CODES = "eur|usd|gbp|mxn|jpy|cny|rmb|krw|inr|sek|pln|chf|brl|aed|sar"
_AMOUNT_CONTEXT_AFTER = re.compile(
    rf"^(?:[.,]\d|\s?(?:[{_CURRENCY_SIGNS}]|(?:{_CURRENCY_CODES})(?![A-Za-z])|zł|kr\b))", re.I
)
_AMOUNT_CONTEXT_BEFORE = re.compile(
    rf"(?:[{_CURRENCY_SIGNS}]|(?<![A-Za-z])(?:{_CURRENCY_CODES}))\s?$", re.I
)

# A replacement: start and end in the text, and what goes there.
Span = tuple[int, int, str]


def mask_secrets(text: str) -> str:
    """Mask payment card numbers and IBANs, and remove card security codes.

    Only digit runs that pass the Luhn check are treated as cards, so order and phone
    numbers stay readable; only IBANs with valid check digits are masked. Full-width and
    other non-ASCII digits count (see fold_for_matching).
    """
    try:
        if not isinstance(text, str):
            return ""
        # IBANs first: their long digit tails could otherwise pass for a card number.
        masked = _replace_spans(text, _iban_spans)
        masked = _replace_spans(masked, _card_spans)
        return _replace_spans(masked, _security_code_spans)
    except Exception:
        logger.exception("Masking secrets failed; hiding the whole message.")
        return UNCHECKED_MESSAGE


def mask_contact_details(text: str) -> str:
    """Hide email addresses and phone numbers; leave amounts, dates and order numbers alone."""
    try:
        if not isinstance(text, str):
            return ""
        masked = _replace_spans(text, _email_spans)
        return _replace_spans(masked, _phone_spans)
    except Exception:
        logger.exception("Masking contact details failed; hiding the whole message.")
        return UNCHECKED_MESSAGE


def fold_for_matching(text: str) -> str:
    """The text with full-width and other compatibility forms folded, character by character.

    "０９０－１２３４－５６７８" and "taro＠example.jp" become ASCII (NFKC), as do digits of
    other scripts ("٠٩٠" and "०९०" become "090") and the dashes NFKC keeps. A character whose
    NFKC form is longer than one character ("㈱", "½") is kept as it is, so the result has
    the same length as the text and a match in it is the same span of the original: the
    patterns run on the folded text and the original span is what gets masked.
    """
    if text.isascii():
        return text
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    if char.isascii():
        return char
    if char in _DASHES:
        return _DASHES[char]
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def _replace_spans(text: str, find: Callable[[str], Iterator[Span]]) -> str:
    folded = fold_for_matching(text)
    pieces: list[str] = []
    position = 0
    for start, end, replacement in find(folded):
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


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


def _card_spans(folded: str) -> Iterator[Span]:
    """Every card number inside each run of digit groups.

    A run can hold more than a card ("4242 4242 4242 4242 123" with the security code
    typed straight after it), so spans of whole groups are tried, longest first, from each
    group onwards.
    """
    for run in _DIGIT_GROUPS.finditer(folded):
        groups = list(_DIGIT_GROUP.finditer(folded, run.start(), run.end()))
        numbers = [group.group(0) for group in groups]
        start = 0
        while start < len(groups):
            card_end = _card_span_end(numbers, start)
            if card_end is None:
                start += 1
                continue
            digits = "".join(numbers[start:card_end])
            yield groups[start].start(), groups[card_end - 1].end(), _masked_card(digits)
            start = card_end


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


def _security_code_spans(folded: str) -> Iterator[Span]:
    for match in _SECURITY_CODE.finditer(folded):
        yield match.start("code"), match.end("code"), SECURITY_CODE_REMOVED


def _iban_spans(folded: str) -> Iterator[Span]:
    for match in _IBAN.finditer(folded):
        chunks = match.group(0).split(" ")
        # The pattern may have taken trailing upper-case words or numbers, so try every span
        # of leading chunks, longest first, until the check digits agree.
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
                printed_length = len(" ".join(chunks[:end]))
                masked = f"{candidate[:2]}•• •••• •••• {candidate[-4:]}"
                yield match.start(), match.start() + printed_length, masked
                break


def _iban_checksum_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def _email_spans(folded: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(folded):
        yield match.start(), match.end(), EMAIL_HIDDEN


def _phone_spans(folded: str) -> Iterator[Span]:
    for match in _PHONE_CANDIDATE.finditer(folded):
        if _looks_like_phone(
            match.group(0),
            before=folded[max(0, match.start() - 5) : match.start()],
            after=folded[match.end() : match.end() + 5],
        ):
            yield match.start(), match.end(), PHONE_HIDDEN


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
