"""`make run`'s first step: the settings load, or one line says why not.

A missing or malformed variable raises ImproperlyConfigured while the settings module loads;
through manage.py that is a traceback whose last line is the news. Here it is the one line,
``make run: <message>``, and exit status 1, before anything migrates or starts.

    python -m marketplace.preflight [--production]

``--production`` (bin/run passes it when DATABASE_URL and REDIS_URL are set) adds the
production profile's rules: a SECRET_KEY of its own, never the development default, of at
least 50 characters, and a PROCESSES list the supervisor knows.
"""

from __future__ import annotations

import importlib
import os
import sys

from django.core.exceptions import ImproperlyConfigured

from marketplace import supervisor

SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_HINT = (
    f"give it {SECRET_KEY_MIN_LENGTH} or more random characters, e.g. "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
)


def problems(*, production: bool) -> list[str]:
    try:
        settings = importlib.import_module(
            os.environ.get("DJANGO_SETTINGS_MODULE", "marketplace.settings")
        )
    except ImproperlyConfigured as error:
        return [str(error)]
    if not production:
        return []
    found = []
    key = settings.SECRET_KEY
    if not key or key == getattr(settings, "_DEV_SECRET_KEY", None):
        found.append(f"SECRET_KEY is not set: {SECRET_KEY_HINT}")
    elif len(key) < SECRET_KEY_MIN_LENGTH:
        found.append(f"SECRET_KEY is too short ({len(key)} characters): {SECRET_KEY_HINT}")
    try:
        supervisor.select_processes(
            supervisor.read_procfile(supervisor.PROCFILE), os.environ.get("PROCESSES")
        )
    except supervisor.ProcessesRefused as refusal:
        found.append(str(refusal))
    return found


def main(argv: list[str]) -> int:
    found = problems(production="--production" in argv)
    for problem in found[:1]:  # one line: the first thing to fix
        print(f"make run: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
