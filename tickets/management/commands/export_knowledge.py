"""Export the knowledge articles as JSON in the import format (docs/knowledge.md).

    python manage.py export_knowledge [PATH] [--language es]

Without PATH the JSON goes to standard output. Importing the export again changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.vocabulary import LANGUAGE_CODES
from tickets import knowledge


class Command(BaseCommand):
    help = "Export the knowledge articles as JSON (to PATH, or standard output)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path)
        parser.add_argument("--language", help="Only the articles in this language.")

    def handle(self, *args, path: Path | None, language: str | None, **options):
        if language is not None and language not in LANGUAGE_CODES:
            raise CommandError(
                f"--language {language}: not one of {', '.join(sorted(LANGUAGE_CODES))}."
            )
        articles = knowledge.knowledge_export(language=language)
        if path is None:
            self.stdout.write(knowledge.knowledge_json(articles), ending="")
            return
        path.write_text(knowledge.knowledge_json(articles), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Exported {len(articles)} articles to {path}."))
