"""The countries an agent can live in: ISO 3166-1 alpha-2 codes, named in the viewer's language.

The codes and names come from django-countries (in INSTALLED_APPS only for its translation
catalogues); its names are lazy and follow the active language. Agent.country stays a
CharField of two letters: the data is what we need, not its model field.
"""

import unicodedata

from django.utils.translation import gettext as _
from django_countries import countries


def is_country_code(code: str) -> bool:
    return code in countries


def country_name(code: str) -> str:
    """``"JP"`` → ``"Japan"`` in English, ``"Japon"`` in French; an unknown code as it is."""
    return str(countries.name(code)) or code


def country_choices() -> list[tuple[str, str]]:
    """Every country, sorted by its name in the active language, after a blank choice.

    django-countries sorts with pyuca when it is installed and otherwise by the ASCII letters
    of a name only, which leaves names in other scripts unsorted; this key drops accents and
    case and otherwise follows code point order ("Égypte" among the E's, Japanese names in
    kana order).
    """
    pairs = [(code, str(name)) for code, name in countries]
    return [("", _("Choose your country")), *sorted(pairs, key=_collation_key)]


def _collation_key(pair: tuple[str, str]) -> str:
    decomposed = unicodedata.normalize("NFKD", pair[1].casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
