"""Embed the help centre and the assistant's examples now, and store the vectors.

    python manage.py prepare_assistant

`make run` and the schema check run it before starting servers, so no first question waits
for a minute of embedding; the prepare task does the same after every change to articles.
"""

import time

from django.core.management.base import BaseCommand

from tickets import assistant_flow


class Command(BaseCommand):
    help = "Embed the published articles and the assistant's examples, and store the vectors."

    def handle(self, *args, **options):
        started = time.monotonic()
        texts = assistant_flow.assistant_prepare()
        self.stdout.write(
            f"The assistant is ready: {texts} texts embedded or read from the database in "
            f"{time.monotonic() - started:.1f} s."
        )
