"""The demo help centre of Acme Pay, a fictional pay-later app: paying invoices, due dates
and extensions, instalments, refunds, returns, disputes, the card and the account.

Kept as data (data/demo_help_centre.json) in the same format `import_knowledge` reads, so
the demo is loaded the way a company loads its own help centre.
"""

import json
from pathlib import Path

from tickets.assistant.records import Article

DEMO_HELP_CENTRE_PATH = Path(__file__).parent / "data" / "demo_help_centre.json"

DEMO_ARTICLES: list[dict] = json.loads(DEMO_HELP_CENTRE_PATH.read_text(encoding="utf-8"))


def demo_article_records() -> tuple[Article, ...]:
    """The demo help centre as the assistant's Article records, numbered from 1."""
    return tuple(
        Article(
            id=number,
            title=entry["title"],
            body=entry["body"],
            topic=entry["topic"],
            language=entry["language"],
            keywords=tuple(entry["keywords"]),
            example_questions=tuple(entry.get("example_questions", ())),
        )
        for number, entry in enumerate(DEMO_ARTICLES, start=1)
    )
