"""The PDF export: a real PDF made on the server (WeasyPrint in a worker process), read back
with pypdf — its title block, page numbers, running header, Draft mark, sign-off record and
images — who may have it, what it may fetch, and what happens when it cannot be made. And the
print view (?print=1): the document alone."""

import io
import re
import sys
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from postmortems import attachments, pdf_engine, workflow
from postmortems.demo import seed_demo
from postmortems.exchange import pdf
from postmortems.models import Approval, Comment, Postmortem
from tests.factories import PASSWORD, PostmortemFactory, UserFactory, ready_for_review, sign

pytestmark = pytest.mark.django_db


def compact(text: str) -> str:
    """Text without its whitespace: a PDF's lines break where the layout put them."""
    return "".join(text.split())


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def image_sizes(data: bytes) -> set[tuple[int, int]]:
    """The sizes of the images the PDF holds (an emoji's glyph is one too, 136 × 128)."""
    return {image.image.size for page in PdfReader(io.BytesIO(data)).pages for image in page.images}


def png(size, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- three documents rendered once for the module: Draft, Under Review, Final ------------------


@dataclass(frozen=True)
class Rendered:
    doc: Postmortem
    response: object
    pages: list[str]


@dataclass(frozen=True)
class World:
    people: dict
    draft: Rendered
    in_review: Rendered
    final: Rendered


def _document(people, key, state):
    doc = ready_for_review(
        key=key,
        authors=[people["author"], people["coauthor"]],
        slots=[
            ("Author", people["author"], True),
            ("Reviewer (SRE Lead)", people["reviewer"], False),
            ("Approver (VP Eng)", people["approver"], False),
        ],
    )
    Postmortem.objects.filter(pk=doc.pk).update(
        title="Connection pool exhaustion in the API",
        executive_summary="The API was down for 47 minutes. " * 40,
    )
    Comment.objects.create(
        postmortem=doc, section="impact", author=people["reviewer"], body="A reviewer's question"
    )
    if state in ("in_review", "final"):
        workflow.submit_for_review(doc, by=people["author"])
    if state == "final":
        for role, who in [
            ("Author", "author"),
            ("Reviewer (SRE Lead)", "reviewer"),
            ("Approver (VP Eng)", "approver"),
        ]:
            sign(Approval.objects.get(postmortem=doc, role=role), by=people[who], password=PASSWORD)
    return Postmortem.objects.get(pk=doc.pk)


def make_world() -> World:
    people = {
        "author": UserFactory(username="alice", display_name="Alice Smith"),
        "coauthor": UserFactory(username="bob", display_name="Bob Jones"),
        "reviewer": UserFactory(username="carol", display_name="Carol White"),
        "approver": UserFactory(username="victor", display_name="Victor Chen"),
    }
    client = as_user(people["reviewer"])
    rendered = {}
    for n, state in enumerate(["draft", "in_review", "final"]):
        doc = _document(people, f"INC-2026-{301 + n:04d}", state)
        response = client.get(f"/postmortems/{doc.key}/export.pdf")
        assert response.status_code == 200, response.content[:300]
        rendered[state] = Rendered(doc, response, pages_of(response.content))
    return World(people=people, **rendered)


@pytest.fixture(scope="module")
def world(made_once):
    yield from made_once(make_world)


def test_the_pdf_is_a_pdf_downloaded_privately(world):
    response = world.draft.response
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="INC-2026-0301.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_page_one_starts_with_the_title_block(world):
    doc, first = world.draft.doc, compact(world.draft.pages[0])
    for field in [
        "INC-2026-0301",
        "Connectionpoolexhaustionin",
        "INCIDENTDATE2026-01-29",
        "AUTHORSAliceSmith,BobJones",
        "STATUSDraft",
        "SEVERITYSEV-2",
        "DOCUMENTVERSION1.0",
        f"LASTUPDATED{doc.updated_at:%Y-%m-%d}",
        "CONTENTSHA-256",
    ]:
        assert field in first, field
    # The title block comes first; the document follows it.
    assert first.index("INCIDENTDATE") < first.index("ExecutiveSummary")


def test_every_page_is_numbered_and_headed_with_key_and_status_after_the_first(world):
    pages = world.draft.pages
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page{number}of{len(pages)}" in compact(text)
        running = "INC-2026-0301·Draft" in compact(text)
        assert running == (number > 1), number


def test_the_draft_mark_is_on_every_page_of_a_draft(world):
    assert all("DRAFT" in text for text in world.draft.pages)
    assert not any("UNDER REVIEW" in text for text in world.draft.pages)


def test_under_review_is_marked_as_such(world):
    pages = world.in_review.pages
    assert all("UNDER REVIEW" in text for text in pages)
    assert "INC-2026-0302·UnderReview" in compact(pages[1])


def test_a_final_document_has_no_mark(world):
    pages = world.final.pages
    assert not any("DRAFT" in text or "UNDER REVIEW" in text for text in pages)
    assert "STATUSFinal—version1.0assigned" in compact(pages[0])


def test_the_sign_off_record_names_each_signer_date_and_signed_hash(world):
    doc = world.final.doc
    text = compact("".join(world.final.pages))
    record = text[text.index("Sign-offrecord") :]
    for approval in Approval.objects.filter(postmortem=doc).select_related("assignee"):
        assert approval.signed_at is not None
        assert compact(approval.assignee.name) in record
        assert f"{approval.signed_at:%Y-%m-%d%H:%M}" in record
        assert len(approval.content_hash) == 64 and approval.content_hash in record
    assert record.count("✔current") == 3
    # And the title block gives the hash they signed, so it can be compared.
    assert doc.snapshots.get().content_hash in compact(world.final.pages[0])


def test_the_whole_document_is_there_in_the_templates_order(world):
    text = compact("".join(world.draft.pages))
    headings = [
        "ExecutiveSummary",
        "Impact",
        "Timeline(alltimesUTC)",
        "RootCause",
        "Detection",
        "Response",
        "Resolution",
        "ActionItems",
        "LessonsLearned",
        "SupportingInformation",
        "BlamelessCultureReminder",
        "Approvals",
        "Appendix",
        "Sign-offrecord",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "Follow-up" in text  # the action items' table
    assert "Sizepoolsby" in text  # a lesson


def test_comments_and_buttons_are_not_printed(world):
    text = "".join(world.draft.pages)
    assert "A reviewer's question" not in text
    assert "Change who approves" not in text


def test_a_final_pdf_is_its_frozen_snapshot(world):
    doc = world.final.doc
    # Changed behind the workflow's back after Final: the PDF still prints what was signed.
    Postmortem.objects.filter(pk=doc.pk).update(executive_summary="Rewritten afterwards.")
    html = pdf.document_html(
        Postmortem.objects.with_document().get(pk=doc.pk), world.people["author"]
    )
    assert "The API was down for 47 minutes." in html
    assert "Rewritten afterwards." not in html


# --- images: this document's own, fetched from the storage; nothing else ----------------------


@pytest.fixture
def illustrated(author, postmortem):
    """A Draft showing its own image (90 × 40), another document's (70 × 30) and another
    site's, in its Markdown."""
    own = attachments.attach(postmortem, SimpleUploadedFile("own.png", png((90, 40))), by=author)
    other = PostmortemFactory(key="INC-2026-0002", authors=[author])
    theirs = attachments.attach(
        other, SimpleUploadedFile("theirs.png", png((70, 30), (30, 30, 200))), by=author
    )
    Postmortem.objects.filter(pk=postmortem.pk).update(
        references=(
            f"Ours: {own.markdown}\n\nTheirs: {theirs.markdown}\n\n"
            "Tracking: ![pixel](https://evil.example/pixel.png)"
        )
    )
    return Postmortem.objects.with_document().get(pk=postmortem.pk), own, theirs


def test_an_attached_image_is_embedded_and_no_other(author_client, illustrated):
    postmortem, _, _ = illustrated
    response = author_client.get(f"/postmortems/{postmortem.key}/export.pdf")
    assert response.status_code == 200
    sizes = image_sizes(response.content)
    assert (90, 40) in sizes
    assert (70, 30) not in sizes
    text = compact("".join(pages_of(response.content)))
    assert "[image:pixel]" in text  # the sanitizer turned the other site's image into text


def test_only_this_documents_images_are_read_and_the_fetcher_refuses_the_rest(author, illustrated):
    postmortem, own, theirs = illustrated
    html = pdf.document_html(postmortem, author)
    assert theirs.get_absolute_url() in html  # the Markdown names it…
    assert "evil.example" not in html  # …not the other site's (the sanitizer removed it)
    images = pdf.images_of(postmortem, html)
    # …but only this document's file is read from the storage.
    assert [image.path for image in images] == [own.get_absolute_url()]
    base = pdf.base_url()
    fetcher = pdf_engine.make_fetcher(base, {i.path: i for i in images})
    data = pdf_engine.html_to_pdf(html, pdf.stylesheet(), base, {}, fetcher=fetcher)
    assert (90, 40) in image_sizes(data)
    assert fetcher.refused == [base + theirs.get_absolute_url().lstrip("/")]
    assert set(fetcher.asked) == {base + own.get_absolute_url().lstrip("/"), *fetcher.refused}


def test_the_fetcher_serves_nothing_but_what_it_was_given():
    base = "http://127.0.0.1:8000/"
    path = "/postmortems/INC-2026-0001/attachments/1/own.png"
    given = {path: pdf_engine.Image(path, "image/png", png((90, 40)))}
    html = f"""<link rel="stylesheet" href="https://evil.example/s.css">
      <style>@import "https://evil.example/i.css"; p {{ background: url(file:///etc/hostname) }}</style>
      <p>x</p>
      <img src="file:///etc/passwd"> <img src="https://evil.example/x.png">
      <img src="//evil.example/y.png"> <img src="{path}?again">
      <img src="/postmortems/INC-2026-0001/attachments/1/../2/own.png">
      <img src="data:image/png;base64,iVBORw0KGgo="> <img src="/healthz">"""
    fetcher = pdf_engine.make_fetcher(base, given)
    data = pdf_engine.html_to_pdf(html, "", base, given, fetcher=fetcher)
    assert data.startswith(b"%PDF-")
    assert image_sizes(data) == set()
    assert fetcher.asked and set(fetcher.asked) == set(fetcher.refused)
    assert any("etc/passwd" in url for url in fetcher.refused)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/postmortems/K/attachments/1/a.png?x",
        "http://127.0.0.1:8000/postmortems/K/attachments/1/a.png#x",
        "http://127.0.0.1:8000/postmortems/K/attachments/2/a.png",
        "http://127.0.0.1:8000//postmortems/K/attachments/1/a.png",
        "http://127.0.0.1:8000.evil.example/postmortems/K/attachments/1/a.png",
        "https://127.0.0.1:8000/postmortems/K/attachments/1/a.png",
        "file:///postmortems/K/attachments/1/a.png",
    ],
)
def test_an_address_is_served_only_exactly_as_given(url):
    given = {"/postmortems/K/attachments/1/a.png": pdf_engine.Image("", "image/png", b"")}
    assert pdf_engine.served(
        "http://127.0.0.1:8000/postmortems/K/attachments/1/a.png", "http://127.0.0.1:8000/", given
    )
    with pytest.raises(pdf_engine.Refused):
        pdf_engine.served(url, "http://127.0.0.1:8000/", given)


# --- what is printed: the sanitizer's output, for who may read it -----------------------------


def test_every_typed_text_is_the_sanitizers_output(author, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(
        executive_summary="<script>alert(1)</script> <img src=x onerror=alert(2)> **bold**"
    )
    html = pdf.document_html(Postmortem.objects.with_document().get(pk=postmortem.pk), author)
    assert "<script>" not in html and "onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_anonymous_is_sent_to_sign_in(client, postmortem):
    response = client.get(f"/postmortems/{postmortem.key}/export.pdf")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_restricted_document_is_not_found_by_an_outsider(outsider_client, author, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(restricted=True)
    hidden = outsider_client.get(f"/postmortems/{postmortem.key}/export.pdf")
    missing = outsider_client.get("/postmortems/INC-2026-9999/export.pdf")
    assert hidden.status_code == missing.status_code == 404
    assert postmortem.title.encode() not in hidden.content
    # The same page as for a key that does not exist (the form tokens aside).
    token = re.compile(rb"[A-Za-z0-9]{64}")
    assert token.sub(b"", hidden.content.replace(postmortem.key.encode(), b"KEY")) == token.sub(
        b"", missing.content.replace(b"INC-2026-9999", b"KEY")
    )


def test_an_outsider_gets_nothing_they_may_not_read(outsider, author):
    theirs = UserFactory(username="trent")
    secret = PostmortemFactory(key="SEC-2026-0001", authors=[theirs], restricted=True)
    response = as_user(outsider).get(f"/postmortems/{secret.key}/export.pdf")
    assert response.status_code == 404


# --- when the PDF cannot be made: a 503 saying why, never a 500 -------------------------------


def test_without_pango_the_link_says_what_to_install(author_client, postmortem, monkeypatch):
    def missing(*args, **kwargs):
        raise pdf_engine.Unavailable(pdf_engine.MISSING_LIBRARIES)

    monkeypatch.setattr(pdf_engine, "render", missing)
    response = author_client.get(f"/postmortems/{postmortem.key}/export.pdf")
    assert response.status_code == 503
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "PDF export needs Pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0" in page
    assert f"/postmortems/{postmortem.key}/?print=1" in page  # what to use meanwhile


def test_the_worker_reports_missing_libraries_as_unavailable(monkeypatch):
    # A real worker process whose WeasyPrint cannot load Pango, as on a bare machine.
    monkeypatch.setattr(
        pdf_engine,
        "worker_command",
        lambda seconds: [
            sys.executable,
            "-c",
            "import importlib, sys\n"
            "from postmortems import pdf_engine\n"
            "def fail(name):\n"
            "    raise OSError(\"cannot load library 'libpango-1.0-0'\")\n"
            "importlib.import_module = fail\n"
            "sys.exit(pdf_engine.work())",
        ],
    )
    with pytest.raises(pdf_engine.Unavailable, match="PDF export needs Pango: apt-get install"):
        pdf_engine.render("<p>x</p>", "", "http://127.0.0.1:8000/", [])


def test_a_pdf_that_takes_too_long_is_stopped(author_client, postmortem, monkeypatch):
    monkeypatch.setattr(
        pdf_engine,
        "worker_command",
        lambda s: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    monkeypatch.setattr(pdf_engine, "SECONDS", 1.0)
    response = author_client.get(f"/postmortems/{postmortem.key}/export.pdf")
    assert response.status_code == 503
    assert "took longer than 1 seconds" in response.content.decode()


def test_a_document_too_large_is_refused_before_it_is_laid_out(
    author_client, postmortem, monkeypatch
):
    monkeypatch.setattr(pdf, "MAX_HTML_CHARS", 1000)
    monkeypatch.setattr(pdf_engine, "render", lambda *a, **k: pytest.fail("rendered"))
    response = author_client.get(f"/postmortems/{postmortem.key}/export.pdf")
    assert response.status_code == 503
    assert "too large to be made into a PDF" in response.content.decode()


# --- the demo document, and the page's links ----------------------------------------------------


def test_the_demo_document_has_its_title_block_on_page_one():
    people = seed_demo()
    response = as_user(people["alice"]).get("/postmortems/INCIDENT-12345/export.pdf")
    assert response.status_code == 200
    pages = pages_of(response.content)
    first = compact(pages[0])
    for field in [
        "INCIDENT-12345",
        "VirtEngineAPIoutage",
        "INCIDENTDATE2026-01-29",
        "AliceSmith",
        "STATUSFinal",
        "SEVERITYSEV-2",
        "DOCUMENTVERSION1.0",
        "LASTUPDATED",
    ]:
        assert field in first, field
    assert first.index("INCIDENTDATE") < first.index("ExecutiveSummary")
    assert f"Page1of{len(pages)}" in first


def test_the_document_page_links_the_pdf(author_client, postmortem):
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert f'href="/postmortems/{postmortem.key}/export.pdf"' in page


def test_the_print_view_is_the_document_alone(author_client, doc, reviewer):
    Comment.objects.create(postmortem=doc, section="impact", author=reviewer, body="Why 47?")
    response = author_client.get(f"{doc.get_absolute_url()}?print=1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Executive Summary" in page and "Timeline (all times UTC)" in page
    for absent in ["navbar", 'class="comments', "Why 47?", "<aside", "<form", "/edit/"]:
        assert absent not in page, absent
    assert "data-print" in page and "export.pdf" in page  # the hint: print, or the PDF
