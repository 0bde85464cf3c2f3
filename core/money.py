"""Showing amounts of money. Amounts are integers of minor units (cents) plus a currency;
no float is ever involved, so what is shown is exactly what is stored.

Here, below every app, because more than payouts shows money: an offer's quoted pay is on
the ticket's admin page (tickets), and tickets may not import payouts."""

from __future__ import annotations

# Currencies whose minor unit is not a hundredth (ISO 4217 exponent 0).
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"})
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}


def format_money(amount_minor: int, currency: str) -> str:
    """``250, "usd"`` → ``"$2.50"``; an unknown currency is shown by its code: ``"2.50 SEK"``."""
    currency = currency.lower()
    sign = "-" if amount_minor < 0 else ""
    amount_minor = abs(amount_minor)
    if currency in ZERO_DECIMAL_CURRENCIES:
        number = f"{amount_minor:,}"
    else:
        number = f"{amount_minor // 100:,}.{amount_minor % 100:02d}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency.upper()}"
