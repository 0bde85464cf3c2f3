"""The assistant's sentence embeddings: the numpy model, the memo, the database store and
the prepare task that fills it after the help centre changes."""

import numpy as np
import pytest

from tests.factories import KnowledgeArticleFactory
from tickets import assistant_flow
from tickets.assistant import embeddings, minilm, retrieval, sensitive
from tickets.assistant.words import all_words, content_words
from tickets.models import TextEmbedding


def similarity(first: str, second: str) -> float:
    vectors = minilm.encode([first, second])
    return float(vectors[0] @ vectors[1])


def test_the_model_puts_paraphrases_closer_than_unrelated_sentences():
    paraphrase = similarity("Can I get more time to pay?", "How do I extend my due date?")
    unrelated = similarity("Can I get more time to pay?", "What's the weather in Paris?")

    assert paraphrase > unrelated + 0.2


def test_embeddings_are_unit_length_and_deterministic():
    first = minilm.encode(["I lost my card", "Pay your invoice"])
    second = minilm.encode(["I lost my card", "Pay your invoice"])

    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, second)


def test_a_text_is_embedded_the_same_alone_or_in_a_batch_of_other_lengths():
    alone = minilm.encode(["Reset your password"])[0]
    batched = minilm.encode(["Reset your password", "a much longer text " * 20])[0]

    assert np.allclose(alone, batched, atol=1e-5)


@pytest.fixture
def fresh_process():
    """As if in a new process: nothing in the memo, no index or classifier built."""

    def forget():
        with embeddings._memo_lock:
            embeddings._memo.clear()
        retrieval.language_index.cache_clear()
        sensitive.classifier_for.cache_clear()

    forget()
    yield forget
    forget()


@pytest.mark.django_db
def test_help_centre_vectors_are_stored_and_a_new_process_reads_them(fresh_process, monkeypatch):
    embeddings.embed(["Pay your invoice", "Extend your due date"])
    assert TextEmbedding.objects.count() == 2
    fresh_process()
    computed = []
    original = minilm.encode
    monkeypatch.setattr(minilm, "encode", lambda texts: computed.append(texts) or original(texts))

    embeddings.embed(["Pay your invoice", "Extend your due date"])

    assert computed == []


@pytest.mark.django_db
def test_a_question_is_never_stored(fresh_process):
    embeddings.embed(["where is my refund, my email is jane@example.com"], use_store=False)

    assert TextEmbedding.objects.count() == 0
    assert embeddings._memo == {}


@pytest.mark.django_db
def test_a_database_that_fails_only_means_computing_again(fresh_process, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(TextEmbedding.objects, "filter", broken)
    monkeypatch.setattr(TextEmbedding.objects, "bulk_create", broken)

    vectors = embeddings.embed(["Pay your invoice"])

    assert vectors.shape == (1, embeddings.DIMENSIONS)


@pytest.mark.django_db
def test_saving_an_article_prepares_the_assistant_after_commit(
    assistant_warm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = KnowledgeArticleFactory(
            title="Gift cards",
            body="Gift cards never expire.",
            example_questions="do gift cards expire",
        )

    stored = set(TextEmbedding.objects.values_list("digest", flat=True))
    assert embeddings.digest(article.title) in stored
    assert embeddings.digest("do gift cards expire") in stored


@pytest.mark.django_db
def test_preparing_forgets_vectors_of_texts_no_longer_used(assistant_warm):
    TextEmbedding.objects.create(model=embeddings.MODEL, digest="0" * 64, vector=b"\0" * 1536)
    KnowledgeArticleFactory(title="Gift cards", body="Gift cards never expire.")

    used = assistant_flow.assistant_prepare()

    assert not TextEmbedding.objects.filter(digest="0" * 64).exists()
    assert TextEmbedding.objects.count() == used


def test_hindi_keeps_its_vowel_signs_and_chinese_is_cut_into_pairs():
    assert all_words("मेरा रिफंड कहाँ है") == ["मेरा", "रिफंड", "कहाँ", "है"]
    assert all_words("我的卡丢了") == ["我的", "的卡", "卡丢", "丢了"]


def test_latin_accents_are_dropped_and_words_are_stemmed_per_language():
    assert content_words("Olvidé mi contraseña", "es") == ["olvid", "contrasen"]
    assert content_words("refunds refunded refunding", "en") == ["refund"] * 3


@pytest.mark.django_db
def test_importing_a_help_centre_prepares_the_assistant_once_after_commit(
    assistant_warm, django_capture_on_commit_callbacks, monkeypatch
):
    from tickets import knowledge
    from tickets.assistant.demo_articles import DEMO_HELP_CENTRE_PATH

    runs = []
    original = assistant_flow.assistant_prepare
    monkeypatch.setattr(assistant_flow, "assistant_prepare", lambda: runs.append(1) or original())
    entries = knowledge.knowledge_path_read(path=DEMO_HELP_CENTRE_PATH)

    with django_capture_on_commit_callbacks(execute=True):
        knowledge.knowledge_import(entries=entries)

    assert runs == [1]
    assert TextEmbedding.objects.filter(digest=embeddings.digest("Pay your invoice")).exists()


def test_a_missing_model_package_fails_the_system_check(monkeypatch):
    from tickets import checks

    def missing():
        raise minilm.ModelMissingError("The assistant's model package is not installed")

    monkeypatch.setattr(minilm, "model_directory", missing)

    [error] = checks.assistant_model_installed(None)

    assert error.id == "tickets.E001"
    assert "not installed" in error.msg


def test_the_installed_model_passes_the_system_check():
    from tickets import checks

    assert checks.assistant_model_installed(None) == []
