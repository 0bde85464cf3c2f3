"""evaluate_assistant: a labelled file run through the chat's own code path."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import load_demo_help_centre
from tickets.assistant import evaluation
from tickets.assistant.demo_articles import demo_article_records

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"question": "How do I pay my invoice?", "language": "en", "expect": "Pay your invoice"},
    {"question": "How do I pay my invoice?", "language": "en", "expect": "Reset your password"},
    {"question": "I lost my card", "language": "en", "expect": "person", "category": "lost"},
    {"question": "write me a poem about autumn", "language": "en", "expect": "unsure"},
]


@pytest.fixture
def questions_file(tmp_path):
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(QUESTIONS))
    return path


def run(*arguments: str) -> str:
    out = StringIO()
    call_command("evaluate_assistant", *arguments, stdout=out)
    return out.getvalue()


def test_it_counts_right_wrong_handed_over_and_off_topic(assistant_warm, questions_file):
    load_demo_help_centre()

    output = " ".join(run(str(questions_file)).split())

    assert "right answer (of answerable) 50.0 % (1 of 2)" in output
    assert "wrong answer (of all) 25.0 % (1 of 4)" in output
    assert "urgent or sensitive to a person at once 100.0 % (1 of 1)" in output
    assert "off-topic never answered with an article 100.0 % (1 of 1)" in output
    assert "urgent: lost" in output
    assert "Latency per question (ms): median" in output


def test_it_counts_urgent_ones_sent_to_the_right_topic_and_routine_ones_kept(
    assistant_warm, tmp_path
):
    load_demo_help_centre()
    path = tmp_path / "labelled.json"
    path.write_text(
        json.dumps(
            [
                {"question": "I lost my card", "language": "en", "expect": "person",
                 "category": "lost_or_stolen"},
                {"question": "I lost my card", "language": "en", "expect": "person",
                 "category": "bereavement"},
                {"question": "How do I freeze my card?", "language": "en", "expect": "routine"},
                {"question": "I want to speak to a person", "language": "en",
                 "expect": "routine"},
            ]
        )
    )  # fmt: skip

    output = " ".join(run("--show", str(path)).split())

    assert "urgent or sensitive to the right topic 50.0 % (1 of 2)" in output
    assert "routine kept with the assistant 50.0 % (1 of 2)" in output
    assert "'I want to speak to a person' expected 'routine', got handed over (accounts)" in output


def test_show_lists_what_was_not_handled_right(assistant_warm, questions_file):
    load_demo_help_centre()

    output = run("--show", str(questions_file))

    assert "expected 'Reset your password', got wrong with 'Pay your invoice'" in output
    assert output.count("expected") == 1


def test_it_refuses_to_run_without_published_articles(questions_file):
    with pytest.raises(CommandError, match="no published articles"):
        run(str(questions_file))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not JSON"),
        ('{"question": "x"}', "expected a list"),
        ('[{"question": "x", "language": "en"}]', "row 1: expect is required"),
        ('[{"question": "x", "language": "en", "expect": "unsure", "why": 1}]', "unknown field"),
        ('["x"]', "row 1: expected an object"),
    ],
)
def test_a_bad_file_is_refused_with_the_row_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(content)

    with pytest.raises(CommandError, match=reason):
        run(str(path))


@pytest.fixture(scope="module")
def tuning_calibration(assistant_warm):
    """The tuning set's calibration, fitted once for the tests below: a fit runs the whole
    set through the assistant (about 45 s on a busy machine), within pytest's timeout."""
    questions = evaluation.load_questions(evaluation.Path("tickets/assistant/data/eval_tune.json"))
    return evaluation.calibrate(
        questions=questions, articles=demo_article_records(), max_wrong_share=0.015
    )


def test_calibration_fits_a_threshold_that_keeps_wrong_answers_under_the_share(
    tuning_calibration,
):
    fitted = tuning_calibration

    assert fitted.wrong <= 0.015 * fitted.total
    assert 0 < fitted.threshold < 1
    assert fitted.score_weight > 0
    assert fitted.lead_weight > 0
    assert fitted.right > 0


def test_the_shipped_confidence_constants_are_the_tuning_sets_calibration(tuning_calibration):
    from tickets.assistant import confidence

    fitted = tuning_calibration  # the default share of wrong answers, 1.5 %

    assert fitted.score_weight == pytest.approx(confidence.SCORE_WEIGHT, abs=0.05)
    assert fitted.lead_weight == pytest.approx(confidence.LEAD_WEIGHT, abs=0.05)
    assert fitted.bias == pytest.approx(confidence.BIAS, abs=0.05)
    assert fitted.threshold == pytest.approx(confidence.CONFIDENCE_THRESHOLD, abs=0.02)
