"""Attachments as part of the document: shown inline in Markdown and in the Supporting section,
signed (the hash of a document without any unchanged), exported (Markdown, JSON, the zip),
tolerated by the import, and never a trace of a restricted document for anyone else."""

import datetime
import hashlib
import io
import json
import runpy
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from postmortems import attachments, workflow
from postmortems.content import canonical_content, document_hash
from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import import_markdown
from postmortems.markdown import render_markdown
from postmortems.markdown_engine import ATTACHMENT_SRC
from postmortems.models import DocumentVersion, Postmortem
from tests.factories import PostmortemFactory
from tests.test_settings import run_manage

pytestmark = pytest.mark.django_db


def png(color=(30, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


def attach(doc, user, name="latency.png", data=None):
    return attachments.attach(doc, SimpleUploadedFile(name, data or png()), by=user)


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def loaded(doc):
    return Postmortem.objects.with_document().get(pk=doc.pk)


# --- inline images -----------------------------------------------------------------------------


def test_the_markdown_shows_an_attached_image_inline(author_client, author, postmortem):
    attachment = attach(postmortem, author)
    url = attachment.get_absolute_url()
    assert attachment.markdown == f"![latency]({url})"
    response = author_client.post(
        f"/postmortems/{postmortem.key}/edit/supporting/",
        {"section_revision": "0", "references": f"The graph:\n\n{attachment.markdown}"},
    )
    assert response.status_code == 302
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert f'<img alt="latency" src="{url}" loading="lazy">' in page


def test_any_other_file_is_linked_not_shown(author, postmortem):
    log = attach(postmortem, author, "api.log", b"14:23 ERROR\n")
    url = log.get_absolute_url()
    assert log.markdown == f"[api.log]({url})"
    html = render_markdown(f"See {log.markdown}, or ![as an image]({url})")
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">api.log</a>' in html
    # Only an attached image makes an image.
    assert "<img" not in html and "[image: as an image]" in html


def test_the_allowed_address_is_the_attachment_views_own(author, postmortem):
    attachment = attach(postmortem, author, "p99 (ms).png")
    assert ATTACHMENT_SRC.fullmatch(attachment.get_absolute_url())


@pytest.mark.parametrize(
    "text",
    [
        "![pixel](https://tracker.example/p.gif)",
        "![pixel](//tracker.example/postmortems/INC-1/attachments/1/a.png)",
        "![inline](data:image/png;base64,iVBORw0KGgo=)",
        "![x](javascript:alert(1))",
        "![x](/postmortems/INC-1/export.json)",
        "![x](/postmortems/INC-1/attachments/1/../../export.json)",
        "![x](/postmortems/INC-1/attachments/1/a.png?x=1)",
        '<img src="/static/js/app.js">',
        '<img src="x" onerror="alert(1)">',
    ],
)
def test_no_other_image_is_shown(text):
    html = render_markdown(text)
    assert "<img" not in html and "[image" in html


@pytest.mark.parametrize(
    "text",
    [
        '![<script>alert(1)</script>](/postmortems/INC-1/attachments/1/a.png "t<b>")',
        '<img src="/postmortems/INC-1/attachments/1/a.png" alt="x" onerror="alert(1)" style="a">',
        '![a"onerror="alert(1)](/postmortems/INC-1/attachments/1/a.png)',
        '![x](/postmortems/INC-1/attachments/1/a.png){: onload="alert(1)" width="9999" }',
    ],
)
def test_an_allowed_image_carries_nothing_but_its_address_and_texts(text):
    class Images(HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    parser = Images()
    parser.feed(str(render_markdown(text)))
    images = [attrs for tag, attrs in parser.found if tag == "img"]
    assert len(images) == 1 and {"script", "style"}.isdisjoint(t for t, _ in parser.found)
    assert set(images[0]) <= {"src", "alt", "title", "loading"}
    assert images[0]["src"] == "/postmortems/INC-1/attachments/1/a.png"


def test_an_image_without_alt_text_gets_its_file_name():
    html = render_markdown("![](/postmortems/INC-1/attachments/7/graph.png)")
    assert 'alt="graph.png"' in html


# --- shown on the document ---------------------------------------------------------------------


def test_the_supporting_section_lists_the_files(author_client, author, postmortem):
    image = attach(postmortem, author)
    log = attach(postmortem, author, "api.log", b"14:23 ERROR\n")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert f'<img class="attachment-thumb" src="{image.get_absolute_url()}"' in page
    assert f'href="{log.get_absolute_url()}"' in page and "api.log" in page


def test_a_final_snapshot_shows_the_files(author, postmortem):
    attachment = attach(postmortem, author)
    html = workflow.snapshot_html(loaded(postmortem))
    assert f'src="{attachment.get_absolute_url()}"' in html


def test_the_editor_offers_upload_remove_and_the_markdown(author_client, author, postmortem):
    attachment = attach(postmortem, author)
    page = author_client.get(f"/postmortems/{postmortem.key}/edit/supporting/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert f'action="/postmortems/{postmortem.key}/attachments/{attachment.pk}/remove/"' in page
    assert f'value="![latency]({attachment.get_absolute_url()})"' in page
    assert "Copy Markdown" in page and "at most 10 MB a file" in page
    # The upload is a form of its own, never inside the section's form.
    upload = page.index('enctype="multipart/form-data"')
    assert page.rfind("<form", 0, upload) > page.rfind("</form>", 0, upload)
    assert page.count("<form", 0, upload) == page.count("</form>", 0, upload) + 1


# --- signed content ----------------------------------------------------------------------------

# The hash of this document, as it was before attachments existed (computed with the content
# module of that time): a document without attachments must keep exactly its hash, or every
# signature ever made would go stale.
PINNED = "6a3534cfe06115d1ada8b06b4d69aa53b644ea8caaa80de615bd68f7312e72df"


def test_a_document_without_attachments_keeps_its_hash():
    PostmortemFactory(
        key="INC-2026-0042",
        title="Pinned",
        incident_date=datetime.date(2026, 1, 29),
        executive_summary="The API returned errors for 47 minutes.",
        related_secret="a" * 64,
    )
    doc = loaded(Postmortem.objects.get(key="INC-2026-0042"))
    assert "attachments" not in canonical_content(doc)
    assert document_hash(doc) == PINNED


def test_attaching_a_file_changes_what_is_signed(author, postmortem):
    before = document_hash(loaded(postmortem))
    attachment = attach(postmortem, author)
    content = canonical_content(loaded(postmortem))
    assert content["attachments"] == [
        {
            "name": "latency.png",
            "content_type": "image/png",
            "size": attachment.size,
            "sha256": attachment.sha256,
        }
    ]
    assert document_hash(loaded(postmortem)) != before
    version = DocumentVersion.objects.filter(postmortem=postmortem).latest("number")
    assert version.section == "supporting" and version.content["attachments"][0]["name"] == (
        "latency.png"
    )


# --- exports and import ------------------------------------------------------------------------


def test_the_markdown_export_lists_the_files_and_the_import_notes_them(author, postmortem):
    assert "### Attachments" not in postmortem_markdown(loaded(postmortem))
    attachment = attach(postmortem, author)
    markdown = postmortem_markdown(loaded(postmortem))
    line = f"- latency.png (image/png, 1 KB, SHA-256 {attachment.sha256[:12]})"
    assert f"### Attachments\n\n{line}\n" in markdown
    result = import_markdown(markdown, by=author, key="INC-2026-0500")
    assert [(p.text, p.reason) for p in result.problems] == [
        (line, "an attached file: attach it again on the Supporting step")
    ]
    copy = loaded(result.postmortem)
    assert not copy.attachments.exists()
    assert line in copy.import_notes
    # Export → import → export: the Supporting section the same, less the files.
    assert _supporting(postmortem_markdown(copy)) == _supporting(markdown).replace(
        f"\n### Attachments\n\n{line}", ""
    )


def _supporting(markdown):
    start = markdown.index("## Supporting Information")
    return markdown[start : markdown.index("\n## ", start + 1)]


def test_the_json_export_holds_the_files_and_its_hash_checks(author_client, author, postmortem):
    attachment = attach(postmortem, author)
    data = json.loads(author_client.get(f"/postmortems/{postmortem.key}/export.json").content)
    assert data["content"]["attachments"][0]["sha256"] == attachment.sha256
    hashed = {k: v for k, v in data["content"].items() if k != "related_incidents"}
    encoded = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(encoded.encode()).hexdigest() == data["content_hash"]


def zip_of(user):
    response = as_user(user).get("/postmortems/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.getvalue()))


def test_the_zip_holds_the_files_of_what_you_may_see_and_nothing_else(author, outsider, postmortem):
    shown = attach(postmortem, author)
    secret = PostmortemFactory(key="SEC-2026-0003", restricted=True, authors=[author])
    attach(secret, author, "breach-evidence.png", png((0, 0, 0)))
    attach(secret, author, "attacker-ips.txt", b"203.0.113.9\n")

    archive = zip_of(outsider)
    assert archive.namelist() == [
        f"{postmortem.key}.md",
        f"{postmortem.key}/attachments/latency.png",
    ]
    assert archive.read(f"{postmortem.key}/attachments/latency.png") == shown.file.read()
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for trace in (b"SEC-2026-0003", b"breach-evidence", b"attacker-ips", b"203.0.113.9"):
        assert trace not in everything

    names = zip_of(author).namelist()
    assert "SEC-2026-0003/attachments/breach-evidence.png" in names
    assert "SEC-2026-0003/attachments/attacker-ips.txt" in names


def test_the_zip_copies_files_up_to_its_bound_and_lists_the_rest(author, postmortem, settings):
    first = attach(postmortem, author, "first.txt", b"a" * 600)
    attach(postmortem, author, "second.txt", b"b" * 600)
    settings.POSTMORTEM_ZIP_ATTACHMENTS_BYTES = 1000
    archive = zip_of(author)
    names = archive.namelist()
    assert f"{postmortem.key}/attachments/{first.name}" in names
    assert f"{postmortem.key}/attachments/second.txt" not in names
    listed = archive.read("attachments-not-included.txt").decode()
    assert f"{postmortem.key}/attachments/second.txt" in listed


def test_a_restricted_documents_files_leave_no_trace_on_open_pages(author, outsider, postmortem):
    secret = PostmortemFactory(key="SEC-2026-0004", restricted=True, authors=[author])
    attach(secret, author, "breach-evidence.png")
    client = as_user(outsider)
    for url in ("/", "/search/?q=breach", "/review/", "/action-items/"):
        page = client.get(url).content.decode()
        assert "breach-evidence" not in page and "SEC-2026-0004" not in page


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DJANGO_MEDIA_STORAGE": "s3"}, "DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"DJANGO_MEDIA_STORAGE": "ftp"}, "DJANGO_MEDIA_STORAGE must be filesystem or s3"),
        ({"POSTMORTEM_ATTACHMENT_MAX_MB": "0"}, "POSTMORTEM_ATTACHMENT_MAX_MB must be 1 or more"),
    ],
)
def test_a_wrong_storage_setting_stops_the_app_with_one_line(env, says):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert says in result.stderr and "Traceback" not in result.stderr


def test_the_s3_settings_name_django_storages_backend(monkeypatch):
    monkeypatch.setenv("DJANGO_MEDIA_STORAGE", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "postmortems-files")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://minio.example.com")
    namespace = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings.py"))
    storage = namespace["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "postmortems-files"
    assert storage["OPTIONS"]["endpoint_url"] == "https://minio.example.com"
    assert storage["OPTIONS"]["default_acl"] is None and storage["OPTIONS"]["querystring_auth"]
