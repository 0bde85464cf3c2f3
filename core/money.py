"""Amounts of money: integers of minor units plus a currency, and how people read them.

No float is ever involved, so what is shown is exactly what is stored. Here, below every
app, because more than payouts shows money: an offer's quoted pay is on the ticket's admin
page (tickets), and tickets may not import payouts.

The minor unit is Stripe's, not ISO 4217's or CLDR's: the amounts stored are the amounts
sent to Stripe, so Stripe's table of exponents decides what an integer means (docs/payouts.md,
"Currencies and formatting"). Babel decides only how the amount is written for the viewer's
locale.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.utils import translation

# Stripe's "Zero-decimal currencies": an amount of 500 is 500 of the currency.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
# Stripe's "Three-decimal currencies": an amount of 5124 is 5.124 of the currency (and Stripe
# asks that the last digit be 0 for most calls).
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Stripe's special cases, all two-decimal in the API (so not in the sets above): ISK amounts
# must be multiples of 100 everywhere (whole krónur); HUF and TWD may be charged with
# decimals but are paid out in whole units, so a payout's amount must be a multiple of 100.
WHOLE_UNITS_ONLY_CURRENCIES = frozenset({"isk"})
WHOLE_UNITS_FOR_PAYOUTS_CURRENCIES = frozenset({"huf", "isk", "twd"})

FALLBACK_LOCALE = "en_US"


def minor_unit_exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit has: ``"usd"`` → 2, ``"jpy"`` → 0, ``"kwd"`` → 3."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_major_units(amount_minor: int, currency: str) -> Decimal:
    """``1250, "usd"`` → ``Decimal("12.50")``; exact, by Decimal's scaleb, never a float."""
    return Decimal(amount_minor).scaleb(-minor_unit_exponent(currency))


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("12.50"), "usd"`` → ``1250``; refuses an amount finer than the minor unit."""
    scaled = Decimal(amount).scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency.upper()} allows.")
    return int(scaled)


def payout_amount_is_payable(amount_minor: int, currency: str) -> bool:
    """Whether Stripe accepts this amount for a payout: whole units for HUF, ISK and TWD."""
    if currency.lower() in WHOLE_UNITS_FOR_PAYOUTS_CURRENCIES:
        return amount_minor % 100 == 0
    return True


def format_money(amount_minor: int, currency: str, *, locale: str | None = None) -> str:
    """An amount as the viewer reads it, in their locale (the active language by default).

    ``250, "usd"`` → ``"$2.50"`` in English; ``250, "eur"`` → ``"2,50 €"`` in German;
    ``300, "jpy"`` → ``"¥300"``; ``1234, "kwd"`` → ``"KWD1.234"``. When CLDR writes a currency
    with fewer decimals than Stripe stores (ISK, HUF) and the amount has a fraction, the
    fraction is shown rather than rounded away: a page must not hide money that is there.
    """
    code = currency.upper()
    amount = to_major_units(amount_minor, currency)
    babel_locale = viewer_locale(locale)
    shows_every_decimal = amount == amount.quantize(Decimal(1).scaleb(-_cldr_precision(code)))
    return format_currency(
        amount, code, locale=babel_locale, decimal_quantization=shows_every_decimal
    )


def viewer_locale(locale: str | Locale | None = None) -> Locale:
    """Babel's locale for a Django language code, the active language's by default."""
    if isinstance(locale, Locale):
        return locale
    return _babel_locale(locale or translation.get_language() or settings.LANGUAGE_CODE)


@functools.lru_cache(maxsize=64)
def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LOCALE)


@functools.lru_cache(maxsize=256)
def _cldr_precision(code: str) -> int:
    return get_currency_precision(code)
