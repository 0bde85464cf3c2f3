"""A company's own help centre, in and out: knowledge files read, checked, imported and
exported (docs/knowledge.md).

Reading and importing are two steps on purpose. `knowledge_file_read` and
`knowledge_path_read` check the whole file and either return every article in it or raise
`KnowledgeFileInvalid` with every error found, so an import never starts on a file with a
mistake in it: a file with one bad row stores nothing. `knowledge_import` then writes the
checked articles in one transaction; `knowledge_import_preview` says what it would do
without writing, for `--dry-run` and the admin's preview.

Articles are matched by (title, language), the table's unique constraint. An article that is
not in the file is left alone; importing publishes new articles and leaves the flag of
existing ones as it is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from django.db import transaction

from agents.vocabulary import LANGUAGE_CODES
from core.jobs import enqueue_coalesced_on_commit
from tickets.models import KnowledgeArticle

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ARTICLES = 5_000
MAX_TITLE = 200  # KnowledgeArticle.title
MAX_BODY = 20_000
MAX_TOPIC = 64  # KnowledgeArticle.topic
MAX_KEYWORDS = 500  # KnowledgeArticle.keywords, as stored: joined with ", "
MAX_QUESTIONS = 20
MAX_QUESTION = 300
DEFAULT_TOPIC = "general"

FIELDS = ("title", "body", "language", "topic", "keywords", "example_questions")
REQUIRED = ("title", "body", "language")
EXTENSIONS = (".json", ".csv", ".md", ".zip")
TOPIC_PATTERN = re.compile(r"[a-z0-9_-]+")
# One cell of a CSV holds all of an article's example questions: a line each, or " | ".
QUESTION_SEPARATOR = re.compile(r"\r\n|\r|\n| \| ")


@dataclass(frozen=True)
class KnowledgeError:
    """One reason a knowledge file was refused. row is the article's number in the file
    (1-based; for CSV the spreadsheet's row, the header being row 1), the Markdown file's
    name, or None for the file as a whole."""

    row: int | str | None
    title: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        where = f"row {self.row}" if isinstance(self.row, int) else self.row
        title = self.title if len(self.title) <= 60 else self.title[:59] + "…"
        return f'{where} ("{title}"): {self.reason}' if title else f"{where}: {self.reason}"


class KnowledgeFileInvalid(Exception):
    """Every error found in a knowledge file; nothing of it was stored."""

    def __init__(self, errors: Sequence[KnowledgeError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class ArticleEntry:
    """One checked article of a knowledge file, whitespace stripped."""

    title: str
    body: str
    language: str
    topic: str
    keywords: tuple[str, ...]
    example_questions: tuple[str, ...]

    def as_dict(self) -> dict:
        """The article in the JSON import format (what export writes)."""
        return {
            "title": self.title,
            "topic": self.topic,
            "language": self.language,
            "keywords": list(self.keywords),
            "example_questions": list(self.example_questions),
            "body": self.body,
        }

    def model_values(self) -> dict[str, str]:
        return {
            "body": self.body,
            "topic": self.topic,
            "keywords": ", ".join(self.keywords),
            "example_questions": "\n".join(self.example_questions),
        }


@dataclass(frozen=True)
class ArticleOutcome:
    title: str
    language: str
    changed: tuple[str, ...] = ()  # the fields an update changes

    def __str__(self) -> str:
        changed = f": {', '.join(self.changed)}" if self.changed else ""
        return f"{self.title} ({self.language}){changed}"


@dataclass
class KnowledgeImportReport:
    created: list[ArticleOutcome] = field(default_factory=list)
    updated: list[ArticleOutcome] = field(default_factory=list)
    unchanged: list[ArticleOutcome] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Created {len(self.created)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}"
        )


# --- Reading -----------------------------------------------------------------------------


def knowledge_file_read(*, name: str, content: bytes) -> list[ArticleEntry]:
    """The articles of one uploaded file (.json, .csv, .md or a .zip of .md files), all
    checked. Raises KnowledgeFileInvalid with every error found."""
    if len(content) > MAX_FILE_BYTES:
        raise _file_error(f"the file is {_megabytes(len(content))}; at most 5 MB is accepted")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".json":
        return _entries_checked(_json_rows(content))
    if suffix == ".csv":
        return _entries_checked(_csv_rows(content))
    if suffix == ".md":
        return _entries_checked([_markdown_row(PurePosixPath(name).name, content)])
    if suffix == ".zip":
        return _entries_checked(_zip_rows(content))
    raise _file_error(_unsupported(name))


def knowledge_path_read(*, path: Path) -> list[ArticleEntry]:
    """The articles of a file on disk, or of a folder's .md files (not its subfolders)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".md")
        if not files:
            raise _file_error(f"{path} has no .md files")
        if len(files) > MAX_ARTICLES:
            raise _file_error(f"{len(files)} files; at most {MAX_ARTICLES:,} articles at once")
        size = sum(p.stat().st_size for p in files)
        if size > MAX_FILE_BYTES:
            raise _file_error(f"the files add up to {_megabytes(size)}; at most 5 MB is accepted")
        return _entries_checked([_markdown_row(p.name, p.read_bytes()) for p in files])
    if not path.is_file():
        raise _file_error(f"{path}: no such file or folder")
    if path.suffix.lower() not in EXTENSIONS:
        raise _file_error(_unsupported(path.name))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _file_error(f"the file is {_megabytes(size)}; at most 5 MB is accepted")
    return knowledge_file_read(name=path.name, content=path.read_bytes())


# A row as read from the file, before it is checked: where it is, and its fields.
Row = tuple[int | str, object]


def knowledge_rows_read(*, rows: object) -> list[ArticleEntry]:
    """The articles of rows already parsed from JSON (a list of objects), checked as a .json
    file's are. For articles that come back from a form: they are never trusted."""
    return _entries_checked(_json_list_rows(rows))


def _json_rows(content: bytes) -> list[Row]:
    return _json_list_rows(_json_loads(content))


def _json_list_rows(data: object) -> list[Row]:
    if not isinstance(data, list):
        raise _file_error("a JSON knowledge file is a list of articles ([{...}, ...])")
    _check_count(len(data))
    return list(enumerate(data, start=1))


def _json_loads(content: bytes) -> object:
    text = _text_of(content)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _file_error(
            f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None


def _csv_rows(content: bytes) -> list[Row]:
    reader = csv.reader(io.StringIO(_text_of(content), newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise _file_error(f"invalid CSV at line {reader.line_num}: {error}") from None
    if not records:
        raise _file_error("the CSV file is empty; its first row names the columns")
    header = [name.strip() for name in records[0]]
    problems = []
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        problems.append(
            f"unknown column {_names(unknown)} in the header (known: {', '.join(FIELDS)})"
        )
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        problems.append(f"the header names {_names(doubled)} twice")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(f"the header has no {_names(missing)} column")
    if problems:
        raise KnowledgeFileInvalid([KnowledgeError(1, "", problem) for problem in problems])
    rows: list[Row] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            rows.append((number, _TooManyCells(len(cells), len(header), cells[: len(header)])))
            continue
        values: dict[str, object] = {}
        for name, cell in zip(header, cells, strict=False):
            if not cell.strip():
                continue  # an empty cell is a field left out
            if name == "example_questions":
                values[name] = QUESTION_SEPARATOR.split(cell)
            else:
                values[name] = cell
        rows.append((number, values))
    _check_count(len(rows))
    return rows


@dataclass(frozen=True)
class _TooManyCells:
    cells: int
    columns: int
    first: list[str]


def _markdown_row(name: str, content: bytes) -> Row:
    """An article from Markdown with YAML front matter: the fields between the first two
    '---' lines, the body after them."""
    try:
        text = _text_of(content)
    except KnowledgeFileInvalid as invalid:
        return name, _Refused(invalid.errors[0].reason)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return name, _Refused("no front matter: the file must start with a line '---'")
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        return name, _Refused("the front matter has no closing '---' line")
    try:
        fields = yaml.safe_load("".join(lines[1:closing]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "cannot be read"
        return name, _Refused(f"invalid YAML in the front matter{where}: {problem}")
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        return name, _Refused("the front matter is not a set of 'name: value' fields")
    if "body" in fields:
        return name, _Refused(
            "unknown field 'body' in the front matter: the body is the text after it",
            title=fields.get("title"),
        )
    return name, {**fields, "body": "".join(lines[closing + 1 :])}


def _zip_rows(content: bytes) -> list[Row]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError):
        raise _file_error("not a valid .zip file") from None
    with archive:
        members = sorted(
            (
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".md")
                and not info.filename.startswith("__MACOSX/")
                and not PurePosixPath(info.filename).name.startswith(".")
            ),
            key=lambda info: info.filename,
        )
        if not members:
            raise _file_error("the .zip file has no .md files")
        _check_count(len(members))
        # The sizes a zip declares can lie (a zip bomb): each read is capped as well.
        if sum(info.file_size for info in members) > MAX_FILE_BYTES:
            raise _file_error("the .zip file's articles add up to more than 5 MB")
        rows, budget = [], MAX_FILE_BYTES
        for info in members:
            try:
                with archive.open(info) as member:
                    data = member.read(budget + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as error:
                raise _file_error(
                    f"{info.filename} cannot be read from the .zip: {error}"
                ) from None
            budget -= len(data)
            if budget < 0:
                raise _file_error("the .zip file's articles add up to more than 5 MB")
            rows.append(_markdown_row(info.filename, data))
    return rows


@dataclass(frozen=True)
class _Refused:
    """A row refused while it was read (a Markdown file without front matter, say)."""

    reason: str
    title: object = None


# --- Checking ----------------------------------------------------------------------------


def _entries_checked(rows: Iterable[Row]) -> list[ArticleEntry]:
    entries: list[ArticleEntry] = []
    errors: list[KnowledgeError] = []
    first_seen: dict[tuple[str, str], int | str] = {}
    for where, row in rows:
        entry, row_errors = _entry_checked(where, row)
        errors.extend(row_errors)
        if entry is None:
            continue
        key = (entry.title, entry.language)
        if key in first_seen:
            errors.append(
                KnowledgeError(
                    where,
                    entry.title,
                    f"the same title and language ({entry.language}) as "
                    f"{_where(first_seen[key])}; each article once per language",
                )
            )
            continue
        first_seen[key] = where
        entries.append(entry)
    if errors:
        raise KnowledgeFileInvalid(errors)
    return entries


def _entry_checked(where: int | str, row: object) -> tuple[ArticleEntry | None, list]:
    if isinstance(row, _Refused):
        title = row.title.strip() if isinstance(row.title, str) else ""
        return None, [KnowledgeError(where, title, row.reason)]
    if isinstance(row, _TooManyCells):
        title = row.first[0].strip() if row.first else ""
        reason = f"{row.cells} cells, but the header names {row.columns} columns"
        return None, [KnowledgeError(where, title, reason)]
    if not isinstance(row, Mapping):
        return None, [KnowledgeError(where, "", "not an article: expected an object of fields")]

    title_given = row.get("title")
    title = title_given.strip() if isinstance(title_given, str) else ""
    reasons: list[str] = []

    def text(name: str, *, limit: int) -> str:
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in REQUIRED:
                reasons.append(f"{name} is required")
            return ""
        if not isinstance(value, str):
            reasons.append(f"{name} must be text, not {_kind(value)}")
            return ""
        value = value.strip()
        if len(value) > limit:
            reasons.append(f"{name} is {len(value):,} characters long; at most {limit:,}")
        return value

    unknown = [str(name) for name in row if name not in FIELDS]
    if unknown:
        reasons.append(f"unknown field {_names(unknown)} (known: {', '.join(FIELDS)})")
    title = text("title", limit=MAX_TITLE)
    body = text("body", limit=MAX_BODY)
    language = text("language", limit=8)
    if language and language not in LANGUAGE_CODES:
        reasons.append(f"language '{language}' is not one of {', '.join(sorted(LANGUAGE_CODES))}")
    topic = text("topic", limit=MAX_TOPIC) or DEFAULT_TOPIC
    if not TOPIC_PATTERN.fullmatch(topic):
        reasons.append(f"topic '{topic}' may hold only lower-case letters, digits, '_' and '-'")
    keywords = _keywords(row.get("keywords"), reasons)
    questions = _example_questions(row.get("example_questions"), reasons)

    errors = [KnowledgeError(where, title, reason) for reason in reasons]
    if errors:
        return None, errors
    entry = ArticleEntry(
        title=title,
        body=body,
        language=language,
        topic=topic,
        keywords=keywords,
        example_questions=questions,
    )
    return entry, []


def _keywords(value: object, reasons: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        words = value.split(",")
    elif isinstance(value, list):
        words = []
        for word in value:
            if not isinstance(word, str):
                reasons.append(f"keywords must be text, not {_kind(word)}")
                return ()
            if "," in word:
                reasons.append(f"the keyword '{word.strip()}' has a comma; give it as two")
                return ()
            words.append(word)
    else:
        reasons.append("keywords must be a list of text or one comma-separated text")
        return ()
    keywords = tuple(word.strip() for word in words if word.strip())
    joined = len(", ".join(keywords))
    if joined > MAX_KEYWORDS:
        reasons.append(f"the keywords are {joined:,} characters long together; at most 500")
    return keywords


def _example_questions(value: object, reasons: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reasons.append("example_questions must be a list of text")
        return ()
    questions = []
    for question in value:
        if not isinstance(question, str):
            reasons.append(f"example questions must be text, not {_kind(question)}")
            return ()
        question = question.strip()
        if not question:
            continue
        if "\n" in question or "\r" in question:
            reasons.append(f"the example question '{question[:40]}…' is more than one line")
            return ()
        if len(question) > MAX_QUESTION:
            reasons.append(
                f"an example question is {len(question)} characters long; at most {MAX_QUESTION}"
            )
            return ()
        questions.append(question)
    if len(questions) > MAX_QUESTIONS:
        reasons.append(f"{len(questions)} example questions; at most {MAX_QUESTIONS}")
    return tuple(questions)


# --- Importing ---------------------------------------------------------------------------


def knowledge_import_preview(*, entries: Sequence[ArticleEntry]) -> KnowledgeImportReport:
    """What knowledge_import would do with these entries, without writing anything."""
    report, _, _ = _plan(entries, KnowledgeArticle.objects.all())
    return report


@transaction.atomic
def knowledge_import(*, entries: Sequence[ArticleEntry]) -> KnowledgeImportReport:
    """Create or update the articles, matched by (title, language), in one transaction.

    Precondition: the entries come from knowledge_file_read or knowledge_path_read (checked,
    each (title, language) once). Articles not among them are left alone; new ones are
    published, existing ones keep their is_published. The existing articles of the file's
    languages are locked (in pk order) first, so two imports at once do not lose each
    other's changes; two imports creating the same new title at once end with one of them
    refused by the unique constraint, and it rolls back whole.
    """
    existing = KnowledgeArticle.objects.select_for_update().order_by("pk")
    report, to_create, to_update = _plan(entries, existing)
    KnowledgeArticle.objects.bulk_create(to_create, batch_size=500)
    for article, changed in to_update:
        article.save(update_fields=[*changed, "updated_at"])
    if to_create or to_update:
        # bulk_create sends no post_save: the assistant is told here, once for the file.
        enqueue_coalesced_on_commit("tickets.tasks.prepare_assistant")
    return report


def _plan(
    entries: Sequence[ArticleEntry], articles
) -> tuple[KnowledgeImportReport, list[KnowledgeArticle], list[tuple[KnowledgeArticle, list]]]:
    languages = sorted({entry.language for entry in entries})
    existing = {
        (article.title, article.language): article
        for article in articles.filter(language__in=languages)
    }
    report = KnowledgeImportReport()
    to_create: list[KnowledgeArticle] = []
    to_update: list[tuple[KnowledgeArticle, list[str]]] = []
    for entry in entries:
        article = existing.get((entry.title, entry.language))
        if article is None:
            to_create.append(
                KnowledgeArticle(
                    title=entry.title,
                    language=entry.language,
                    is_published=True,
                    **entry.model_values(),
                )
            )
            report.created.append(ArticleOutcome(entry.title, entry.language))
            continue
        # Compared as the file states them, so that a stored "a,b" and a file's ["a", "b"]
        # are the same keywords and an export imported again changes nothing.
        current = _entry_of(article)
        changed = [
            name
            for name in ("body", "topic", "keywords", "example_questions")
            if getattr(current, name) != getattr(entry, name)
        ]
        if not changed:
            report.unchanged.append(ArticleOutcome(entry.title, entry.language))
            continue
        for name in changed:
            setattr(article, name, entry.model_values()[name])
        to_update.append((article, changed))
        report.updated.append(ArticleOutcome(entry.title, entry.language, tuple(changed)))
    return report, to_create, to_update


def _entry_of(article: KnowledgeArticle) -> ArticleEntry:
    return ArticleEntry(
        title=article.title,
        body=article.body.strip(),
        language=article.language,
        topic=article.topic.strip(),
        keywords=tuple(word.strip() for word in article.keywords.split(",") if word.strip()),
        example_questions=tuple(
            line.strip() for line in article.example_questions.splitlines() if line.strip()
        ),
    )


# --- Exporting ---------------------------------------------------------------------------


def knowledge_export(*, language: str | None = None) -> list[dict]:
    """Every article (published or not) in the JSON import format, by language and title."""
    articles = KnowledgeArticle.objects.order_by("language", "title")
    if language is not None:
        articles = articles.filter(language=language)
    return [_entry_of(article).as_dict() for article in articles]


def knowledge_json(articles: list[dict]) -> str:
    """Exported articles as the text of a .json knowledge file."""
    return json.dumps(articles, ensure_ascii=False, indent=2) + "\n"


# --- Wording -----------------------------------------------------------------------------


def _text_of(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _file_error(f"not UTF-8 text (byte {error.start + 1} cannot be read)") from None


def _check_count(count: int) -> None:
    if count > MAX_ARTICLES:
        raise _file_error(f"{count:,} articles; at most {MAX_ARTICLES:,} in one file")


def _file_error(reason: str) -> KnowledgeFileInvalid:
    return KnowledgeFileInvalid([KnowledgeError(None, "", reason)])


def _unsupported(name: str) -> str:
    return f"{name}: unsupported file type; use {', '.join(EXTENSIONS)} or a folder of .md files"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _where(row: int | str) -> str:
    return f"row {row}" if isinstance(row, int) else row


def _kind(value: object) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
