"""Attachments: what may be uploaded (decided from the bytes), cleaned, limited, by whom; how a
file is served, to whom, with which headers. Export, Markdown and signing: the companion module
test_attachments_content.py."""

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from PIL import Image

from postmortems import attachments
from postmortems.models import Activity, Attachment, Postmortem
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


# --- files made here (never downloaded) --------------------------------------------------------


def png(size=(64, 48), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_with_exif():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "Leaky 1.0"  # Software
    exif[0x0112] = 6  # taken sideways: shown rotated 90°
    out = io.BytesIO()
    Image.new("RGB", (80, 40), (0, 90, 200)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def upload_url(doc):
    return f"/postmortems/{doc.key}/attachments/"


def stored_files() -> set[str]:
    folder = Path(settings.MEDIA_ROOT) / "attachments"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def attach(doc, user, name="graph.png", data=None):
    return attachments.attach(doc, file(name, data or png()), by=user)


# --- uploading ---------------------------------------------------------------------------------


def test_an_author_attaches_an_image_which_is_stored_re_encoded(author_client, postmortem, author):
    original = png()
    response = author_client.post(
        upload_url(postmortem), {"file": file("Latency graph (p99).PNG", original, "image/png")}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{postmortem.key}/edit/supporting/#attachments"
    attachment = Attachment.objects.get(postmortem=postmortem)
    assert attachment.name == "Latency-graph-p99.png"
    assert attachment.content_type == "image/png"
    assert attachment.uploaded_by == author
    stored = attachment.file.read()
    assert attachment.size == len(stored)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (64, 48)
    # Under a random name that says nothing of the file or the document.
    assert attachment.file.name.startswith("attachments/")
    assert "Latency" not in attachment.file.name and postmortem.key not in attachment.file.name
    assert len(attachment.file.name) > len("attachments/") + 30
    entry = Activity.objects.filter(postmortem=postmortem).latest("id")
    assert entry.verb == Activity.Verb.EDITED and entry.detail == "attached Latency-graph-p99.png"
    assert Postmortem.objects.get(pk=postmortem.pk).revision == postmortem.revision + 1


def test_the_type_comes_from_the_bytes_not_from_the_browser(author_client, postmortem):
    response = author_client.post(
        upload_url(postmortem), {"file": file("graph.jpg", png(), "text/html")}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(postmortem=postmortem)
    assert (attachment.name, attachment.content_type) == ("graph.png", "image/png")


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("evil.png", b"<html><script>alert(1)</script></html>", "is called .png but is not a PNG"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG"),
        (
            "chart.svg",
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "SVG",
        ),
        ("page.html", b"<h1>hello</h1>", ".html files are not accepted"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", ".exe files are not accepted"),
        ("notes.txt", b"caf\xe9 latin-1", "neither an image, a PDF nor UTF-8 text"),
        ("dump.log", b"text\x00with NUL", "NUL characters"),
        ("empty.txt", b"", "empty"),
        ("cut.png", png()[:60], "cannot be read"),
        ("report.pdf", b"not a pdf at all", "is called .pdf but is not a PDF"),
    ],
    ids=["html-as-png", "svg-as-png", "svg", "html", "exe", "latin1", "nul", "empty", "cut", "pdf"],
)
def test_what_is_not_allowed_is_refused_beside_the_field(
    author_client, postmortem, name, data, says
):
    before = stored_files()
    response = author_client.post(upload_url(postmortem), {"file": file(name, data, "image/png")})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="attachment-error"' in page and says in page
    assert 'class="form-control attachment-file is-invalid"' in page
    assert not Attachment.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("timeline.log", b"14:23 paged\n14:24 acked\n", "text/plain"),
        ("errors.csv", "time,count\n14:23,5 é\n".encode(), "text/plain"),
        ("query.json", b'{"q": "rate(errors[5m])"}', "text/plain"),
        ("runbook.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    ],
)
def test_text_and_pdf_are_kept_as_they_are(author, postmortem, name, data, content_type):
    attachment = attach(postmortem, author, name, data)
    assert (attachment.name, attachment.content_type) == (name, content_type)
    assert attachment.file.read() == data


def test_a_polyglot_loses_everything_but_its_pixels(author, postmortem):
    # A real PNG that is also an HTML page: a text chunk and a tail after the image's end.
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    data = png(pnginfo=info) + b"<html><script>alert(2)</script></html>"
    stored = attach(postmortem, author, "graph.png", data).file.read()
    assert b"<script" not in stored and b"alert" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (64, 48) and not image.text


def test_re_encoding_removes_exif_and_keeps_a_photo_upright(author, postmortem):
    data = jpeg_with_exif()
    assert b"SecretCam" in data
    attachment = attach(postmortem, author, "photo.jpeg", data)
    stored = attachment.file.read()
    assert attachment.name == "photo.jpg" and attachment.content_type == "image/jpeg"
    assert b"SecretCam" not in stored and b"Leaky" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (40, 80)  # turned as its orientation said


def test_an_animation_keeps_its_first_frame_as_png(author, postmortem):
    frames = [Image.new("RGB", (30, 20), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0)
    attachment = attach(postmortem, author, "spinner.gif", out.getvalue())
    assert (attachment.name, attachment.content_type) == ("spinner.png", "image/png")
    with Image.open(io.BytesIO(attachment.file.read())) as image:
        assert getattr(image, "n_frames", 1) == 1
        assert image.convert("RGB").getpixel((5, 5))[0] > 200  # red: the first frame


def test_a_webp_stays_webp(author, postmortem):
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (10, 20, 30, 128)).save(out, "WEBP")
    attachment = attach(postmortem, author, "shot.webp", out.getvalue())
    assert attachment.content_type == "image/webp"


def test_a_multi_picture_jpeg_keeps_its_first_picture_as_jpeg(author_client, postmortem):
    """A camera's MPO (a JPEG with more pictures after it, which Pillow reads as "MPO") is a
    JPEG like any other: attached as its first picture, never a server error."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    first.save(out, "MPO", save_all=True, append_images=[second])
    response = author_client.post(upload_url(postmortem), {"file": file("3d.jpg", out.getvalue())})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type) == ("3d.jpg", "image/jpeg")
    with Image.open(io.BytesIO(attachment.file.read())) as image:
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        assert image.getpixel((5, 5))[0] > 200  # red: the first picture


def test_a_decompression_bomb_is_refused_before_it_is_decoded(author_client, postmortem):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    response = author_client.post(upload_url(postmortem), {"file": file("b.png", bomb.getvalue())})
    assert response.status_code == 400
    assert "more pixels than an image may have" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_image_with_too_many_pixels_is_refused(author_client, postmortem):
    big = io.BytesIO()
    Image.new("1", (6_000, 5_000)).save(big, "PNG")  # 30 megapixels, under Pillow's own limit
    response = author_client.post(upload_url(postmortem), {"file": file("b.png", big.getvalue())})
    assert response.status_code == 400
    assert "6,000 × 5,000 pixels; an image may have 25,000,000" in response.content.decode()


def test_names_are_sanitised_and_made_unique(author, postmortem):
    names = [
        attach(postmortem, author, name).name
        for name in [
            "../../etc/graph.png",
            "graph.png",
            '"><img src=x onerror=alert(1)>.png',
            "日本.png",
        ]
    ]
    assert names == ["graph.png", "graph-2.png", "img-src-x-onerror-alert-1.png", "file.png"]


def test_a_name_cannot_inject_markup_into_the_pages(author_client, author, postmortem):
    attach(postmortem, author, '<img src=x onerror=alert("x")>.png')
    for url in (postmortem.get_absolute_url(), f"/postmortems/{postmortem.key}/edit/supporting/"):
        page = author_client.get(url).content.decode()
        assert "img-src-x-onerror-alert-x.png" in page
        assert "onerror=" not in page and "<img src=x" not in page


# --- limits ------------------------------------------------------------------------------------


def test_a_legitimate_ten_megabyte_upload_goes_through(author_client, postmortem):
    data = (b"2026-01-29T14:23:00Z api-7 ERROR pool exhausted\n" * 220_000)[: 10 * 1024 * 1024]
    response = author_client.post(upload_url(postmortem), {"file": file("api.log", data)})
    assert response.status_code == 302, response.content.decode()[:500]
    assert Attachment.objects.get(postmortem=postmortem).size == 10 * 1024 * 1024


def test_a_file_over_the_limit_is_refused_and_not_kept(author_client, postmortem, settings):
    settings.POSTMORTEM_ATTACHMENT_MAX_BYTES = 100_000
    response = author_client.post(upload_url(postmortem), {"file": file("a.log", b"x" * 100_001)})
    assert response.status_code == 400
    assert "The file is over 98 KB, the most a file may be." in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_huge_body_is_refused_before_it_is_read(author_client, postmortem, monkeypatch):
    read = []
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, original=original):
            read.append(len(raw_data))
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    response = author_client.post(
        upload_url(postmortem), {"file": file("a.log", b"x")}, CONTENT_LENGTH=str(400 * 1024**2)
    )
    assert response.status_code == 413
    assert "That is 400 MB; a file may be 10 MB at most" in response.content.decode()
    assert read == [] and not Attachment.objects.exists()


def test_a_document_holds_a_limited_number_of_files(author, postmortem, settings):
    settings.POSTMORTEM_ATTACHMENTS_PER_DOCUMENT = 2
    attach(postmortem, author, "a.png")
    attach(postmortem, author, "b.png")
    with pytest.raises(attachments.AttachmentRefused, match="has 2 files attached already"):
        attach(postmortem, author, "c.png")


def test_a_document_holds_a_limited_number_of_bytes(author, postmortem, settings):
    settings.POSTMORTEM_ATTACHMENTS_TOTAL_BYTES = 1500
    attach(postmortem, author, "a.log", b"x" * 1000)
    with pytest.raises(attachments.AttachmentRefused, match="does not fit"):
        attach(postmortem, author, "b.log", b"y" * 600)
    assert attach(postmortem, author, "c.log", b"z" * 500).size == 500


# --- who may attach and remove -----------------------------------------------------------------


def test_only_an_author_of_a_draft_attaches(postmortem, outsider, reviewer):
    for person in (outsider, reviewer):
        response = as_user(person).post(upload_url(postmortem), {"file": file("a.png", png())})
        assert response.status_code == 403
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("status", [Postmortem.Status.IN_REVIEW, Postmortem.Status.FINAL])
def test_the_files_of_a_document_under_review_or_final_are_read_only(
    author_client, author, postmortem, status
):
    attachment = attach(postmortem, author)
    Postmortem.objects.filter(pk=postmortem.pk).update(status=status)
    assert (
        author_client.post(upload_url(postmortem), {"file": file("b.png", png())}).status_code
        == 403
    )
    remove = f"/postmortems/{postmortem.key}/attachments/{attachment.pk}/remove/"
    assert author_client.post(remove).status_code == 403
    assert list(Attachment.objects.values_list("name", flat=True)) == ["graph.png"]


def test_an_author_removes_a_file_and_its_bytes_go(
    author_client, author, postmortem, django_capture_on_commit_callbacks
):
    attachment = attach(postmortem, author)
    stored = Path(attachment.file.path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            f"/postmortems/{postmortem.key}/attachments/{attachment.pk}/remove/"
        )
    assert response.status_code == 302
    assert not Attachment.objects.exists() and not stored.exists()
    entry = Activity.objects.filter(postmortem=postmortem).latest("id")
    assert entry.detail == "removed graph.png"
    # Removing it again (a second tab) says so, and changes nothing.
    again = author_client.post(
        f"/postmortems/{postmortem.key}/attachments/{attachment.pk}/remove/", follow=True
    )
    assert "had been removed already" in again.content.decode()


def test_a_file_of_an_earlier_final_version_stays(author_client, author, postmortem):
    attachment = attach(postmortem, author)
    Postmortem.objects.filter(pk=postmortem.pk).update(version=2)  # reopened after Final
    response = author_client.post(
        f"/postmortems/{postmortem.key}/attachments/{attachment.pk}/remove/", follow=True
    )
    assert "belongs to version 1.0, which was Final" in response.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    editor = author_client.get(f"/postmortems/{postmortem.key}/edit/supporting/").content.decode()
    assert "Part of version 1.0 (Final): kept" in editor


# --- serving -----------------------------------------------------------------------------------


def get_file(client, attachment):
    response = client.get(attachment.get_absolute_url())
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def test_an_image_is_served_inline_with_safe_headers(author, outsider, postmortem):
    attachment = attach(postmortem, author)
    response, body = get_file(as_user(outsider), attachment)
    assert response.status_code == 200
    assert body == attachment.file.read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="graph.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("page.txt", b"<html><script>alert(1)</script></html>", "text/plain; charset=utf-8"),
        ("runbook.pdf", b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF", "application/pdf"),
    ],
)
def test_anything_but_an_image_is_only_downloaded(author, postmortem, name, data, content_type):
    attachment = attach(postmortem, author, name, data)
    response, body = get_file(as_user(author), attachment)
    assert body == data
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_restricted_documents_files_are_not_found_by_others(author, outsider, admin_user):
    secret = PostmortemFactory(key="SEC-2026-0001", restricted=True, authors=[author])
    attachment = attach(secret, author, "breach.png")
    assert get_file(as_user(outsider), attachment)[0].status_code == 404
    assert get_file(as_user(author), attachment)[0].status_code == 200
    assert get_file(as_user(admin_user), attachment)[0].status_code == 200
    secret.viewers.add(outsider)
    assert get_file(as_user(outsider), attachment)[0].status_code == 200


def test_signing_in_is_required(client, author, postmortem):
    attachment = attach(postmortem, author)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_file_is_found_only_under_its_own_document_and_name(author, postmortem):
    attachment = attach(postmortem, author)
    other = PostmortemFactory(key="INC-2026-0999", authors=[author])
    client = as_user(author)
    for url in (
        f"/postmortems/{other.key}/attachments/{attachment.pk}/graph.png",
        f"/postmortems/{postmortem.key}/attachments/{attachment.pk}/other.png",
        f"/postmortems/{postmortem.key}/attachments/{attachment.pk + 1}/graph.png",
    ):
        assert client.get(url).status_code == 404
    assert client.post(attachment.get_absolute_url()).status_code == 405


def test_a_file_missing_from_the_storage_is_a_404(author, postmortem):
    attachment = attach(postmortem, author)
    attachment.file.storage.delete(attachment.file.name)
    assert get_file(as_user(author), attachment)[0].status_code == 404
