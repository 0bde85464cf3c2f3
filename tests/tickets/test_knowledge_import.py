"""A company's own help centre in and out (docs/knowledge.md): knowledge files in each format,
updates by (title, language), every refusal with its row and reason and nothing stored, the
commands, the round trip through export, and the admin's preview and confirm."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
import zlib
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import KnowledgeArticleFactory, UserFactory
from tickets import knowledge
from tickets.admin import knowledge_payload_rows
from tickets.models import KnowledgeArticle

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tickets/knowledgearticle/"
IMPORT_PAGE = "/admin/tickets/knowledgearticle/import/"
EXPORT_PAGE = "/admin/tickets/knowledgearticle/export/"

PAY = {
    "title": "Pay your invoice",
    "body": "Open Invoices and tap Pay now.",
    "language": "en",
    "topic": "billing",
    "keywords": ["pay invoice", "pay now"],
    "example_questions": ["How do I pay?", "Where do I pay my invoice?"],
}

MARKDOWN = """---
title: Return an item
language: en
topic: refunds
keywords: [return, send back]
example_questions:
  - How do I return something?
  - Can I send it back?
---

# Returns

Ask the **store** for a return label.
"""


def json_file(rows: list) -> bytes:
    return json.dumps(rows).encode()


def read(name: str, content: bytes) -> list[knowledge.ArticleEntry]:
    return knowledge.knowledge_file_read(name=name, content=content)


def imported(name: str, content: bytes) -> knowledge.KnowledgeImportReport:
    return knowledge.knowledge_import(entries=read(name, content))


def snapshot() -> list[tuple]:
    """Every article as stored, to show that a refused file changed nothing at all."""
    return list(
        KnowledgeArticle.objects.order_by("pk").values_list(
            "title", "language", "body", "topic", "keywords", "example_questions", "is_published"
        )
    )


def refusal(name: str, content: bytes) -> str:
    before = snapshot()
    with pytest.raises(knowledge.KnowledgeFileInvalid) as refused:
        imported(name, content)
    assert snapshot() == before
    return str(refused.value)


@pytest.fixture
def existing():
    return KnowledgeArticleFactory(title="Reset your password", language="en")


# --- Each format imports -------------------------------------------------------------------


def test_a_json_file_creates_its_articles_published():
    report = imported("help.json", json_file([PAY]))

    article = KnowledgeArticle.objects.get()
    assert [o.title for o in report.created] == ["Pay your invoice"]
    assert article.is_published
    assert article.topic == "billing"
    assert article.keywords == "pay invoice, pay now"
    assert article.example_questions == "How do I pay?\nWhere do I pay my invoice?"


def test_json_keywords_may_be_one_comma_separated_string():
    imported("help.json", json_file([{**PAY, "keywords": " pay invoice ,pay now, "}]))

    assert KnowledgeArticle.objects.get().keywords == "pay invoice, pay now"


def test_a_json_article_without_topic_gets_general_and_whitespace_is_stripped():
    imported("help.json", json_file([{"title": "  Hello ", "body": " Hi. \n", "language": "en"}]))

    article = KnowledgeArticle.objects.get()
    assert (article.title, article.body, article.topic) == ("Hello", "Hi.", "general")


def test_a_csv_file_with_a_bom_splits_questions_on_lines_and_bars():
    content = (
        "\ufefftitle,body,language,topic,keywords,example_questions\r\n"
        'Pay your invoice,"Open Invoices, then Pay now.",en,billing,"pay invoice, pay now",'
        '"How do I pay? | Where do I pay?\nCan I pay by card?"\r\n'
    ).encode()

    imported("help.csv", content)

    article = KnowledgeArticle.objects.get()
    assert article.body == "Open Invoices, then Pay now."
    assert article.keywords == "pay invoice, pay now"
    assert article.example_questions.splitlines() == [
        "How do I pay?",
        "Where do I pay?",
        "Can I pay by card?",
    ]


def test_a_folder_of_markdown_files_imports_each_with_its_front_matter(tmp_path: Path):
    (tmp_path / "return.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / "pay.md").write_text(
        "---\ntitle: Pagar tu factura\nlanguage: es\n---\nAbre Facturas.\n", encoding="utf-8"
    )
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")  # not an article: left out

    knowledge.knowledge_import(entries=knowledge.knowledge_path_read(path=tmp_path))

    returns = KnowledgeArticle.objects.get(title="Return an item")
    assert returns.body == "# Returns\n\nAsk the **store** for a return label."
    assert returns.keywords == "return, send back"
    assert returns.example_questions == "How do I return something?\nCan I send it back?"
    assert KnowledgeArticle.objects.get(title="Pagar tu factura").language == "es"


def test_a_zip_of_markdown_files_imports_each():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("help/return.md", MARKDOWN)
        archive.writestr("help/pay.md", "---\ntitle: Pay\nlanguage: en\n---\nPay now.\n")
        archive.writestr("__MACOSX/help/._pay.md", "junk")

    report = imported("help.zip", buffer.getvalue())

    assert sorted(o.title for o in report.created) == ["Pay", "Return an item"]


def test_a_single_markdown_file_imports():
    imported("return.md", MARKDOWN.encode())

    assert KnowledgeArticle.objects.get().title == "Return an item"


# --- Updates -------------------------------------------------------------------------------


def test_importing_by_title_and_language_again_reports_the_changed_fields():
    imported("help.json", json_file([PAY]))
    changed = {**PAY, "body": "Tap Pay now.", "keywords": ["pay"]}

    report = imported("help.json", json_file([changed]))

    assert report.created == report.unchanged == []
    assert [(o.title, o.changed) for o in report.updated] == [
        ("Pay your invoice", ("body", "keywords"))
    ]
    article = KnowledgeArticle.objects.get()
    assert (article.body, article.keywords) == ("Tap Pay now.", "pay")


def test_the_same_title_in_another_language_is_another_article():
    imported("help.json", json_file([PAY]))

    report = imported("help.json", json_file([{**PAY, "language": "es"}]))

    assert len(report.created) == 1
    assert KnowledgeArticle.objects.count() == 2


def test_an_update_leaves_an_unpublished_article_unpublished():
    KnowledgeArticleFactory(title=PAY["title"], language="en", is_published=False)

    imported("help.json", json_file([PAY]))

    assert not KnowledgeArticle.objects.get().is_published


def test_an_article_not_in_the_file_is_left_alone(existing):
    before = snapshot()

    imported("help.json", json_file([PAY]))

    assert snapshot()[0] == before[0]


# --- Refusals: every error with its row and reason, and nothing stored --------------------


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({**PAY, "title": " "}, "row 2: title is required"),
        ({**PAY, "title": "T" * 201}, "title is 201 characters long; at most 200"),
        ({**PAY, "body": ""}, 'row 2 ("Pay your invoice"): body is required'),
        ({**PAY, "body": "b" * 20_001}, "body is 20,001 characters long; at most 20,000"),
        ({**PAY, "language": "xx"}, "language 'xx' is not one of"),
        ({**PAY, "topic": "Big Money"}, "topic 'Big Money' may hold only lower-case letters"),
        ({**PAY, "title": 7}, "title must be text, not a number"),
        ({**PAY, "keywords": ["pay, now"]}, "the keyword 'pay, now' has a comma"),
        ({**PAY, "keywords": ["k" * 300, "w" * 300]}, "keywords are 602 characters long"),
        ({**PAY, "example_questions": ["Why?"] * 21}, "21 example questions; at most 20"),
        ({**PAY, "example_questions": ["q" * 301]}, "301 characters long; at most 300"),
        ({**PAY, "example_questions": "Why?"}, "example_questions must be a list of text"),
        ({**PAY, "author": "me"}, "unknown field 'author'"),
        ("Pay your invoice", "row 2: not an article: expected an object of fields"),
    ],
    ids=[
        "no-title",
        "long-title",
        "no-body",
        "long-body",
        "unknown-language",
        "bad-topic",
        "title-not-text",
        "keyword-with-comma",
        "long-keywords",
        "too-many-questions",
        "long-question",
        "questions-not-a-list",
        "unknown-field",
        "not-an-object",
    ],
)
def test_a_bad_row_is_refused_with_its_row_and_reason_and_nothing_is_stored(
    existing, bad, expected
):
    good = {**PAY, "title": "Another article"}

    message = refusal("help.json", json_file([good, bad]))

    assert expected in message
    assert "row 2" in message
    assert KnowledgeArticle.objects.count() == 1


def test_a_title_and_language_twice_in_one_file_is_refused_naming_the_first_row(existing):
    message = refusal("help.json", json_file([PAY, {**PAY, "body": "Other."}]))

    assert message == (
        'row 2 ("Pay your invoice"): the same title and language (en) as row 1; '
        "each article once per language"
    )


def test_every_error_of_a_file_is_reported_not_just_the_first(existing):
    message = refusal(
        "help.json", json_file([{**PAY, "language": "xx"}, PAY, {**PAY, "title": "B", "body": ""}])
    )

    assert message.splitlines() == [
        "row 1 (\"Pay your invoice\"): language 'xx' is not one of "
        "ar, de, en, es, fr, hi, it, ja, nl, pl, pt, sv, zh",
        'row 3 ("B"): body is required',
    ]


def test_a_csv_row_is_numbered_as_a_spreadsheet_numbers_it(existing):
    content = b"title,body,language\nFine,Body.,en\nBroken,,en\n"

    assert refusal("help.csv", content) == 'row 3 ("Broken"): body is required'


def test_a_csv_with_an_unknown_column_is_refused(existing):
    message = refusal("help.csv", b"title,body,language,author\nA,B,en,me\n")

    assert "unknown column 'author' in the header" in message


def test_a_markdown_error_names_the_file(tmp_path: Path, existing):
    (tmp_path / "fine.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: Bad\nlanguage: en\n---\n", encoding="utf-8")
    before = snapshot()

    with pytest.raises(knowledge.KnowledgeFileInvalid) as refused:
        knowledge.knowledge_path_read(path=tmp_path)

    assert str(refused.value) == 'bad.md ("Bad"): body is required'
    assert snapshot() == before


def test_markdown_without_front_matter_is_refused(existing):
    assert refusal("note.md", b"# Just a heading\n") == (
        "note.md: no front matter: the file must start with a line '---'"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("help.json", b'[{"title": "A",}]', "invalid JSON at line 1, column 16"),
        ("help.json", b'{"title": "A"}', "a JSON knowledge file is a list of articles"),
        ("help.csv", b'title,body,language\n"A,B,en\n', "invalid CSV at line"),
        (
            "pay.md",
            b"---\ntitle: Pay\nkeywords: [a, b\n---\nBody\n",
            "pay.md: invalid YAML in the front matter at line 4, column 1",
        ),
        ("help.txt", b"title", "help.txt: unsupported file type"),
        ("help.json", b"\xff\xfe[]", "not UTF-8 text"),
        ("help.zip", b"not a zip", "not a valid .zip file"),
    ],
    ids=["json", "json-not-a-list", "csv", "yaml", "extension", "encoding", "zip"],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_position(existing, name, content, expected):
    assert expected in refusal(name, content)


def test_a_file_over_five_megabytes_is_refused(existing):
    content = b" " * (knowledge.MAX_FILE_BYTES + 1)

    assert "at most 5 MB" in refusal("help.json", content)


def test_a_file_of_more_than_five_thousand_articles_is_refused(existing):
    rows = [{"title": f"T{n}", "body": "B", "language": "en"} for n in range(5_001)]

    assert refusal("help.json", json_file(rows)) == "5,001 articles; at most 5,000 in one file"


# --- Commands ------------------------------------------------------------------------------


def write_json(path: Path, rows: list) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def test_the_import_command_prints_the_counts_and_the_titles(tmp_path: Path):
    KnowledgeArticleFactory(title=PAY["title"], language="en", body="Old.")
    path = write_json(tmp_path / "help.json", [PAY, {**PAY, "title": "New one"}])
    out = StringIO()

    call_command("import_knowledge", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        "Created 1, updated 1, unchanged 0",
        "  created: New one (en)",
        "  updated: Pay your invoice (en): body, topic, keywords, example_questions",
    ]


def test_the_import_command_dry_run_reports_and_stores_nothing(tmp_path: Path):
    path = write_json(tmp_path / "help.json", [PAY])
    out = StringIO()

    call_command("import_knowledge", str(path), "--dry-run", stdout=out)

    assert "Dry run: nothing was stored.\nCreated 1, updated 0, unchanged 0" in out.getvalue()
    assert not KnowledgeArticle.objects.exists()


def test_the_import_command_fails_with_every_error_and_stores_nothing(tmp_path: Path, existing):
    path = write_json(tmp_path / "help.json", [PAY, {**PAY, "title": "B", "language": "xx"}])
    before = snapshot()

    with pytest.raises(CommandError) as failed:
        call_command("import_knowledge", str(path), stdout=StringIO())

    assert "nothing was stored" in str(failed.value)
    assert "row 2 (\"B\"): language 'xx' is not one of" in str(failed.value)
    assert snapshot() == before


def test_the_export_command_writes_json_to_stdout_for_one_language():
    KnowledgeArticleFactory(title="Hello", language="en")
    KnowledgeArticleFactory(title="Hola", language="es", keywords="")
    out = StringIO()

    call_command("export_knowledge", "--language", "es", stdout=out)

    assert json.loads(out.getvalue()) == [
        {
            "title": "Hola",
            "topic": "accounts",
            "language": "es",
            "keywords": [],
            "example_questions": [],
            "body": KnowledgeArticle.objects.get(title="Hola").body,
        }
    ]


def test_the_export_command_writes_to_a_path(tmp_path: Path, existing):
    out = StringIO()

    call_command("export_knowledge", str(tmp_path / "out.json"), stdout=out)

    assert "Exported 1 articles" in out.getvalue()
    assert json.loads((tmp_path / "out.json").read_text())[0]["title"] == existing.title


def test_an_export_imported_again_is_unchanged():
    # Stored the way an admin might type it: keywords without spaces, lines with blanks.
    KnowledgeArticleFactory(
        title="Hello",
        keywords="a,b , c",
        body="Body.\n",
        example_questions="Q1?\n\n Q2? \n",
    )
    KnowledgeArticleFactory(title="Hola", language="es", is_published=False)
    imported("help.json", json_file([PAY]))
    exported = knowledge.knowledge_json(knowledge.knowledge_export())
    before = snapshot()

    report = imported("export.json", exported.encode())

    assert report.created == report.updated == []
    assert len(report.unchanged) == 3
    assert snapshot() == before


def test_the_export_is_ordered_by_language_then_title():
    for title, language in [("b", "es"), ("z", "en"), ("a", "es"), ("c", "en")]:
        KnowledgeArticleFactory(title=title, language=language)

    exported = knowledge.knowledge_export()

    assert [(a["language"], a["title"]) for a in exported] == [
        ("en", "c"),
        ("en", "z"),
        ("es", "a"),
        ("es", "b"),
    ]


# --- Admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="ops@example.com", is_staff=True, is_superuser=True))
    return client


def upload(name: str, content: bytes) -> dict:
    return {"file": SimpleUploadedFile(name, content)}


def payload_of_rows(rows: list) -> str:
    """A hidden field as a browser could send it back: any rows at all, unchecked."""
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(rows).encode())).decode()


def hidden_articles(html: str) -> str:
    return re.search(r'name="articles" value="([^"]*)"', html).group(1)


def test_the_changelist_has_import_and_export_buttons(admin_client):
    html = admin_client.get(CHANGELIST).content.decode()

    assert f'href="{IMPORT_PAGE}"' in html
    assert f'href="{EXPORT_PAGE}"' in html


def test_the_upload_field_accepts_knowledge_files(admin_client):
    html = admin_client.get(IMPORT_PAGE).content.decode()

    assert 'accept=".json,.csv,.md,.zip"' in html


def test_the_admin_preview_shows_the_changes_and_stores_nothing(admin_client):
    KnowledgeArticleFactory(title=PAY["title"], language="en", body="Old.")
    before = snapshot()
    content = json_file([PAY, {**PAY, "title": "New one"}])

    response = admin_client.post(IMPORT_PAGE, upload("help.json", content))

    html = response.content.decode()
    assert response.status_code == 200
    assert "If you confirm: 1 to create, 1 to update, 0 unchanged." in html
    assert "New one" in html
    assert "body, topic, keywords, example_questions" in html
    assert "Confirm import" in html
    assert snapshot() == before


def test_the_admin_preview_lists_every_error_and_stores_nothing(admin_client, existing):
    before = snapshot()
    content = json_file([PAY, {**PAY, "title": "B", "body": ""}])

    html = admin_client.post(IMPORT_PAGE, upload("help.json", content)).content.decode()

    assert "nothing was stored" in html
    assert "row 2 (&quot;B&quot;): body is required" in html
    assert "Confirm import" not in html
    assert snapshot() == before


def test_the_admin_confirm_stores_the_articles(admin_client):
    preview = admin_client.post(IMPORT_PAGE, upload("help.md", MARKDOWN.encode()))

    response = admin_client.post(
        IMPORT_PAGE, {"articles": hidden_articles(preview.content.decode()), "confirm": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    article = KnowledgeArticle.objects.get()
    assert article.title == "Return an item"
    assert article.example_questions == "How do I return something?\nCan I send it back?"
    messages = admin_client.get(CHANGELIST).content.decode()
    assert "Created 1, updated 0, unchanged 0." in messages


def test_a_tampered_hidden_field_is_checked_again_on_confirm(admin_client, existing):
    before = snapshot()
    preview = admin_client.post(IMPORT_PAGE, upload("help.json", json_file([PAY])))
    rows = knowledge_payload_rows(hidden_articles(preview.content.decode()))
    rows[0]["language"] = "xx"
    rows.append({"title": "Sneaky", "body": "B", "language": "en", "is_published": False})

    html = admin_client.post(
        IMPORT_PAGE, {"articles": payload_of_rows(rows), "confirm": "1"}
    ).content.decode()

    assert "row 1 (&quot;Pay your invoice&quot;): language &#x27;xx&#x27; is not one of" in html
    assert "row 2 (&quot;Sneaky&quot;): unknown field &#x27;is_published&#x27;" in html
    assert snapshot() == before


def test_an_unreadable_hidden_field_is_refused_on_confirm(admin_client, existing):
    before = snapshot()

    html = admin_client.post(
        IMPORT_PAGE, {"articles": "not-base64!", "confirm": "1"}
    ).content.decode()

    assert "The articles to confirm cannot be read." in html
    assert snapshot() == before


def test_the_confirm_needs_a_csrf_token(existing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    field = payload_of_rows([PAY])

    response = client.post(IMPORT_PAGE, {"articles": field, "confirm": "1"})

    assert response.status_code == 403
    assert KnowledgeArticle.objects.count() == 1


def test_the_admin_import_sends_a_non_staff_user_to_the_login(client):
    client.force_login(UserFactory(is_staff=False))

    response = client.post(IMPORT_PAGE, {"articles": payload_of_rows([PAY]), "confirm": "1"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not KnowledgeArticle.objects.exists()


def test_the_admin_import_is_refused_to_staff_without_add_and_change_permission(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_knowledgearticle"),
        Permission.objects.get(codename="change_knowledgearticle"),
    )
    client.force_login(staff)

    page = client.get(IMPORT_PAGE)
    confirm = client.post(IMPORT_PAGE, {"articles": payload_of_rows([PAY]), "confirm": "1"})

    assert (page.status_code, confirm.status_code) == (403, 403)
    assert f'href="{IMPORT_PAGE}"' not in client.get(CHANGELIST).content.decode()
    assert not KnowledgeArticle.objects.exists()


def test_the_admin_export_downloads_the_json(admin_client, existing):
    response = admin_client.get(EXPORT_PAGE)

    assert response["Content-Disposition"] == 'attachment; filename="knowledge.json"'
    assert [a["title"] for a in json.loads(response.content)] == [existing.title]


def test_the_change_form_edits_example_questions(admin_client, existing):
    url = f"{CHANGELIST}{existing.pk}/change/"

    response = admin_client.post(
        url,
        {
            "title": existing.title,
            "language": "en",
            "topic": "accounts",
            "is_published": "on",
            "body": existing.body,
            "keywords": existing.keywords,
            "example_questions": "How do I reset it?\nI forgot my password",
        },
    )

    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.example_questions == "How do I reset it?\nI forgot my password"
