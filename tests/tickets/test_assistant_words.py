"""The assistant's analysis per language (tickets/assistant/words.py): words kept whole in
every script, function words dropped, Snowball stems, Chinese and Japanese as pairs."""

import pytest

from agents.vocabulary import LANGUAGE_CODES
from tickets.assistant.words import STOPWORDS, all_words, content_words


def test_a_hindi_question_is_cut_into_whole_words_not_letters() -> None:
    assert all_words("मेरा रिफंड कहाँ है") == ["मेरा", "रिफंड", "कहाँ", "है"]


def test_a_hindi_question_keeps_only_its_content_word() -> None:
    assert content_words("मेरा रिफंड कहाँ है", "hi") == ["रिफंड"]


def test_an_arabic_word_keeps_its_hamza_and_letters_together() -> None:
    assert all_words("أين استرداد أموالي") == ["أين", "استرداد", "أموالي"]


def test_an_arabic_word_written_with_vowel_marks_stays_one_word() -> None:
    assert all_words("مَرْحَبًا بِكُمْ") == ["مَرْحَبًا", "بِكُمْ"]


def test_arabic_vowel_marks_do_not_change_the_stem() -> None:
    assert content_words("استردادِ", "ar") == content_words("استرداد", "ar")


def test_a_chinese_clause_is_cut_into_character_pairs_not_one_word() -> None:
    assert all_words("退款在哪里") == ["退款", "款在", "在哪", "哪里"]


def test_japanese_kana_and_kanji_are_cut_into_character_pairs() -> None:
    assert all_words("返金はどこ") == ["返金", "金は", "はど", "どこ"]


def test_latin_words_mixed_into_chinese_stay_words() -> None:
    assert "iphone" in all_words("我的iPhone退款")


def test_french_je_and_ma_are_not_content_words() -> None:
    assert content_words("je veux ma facture", "fr") == ["factur"]


@pytest.mark.parametrize(
    ("language", "question", "expected"),
    [
        pytest.param("en", "Where is my refund?", ["refund"], id="en"),
        pytest.param("es", "¿Dónde está mi reembolso?", ["reembols"], id="es"),
        pytest.param("fr", "Où est mon remboursement ?", ["rembours"], id="fr"),
        pytest.param("de", "Wo ist meine Rückerstattung?", ["ruckerstatt"], id="de"),
        pytest.param("it", "Dov'è il mio rimborso?", ["rimbors"], id="it"),
        pytest.param("pt", "Onde está o meu reembolso?", ["reembols"], id="pt"),
        pytest.param("nl", "Waar is mijn terugbetaling?", ["terugbetaal"], id="nl"),
        pytest.param("sv", "Var är min återbetalning?", ["aterbetalning"], id="sv"),
        pytest.param("pl", "Gdzie jest mój zwrot pieniędzy?", ["zwrot", "pieniedz"], id="pl"),
        pytest.param("hi", "मेरा रिफंड कहाँ है", ["रिफंड"], id="hi"),
        pytest.param("ar", "أين استرداد أموالي", ["استرداد", "اموال"], id="ar"),
        pytest.param("zh", "我的退款", ["的退", "退款"], id="zh"),
        pytest.param("ja", "返金ですか", ["返金", "金で"], id="ja"),
    ],
)
def test_where_is_my_refund_loses_its_function_words_in_each_language(
    language: str, question: str, expected: list[str]
) -> None:
    assert content_words(question, language) == expected


def test_every_language_customers_can_choose_has_a_stop_list() -> None:
    assert LANGUAGE_CODES | {"sv"} <= set(STOPWORDS)


def test_a_regional_language_code_uses_its_languages_analysis() -> None:
    assert content_words("je veux ma facture", "fr-CA") == content_words("je veux ma facture", "fr")
