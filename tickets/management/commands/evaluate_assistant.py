"""Measure the assistant on a labelled file of questions (docs/assistant.md).

    python manage.py evaluate_assistant tickets/assistant/data/eval_holdout.json
    python manage.py evaluate_assistant --calibrate tickets/assistant/data/eval_tune.json

Each question is asked as the first message of its own conversation, through the function
the chat calls, against the published articles in the database and the configured backend.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tickets.assistant import evaluation
from tickets.assistant_flow import assistant_backend, published_articles


class Command(BaseCommand):
    help = "Run a labelled file of questions through the assistant and print how it did."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A JSON list of labelled questions.")
        parser.add_argument(
            "--calibrate",
            action="store_true",
            help="Fit the confidence model on these questions and print its constants.",
        )
        parser.add_argument(
            "--max-wrong",
            type=float,
            default=1.5,
            help="With --calibrate: the share of wrong answers allowed, in percent.",
        )
        parser.add_argument(
            "--show", action="store_true", help="Also list every question not handled right."
        )

    def handle(self, *args, path: Path, calibrate: bool, max_wrong: float, show: bool, **options):
        try:
            questions = evaluation.load_questions(path)
        except evaluation.EvaluationFileError as error:
            raise CommandError(str(error)) from None
        articles = published_articles()
        if not articles:
            raise CommandError(
                "There are no published articles: import a help centre first "
                "(python manage.py import_knowledge PATH)."
            )
        if calibrate:
            self._calibrate(questions=questions, articles=articles, max_wrong=max_wrong)
            return
        report = evaluation.evaluate(
            questions=questions, articles=articles, backend=assistant_backend()
        )
        self._print(report, path=path, show=show)

    def _print(self, report: evaluation.Report, *, path: Path, show: bool) -> None:
        write = self.stdout.write
        write(f"{path}: {len(report.outcomes)} questions, each its own conversation\n")
        for name, (count, total) in report.headline().items():
            write(f"  {name:<45} {_percent(count, total):>7}  ({count} of {total})")
        results = (
            evaluation.RIGHT,
            evaluation.WRONG,
            evaluation.HANDED_OVER,
            evaluation.NOT_ANSWERED,
        )
        write("\nPer category:")
        write(f"  {'category':<62}" + "".join(f"{result:>13}" for result in results))
        for category, counts in report.by_category().items():
            write(f"  {category[:61]:<62}" + "".join(f"{counts[r]:>13}" for r in results))
        latency = report.latency_ms()
        write(
            "\nLatency per question (ms): "
            + ", ".join(f"{name} {value:.1f}" for name, value in latency.items())
        )
        if show:
            write("\nNot handled right:")
            for outcome in report.outcomes:
                if not _handled_right(outcome):
                    question = outcome.question
                    write(
                        f"  [{question.kind}] {question.question!r} expected {question.expect!r},"
                        f" got {outcome.result}"
                        + (
                            f" ({outcome.topic})"
                            if outcome.result == evaluation.HANDED_OVER
                            else ""
                        )
                        + (f" with {outcome.answered_with!r}" if outcome.answered_with else "")
                        + f" (confidence {outcome.confidence:.2f})"
                    )

    def _calibrate(self, *, questions, articles, max_wrong: float) -> None:
        fitted = evaluation.calibrate(
            questions=questions, articles=articles, max_wrong_share=max_wrong / 100
        )
        self.stdout.write(
            "Put these in tickets/assistant/confidence.py:\n"
            f"SCORE_WEIGHT = {fitted.score_weight}\n"
            f"LEAD_WEIGHT = {fitted.lead_weight}\n"
            f"BIAS = {fitted.bias}\n"
            f"CONFIDENCE_THRESHOLD = {fitted.threshold}\n"
            f"On these questions, retrieval alone: {fitted.right} right of {fitted.answerable} "
            f"answerable, {fitted.wrong} wrong of {fitted.total} in all."
        )


def _handled_right(outcome: evaluation.Outcome) -> bool:
    kind = outcome.question.kind
    if kind == "answerable":
        return outcome.result == evaluation.RIGHT
    if kind == "off-topic":
        return outcome.answered_with is None and outcome.result != evaluation.HANDED_OVER
    if kind == "routine":
        return outcome.result != evaluation.HANDED_OVER
    return outcome.result == evaluation.HANDED_OVER


def _percent(count: int, total: int) -> str:
    return f"{100 * count / total:.1f} %" if total else "n/a"
