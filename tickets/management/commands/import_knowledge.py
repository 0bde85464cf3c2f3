"""Import a company's help centre from a knowledge file (docs/knowledge.md).

    python manage.py import_knowledge help-centre.json [--dry-run]

PATH is a .json, .csv, .md or .zip file, or a folder of .md files. Articles are created or
updated by (title, language); a file with any error stores nothing and every error is
printed with its row.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from tickets import knowledge


class Command(BaseCommand):
    help = (
        "Import knowledge articles from a .json, .csv, .md or .zip file or a folder of .md "
        "files; a file with any error stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, store nothing."
        )

    def handle(self, *args, path: Path, dry_run: bool, **options):
        try:
            entries = knowledge.knowledge_path_read(path=path)
            if dry_run:
                report = knowledge.knowledge_import_preview(entries=entries)
            else:
                report = knowledge.knowledge_import(entries=entries)
        except knowledge.KnowledgeFileInvalid as invalid:
            lines = "\n".join(str(error) for error in invalid.errors)
            raise CommandError(
                f"{path} was refused, nothing was stored ({len(invalid.errors)} errors):\n{lines}"
            ) from None
        except IntegrityError:
            raise CommandError(
                "Another import created some of these articles at the same time; nothing was "
                "stored. Run the import again."
            ) from None
        if dry_run:
            self.stdout.write("Dry run: nothing was stored.")
        self.stdout.write(self.style.SUCCESS(report.summary()))
        for kind in ("created", "updated", "unchanged"):
            for outcome in getattr(report, kind):
                self.stdout.write(f"  {kind}: {outcome}")
