from decimal import Decimal

import pytest
from django.utils import translation

from core.money import (
    format_money,
    minor_unit_exponent,
    payout_amount_is_payable,
    to_major_units,
    to_minor_units,
)

# Stripe's "Zero-decimal currencies", written out here rather than read from the module.
ZERO_DECIMAL = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"]
ZERO_DECIMAL += ["pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]


def test_an_amount_in_cents_is_shown_with_its_symbol_and_two_decimals():
    assert format_money(123450, "usd") == "$1,234.50"


def test_a_zero_decimal_currency_is_shown_without_decimals():
    assert format_money(300, "JPY") == "¥300"


def test_a_three_decimal_currency_is_shown_with_three_decimals():
    assert format_money(1234, "kwd") == "KWD1.234"


def test_a_currency_without_a_symbol_in_english_is_shown_by_its_code():
    assert format_money(250, "sek") == "SEK2.50"


def test_a_negative_amount_keeps_its_sign_before_the_symbol():
    assert format_money(-5, "eur") == "-€0.05"


def test_swedish_kronor_are_written_the_swedish_way_for_a_swedish_viewer():
    assert format_money(123450, "sek", locale="sv") == "1\xa0234,50\xa0kr"


def test_euros_are_written_the_german_way_for_a_german_viewer():
    assert format_money(123450, "eur", locale="de") == "1.234,50\xa0€"


def test_the_active_language_is_the_viewers_locale():
    with translation.override("fr"):
        assert format_money(123450, "eur") == "1\u202f234,50\xa0€"


def test_yen_are_written_the_japanese_way_for_a_japanese_viewer():
    assert format_money(300, "jpy", locale="ja") == "￥300"


def test_an_unknown_locale_falls_back_to_american_english():
    assert format_money(250, "usd", locale="xx-yy") == "$2.50"


def test_a_fraction_that_cldr_would_round_away_is_still_shown():
    # Stripe keeps ISK two-decimal in its API; CLDR writes it without decimals.
    assert format_money(550, "isk") == "ISK5.5"
    assert format_money(500, "isk") == "ISK5"


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        *[(code, 0) for code in ZERO_DECIMAL],
        *[(code, 3) for code in ["bhd", "jod", "kwd", "omr", "tnd"]],
        ("usd", 2),
        ("EUR", 2),
        ("sek", 2),
        ("isk", 2),
        ("huf", 2),
        ("twd", 2),
    ],
)
def test_the_minor_unit_follows_stripes_table(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount_minor", "currency", "major"),
    [
        (1250, "usd", Decimal("12.50")),
        (1250, "jpy", Decimal(1250)),
        (1250, "kwd", Decimal("1.250")),
    ],
)
def test_minor_units_convert_to_major_units_exactly(amount_minor, currency, major):
    assert to_major_units(amount_minor, currency) == major
    assert to_minor_units(major, currency) == amount_minor


def test_an_amount_finer_than_the_minor_unit_is_refused():
    with pytest.raises(ValueError, match="JPY"):
        to_minor_units(Decimal("1.5"), "jpy")


@pytest.mark.parametrize(
    ("amount_minor", "currency", "payable"),
    [(100050, "huf", False), (100000, "huf", True), (150, "twd", False), (999, "usd", True)],
)
def test_huf_isk_and_twd_payouts_must_be_whole_units(amount_minor, currency, payable):
    assert payout_amount_is_payable(amount_minor, currency) is payable
