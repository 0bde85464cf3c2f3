"""Table-driven tests for tickets.masking. Pure functions: no Django, no database."""

import time

import pytest

from agents.vocabulary import LANGUAGE_CODES
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


# Issue #22: scripts written without spaces, full-width forms, and one example per supported
# language (agents.vocabulary.Language, plus Swedish and Korean).
E, P, C = EMAIL_HIDDEN, PHONE_HIDDEN, MASKED_4242

EMAILS_IN_EVERY_LANGUAGE = [
    pytest.param("en", "write to jane@example.com please", f"write to {E} please"),
    pytest.param("es", "escríbeme a maria.lopez@correo.es, gracias", f"escríbeme a {E}, gracias"),
    pytest.param("fr", "mon adresse : élodie@exemple.fr merci", f"mon adresse : {E} merci"),
    pytest.param("de", "Schreiben Sie an jürgen@müller.de!", f"Schreiben Sie an {E}!"),
    pytest.param("pt", "meu e-mail é joao.silva@exemplo.com.br", f"meu e-mail é {E}"),
    pytest.param("it", "la mia email è luca@esempio.it.", f"la mia email è {E}."),
    pytest.param("nl", "mail naar jan.devries@voorbeeld.nl aub", f"mail naar {E} aub"),
    pytest.param("pl", "mój e-mail to zofia@przyklad.pl, dzięki", f"mój e-mail to {E}, dzięki"),
    pytest.param("sv", "maila mig på sven@exempel.se tack", f"maila mig på {E} tack"),
    pytest.param("hi", "मेरा ईमेल raj@example.in है", f"मेरा ईमेल {E} है"),
    pytest.param("ar", "بريدي هو ahmed@example.sa شكرا", f"بريدي هو {E} شكرا"),
    pytest.param("zh", "我的邮箱是zhang.wei@example.cn谢谢", f"我的邮箱是{E}谢谢"),
    pytest.param("ja", "メールはtaro@example.jpです", f"メールは{E}です"),
    pytest.param("ko", "이메일은minjun@example.kr입니다", f"이메일은{E}입니다"),
]

PHONES_IN_EVERY_LANGUAGE = [
    pytest.param("en", "call me on (555) 123-4567 tonight", f"call me on {P} tonight"),
    pytest.param("es", "llámame al +34 612 345 678, gracias", f"llámame al {P}, gracias"),
    pytest.param("fr", "mon numéro : 06 12 34 56 78", f"mon numéro : {P}"),
    pytest.param("de", "Rufen Sie mich unter 0151 23456789 an", f"Rufen Sie mich unter {P} an"),
    pytest.param("pt", "liga para (11) 91234-5678 por favor", f"liga para {P} por favor"),
    pytest.param("it", "chiamami al 347 123 4567", f"chiamami al {P}"),
    pytest.param("nl", "bel me op 06-12345678", f"bel me op {P}"),
    pytest.param("pl", "zadzwoń pod +48 512 345 678", f"zadzwoń pod {P}"),
    pytest.param("sv", "ring mig på 070-123 45 67", f"ring mig på {P}"),
    pytest.param("hi", "मेरा नंबर 98765 43210 है", f"मेरा नंबर {P} है"),
    pytest.param("ar", "اتصل بي على ٠٥٠١٢٣٤٥٦٧ من فضلك", f"اتصل بي على {P} من فضلك"),
    pytest.param("zh", "请打电话13812345678谢谢", f"请打电话{P}谢谢"),
    pytest.param("ja", "電話は090-1234-5678です", f"電話は{P}です"),
    pytest.param("ko", "010-1234-5678로 전화주세요", f"{P}로 전화주세요"),
]

CARDS_IN_EVERY_LANGUAGE = [
    pytest.param("en", "my card is 4242424242424242", f"my card is {C}"),
    pytest.param("es", "mi tarjeta es 4242 4242 4242 4242", f"mi tarjeta es {C}"),
    pytest.param("fr", "ma carte : 4242-4242-4242-4242", f"ma carte : {C}"),
    pytest.param("de", "Kartennummer 4242 4242 4242 4242, danke", f"Kartennummer {C}, danke"),
    pytest.param("pt", "o cartão é 4242 4242 4242 4242", f"o cartão é {C}"),
    pytest.param("it", "la carta è 4242424242424242.", f"la carta è {C}."),
    pytest.param("nl", "mijn kaart: 4242 4242 4242 4242", f"mijn kaart: {C}"),
    pytest.param("pl", "numer karty 4242 4242 4242 4242", f"numer karty {C}"),
    pytest.param("sv", "kortnummer 4242 4242 4242 4242 tack", f"kortnummer {C} tack"),
    pytest.param("hi", "मेरा कार्ड 4242 4242 4242 4242 है", f"मेरा कार्ड {C} है"),
    pytest.param("ar", "رقم البطاقة ٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤٢", f"رقم البطاقة {C}"),
    pytest.param("zh", "卡号4242424242424242谢谢", f"卡号{C}谢谢"),
    pytest.param("ja", "カード番号は4242-4242-4242-4242です", f"カード番号は{C}です"),
    pytest.param("ko", "카드번호4242424242424242입니다", f"카드번호{C}입니다"),
]

FULL_WIDTH_FORMS = [
    pytest.param(
        "電話は０９０－１２３４－５６７８です", f"電話は{P}です", id="a full-width phone number"
    ),
    pytest.param("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐまで", f"{E}まで", id="a full-width email address"),
    pytest.param("taro＠example.jpへ", f"{E}へ", id="an email with a full-width at sign"),
    pytest.param("（０３）１２３４－５６７８", P, id="a full-width tokyo number in brackets"),
    pytest.param("call 555\u2011123\u20114567", f"call {P}", id="non-breaking hyphens"),
]

LEFT_ALONE_IN_UNSPACED_SCRIPTS = [
    pytest.param("注文番号#1234567890です", id="an order number after a hash in japanese"),
    pytest.param("注文番号1234567", id="a seven digit order number glued to japanese"),
    pytest.param("2024年5月1日に届きました", id="a date in japanese"),
    pytest.param("2024-05-01に届きました", id="an iso date glued to japanese"),
    pytest.param("合計1.234.567円です", id="an amount in yen with dots"),
    pytest.param("金额是1 234 567元", id="an amount in yuan grouped with spaces"),
    pytest.param("가격은 1.234.567원입니다", id="an amount in won"),
    pytest.param("価格は￥120,000です", id="a full-width yen amount"),
    pytest.param("営業時間は9-17時", id="opening hours in japanese"),
    pytest.param("商品コードA1234567890", id="a product code glued to ascii letters"),
]


@pytest.mark.parametrize(("language", "text", "expected"), EMAILS_IN_EVERY_LANGUAGE)
def test_it_hides_email_addresses_in_every_supported_language(
    language: str, text: str, expected: str
) -> None:
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(("language", "text", "expected"), PHONES_IN_EVERY_LANGUAGE)
def test_it_hides_phone_numbers_in_every_supported_language(
    language: str, text: str, expected: str
) -> None:
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(("language", "text", "expected"), CARDS_IN_EVERY_LANGUAGE)
def test_it_masks_card_numbers_in_every_supported_language(
    language: str, text: str, expected: str
) -> None:
    assert mask_secrets(text) == expected


def test_the_examples_cover_every_supported_language() -> None:
    for table in (EMAILS_IN_EVERY_LANGUAGE, PHONES_IN_EVERY_LANGUAGE, CARDS_IN_EVERY_LANGUAGE):
        covered = {param.values[0] for param in table}
        assert covered >= LANGUAGE_CODES | {"sv"}


@pytest.mark.parametrize(("text", "expected"), FULL_WIDTH_FORMS)
def test_it_hides_contact_details_typed_in_full_width_forms(text: str, expected: str) -> None:
    assert mask_contact_details(text) == expected


def test_it_masks_a_full_width_card_number_keeping_the_rest_of_the_text() -> None:
    text = "カード４２４２　４２４２　４２４２　４２４２、ＣＶＶ　１２３"
    assert mask_secrets(text) == f"カード{C}、ＣＶＶ　{SECURITY_CODE_REMOVED}"


def test_it_keeps_the_original_characters_around_what_it_masks() -> None:
    text = "ＡＢＣ様、電話は090-1234-5678、注文は＃１２３です"
    assert mask_contact_details(text) == f"ＡＢＣ様、電話は{P}、注文は＃１２３です"


@pytest.mark.parametrize("text", LEFT_ALONE_IN_UNSPACED_SCRIPTS)
def test_it_leaves_amounts_dates_and_order_numbers_in_unspaced_scripts_alone(text: str) -> None:
    assert mask_contact_details(mask_secrets(text)) == text
