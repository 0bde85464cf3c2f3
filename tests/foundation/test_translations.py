"""The translations are whole (docs/i18n.md): every customer-facing template string is
marked, every marked string is in each language's .po and translated there, and the
committed .mo files say what the .po files say."""

import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

BASE = Path(settings.BASE_DIR)
LOCALE = BASE / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ("django", "djangojs")

# Every template people read is translated except the operators' (the admin, /ops/ and staff
# emails, which stay English: marketplace/language.py).
ENGLISH_ONLY_TEMPLATE_DIRS = ("admin/", "ops/")
ENGLISH_ONLY_TEMPLATES = {
    "emails/ops_alerts.txt",
    "emails/unserved_queue.txt",
    "tickets/integration_key_created.html",
}
TRANSLATED_TEMPLATES = sorted(
    str(path.relative_to(BASE / "templates"))
    for path in (BASE / "templates").rglob("*")
    if path.is_file()
    and not str(path.relative_to(BASE / "templates")).startswith(ENGLISH_ONLY_TEMPLATE_DIRS)
    and str(path.relative_to(BASE / "templates")) not in ENGLISH_ONLY_TEMPLATES
)
# Words that are the same in every language: the product's name and the example's company.
UNTRANSLATED_WORDS = {"Humanline", "Acme", "Shop"}
# Attributes a person reads or hears.
VISIBLE_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")

# The same options as `make i18n`.
MAKEMESSAGES_IGNORE = [
    "templates/admin",
    ".venv",
    "staticfiles",
    "node_modules",
    "tests",
    "bench",
    "var",
]


def _unmarked_text(source: str) -> list[str]:
    """The words of a template that no translate tag covers."""
    source = re.sub(r"{% comment %}.*?{% endcomment %}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"<!--.*?-->", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S | re.I)
    source = re.sub(r"{% blocktranslate\b.*?{% endblocktranslate %}", " ", source, flags=re.S)
    source = re.sub(r"{% translate\b.*?%}", " ", source, flags=re.S)
    source = re.sub(r"{%.*?%}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}", " ", source, flags=re.S)
    visible = []
    for tag in re.findall(r"<[^>]*>", source):
        for attribute in VISIBLE_ATTRIBUTES:
            visible += re.findall(rf'\s{attribute}="([^"]*)"', tag)
    source = re.sub(r"&lt;.*?&gt;", " ", source, flags=re.S)  # markup shown as code
    source = re.sub(r"<!doctype[^>]*>", " ", source, flags=re.I)
    source = re.sub(r"<[^>]*>", " ", source)
    source = re.sub(r"&[a-z]+;", " ", source)
    words = re.findall(r"[^\W\d_][\w'’-]*", " ".join([source, *visible]))
    return [word for word in words if word not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("template", TRANSLATED_TEMPLATES)
def test_every_template_string_is_marked_for_translation(template):
    source = (BASE / "templates" / template).read_text()

    assert _unmarked_text(source) == [], f"{template} has text outside translate tags"


def test_the_unmarked_text_check_finds_a_plain_string_and_an_attribute():
    assert _unmarked_text('<p title="Close">{% translate "Hi" %} Bye</p>') == ["Bye", "Close"]


# The translated pages' scripts (the embed widget keeps its own table: docs/i18n.md), and the
# ways they put words on the page: a string literal there, not passed through gettext, is
# English on a Swedish page.
TRANSLATED_SCRIPTS = ["static/tickets/chat.js", "static/portal/portal.js"]
_SCRIPT_TEXT = re.compile(
    r"""(?:showNotice|showToast)\(\s*["'`][^\W\d_]"""
    r"""|(?:setText|setConnection|setDelivery)\([^,()]+,\s*["'`][^\W\d_]"""
    r"""|\.textContent\s*=\s*["'`][^\W\d_]"""
    r"""|setAttribute\(\s*["'](?:aria-label|title|placeholder)["'],\s*["'`][^\W\d_]"""
)


def _unmarked_script_text(source: str) -> list[str]:
    return [match.group(0) for match in _SCRIPT_TEXT.finditer(source)]


@pytest.mark.parametrize("script", TRANSLATED_SCRIPTS)
def test_every_script_string_put_on_the_page_is_marked_for_translation(script):
    source = (BASE / script).read_text()

    assert _unmarked_script_text(source) == [], f"{script} shows text outside gettext"


def test_the_script_check_finds_plain_text_and_passes_gettext():
    source = 'setDelivery(item, "Sent"); el.textContent = gettext("Sent"); showToast(`Hi`);'

    assert _unmarked_script_text(source) == ['setDelivery(item, "S', "showToast(`H"]


def _po_entries(path: Path) -> dict[str, dict]:
    """msgid (after its msgctxt and EOT, if any) → {"strings": [msgstr…], "fuzzy": bool}, for
    each entry but the header."""
    entries: dict[str, dict] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, list[str]] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if line.startswith("#") or not line.strip():
                continue
            if not line.startswith('"'):
                current, _, line = line.partition(" ")
                fields[current] = []
            fields[current].append(_unquote(line))
        if "msgid" not in fields or "".join(fields["msgid"]) == "":
            continue
        strings = ["".join(value) for key, value in fields.items() if key.startswith("msgstr")]
        # A msgctxt ("priority") is part of the key, as gettext stores it: context, EOT, msgid.
        context = "".join(fields["msgctxt"]) + "\x04" if "msgctxt" in fields else ""
        entries[context + "".join(fields["msgid"])] = {
            "strings": strings,
            "plural": "".join(fields.get("msgid_plural", [])),
            "fuzzy": fuzzy,
        }
    return entries


def _unquote(text: str) -> str:
    """A .po string's text: quotes off, escapes (\\n, \\") read, UTF-8 kept."""
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes.get(match.group(1), match.group(0)), text[1:-1])


def _po_files():
    return [(code, domain) for code in LANGUAGES for domain in DOMAINS]


@pytest.mark.parametrize(("code", "domain"), _po_files())
def test_every_entry_of_the_committed_translations_is_translated(code, domain):
    entries = _po_entries(LOCALE / code / "LC_MESSAGES" / f"{domain}.po")

    assert entries, f"{code}/{domain}.po is empty"
    assert [msgid for msgid, entry in entries.items() if entry["fuzzy"]] == []
    assert [msgid for msgid, entry in entries.items() if not all(entry["strings"])] == []


@pytest.mark.parametrize(("code", "domain"), _po_files())
def test_the_compiled_translations_are_those_of_the_po_files(code, domain):
    folder = LOCALE / code / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog  # noqa: SLF001
    expected = {}
    for msgid, entry in _po_entries(folder / f"{domain}.po").items():
        if entry["plural"]:
            expected.update({(msgid, n): text for n, text in enumerate(entry["strings"])})
        else:
            expected[msgid] = entry["strings"][0]

    compiled_entries = {key: value for key, value in catalog.items() if key != ""}
    assert compiled_entries == expected, f"run `make i18n`: {code}/{domain}.mo is stale"


def _gettext_tools_or_skip() -> None:
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        return
    message = "xgettext/msgmerge are missing: install gettext (apt-get install gettext)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _copy_of_the_sources(target: Path) -> None:
    ignored = {".venv", ".git", "staticfiles", "node_modules", "tests", "bench", "var", "docs"}
    shutil.copytree(
        BASE,
        target,
        ignore=lambda folder, names: (
            [name for name in names if name in ignored or name.endswith((".mo", ".pyc"))]
            if Path(folder) == BASE
            else [name for name in names if name == "__pycache__"]
        ),
        symlinks=True,
    )


def test_makemessages_would_add_nothing_and_leave_nothing_untranslated(
    tmp_path, settings, monkeypatch
):
    _gettext_tools_or_skip()
    sources = tmp_path / "humanline"
    _copy_of_the_sources(sources)
    # makemessages writes into LOCALE_PATHS and ./locale: both the copy here.
    settings.LOCALE_PATHS = [sources / "locale"]
    monkeypatch.chdir(sources)

    for domain in DOMAINS:
        call_command(
            "makemessages",
            locale=LANGUAGES,
            domain=domain,
            ignore_patterns=MAKEMESSAGES_IGNORE,
            no_obsolete=True,
            no_location=True,
            verbosity=0,
        )

    for code, domain in _po_files():
        fresh = _po_entries(sources / "locale" / code / "LC_MESSAGES" / f"{domain}.po")
        committed = _po_entries(LOCALE / code / "LC_MESSAGES" / f"{domain}.po")
        where = f"{code}/{domain}.po (run `make i18n` and translate)"
        assert sorted(set(fresh) - set(committed)) == [], f"strings missing from {where}"
        assert sorted(set(committed) - set(fresh)) == [], f"strings no longer used in {where}"
        assert [msgid for msgid, entry in fresh.items() if entry["fuzzy"]] == [], where
        assert [msgid for msgid, entry in fresh.items() if not all(entry["strings"])] == [], where


def test_the_gettext_tools_are_there_in_ci():
    if not os.environ.get("CI"):
        pytest.skip("only CI must have them; the .mo files are committed")
    assert shutil.which("msgfmt"), "msgfmt is missing: .ci/run installs gettext"
    subprocess.run(["xgettext", "--version"], check=True, capture_output=True)  # noqa: S607
