from core.money import format_money


def test_an_amount_in_cents_is_shown_with_its_symbol_and_two_decimals():
    assert format_money(123450, "usd") == "$1,234.50"


def test_a_zero_decimal_currency_is_shown_without_decimals():
    assert format_money(300, "JPY") == "¥300"


def test_an_unknown_currency_is_shown_by_its_code():
    assert format_money(250, "sek") == "2.50 SEK"


def test_a_negative_amount_keeps_its_sign_before_the_symbol():
    assert format_money(-5, "eur") == "-€0.05"
