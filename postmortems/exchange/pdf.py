"""A postmortem as a PDF: a title block, the whole document in the template's order, the
sign-off record with the signed hashes, page numbers, a running header and a Draft mark.

The HTML is the read view's own (the section templates, every typed text through
``render_markdown``), laid out for paper by ``static/css/pdf.css`` (CSS Paged Media), and made
into a PDF by ``postmortems.pdf_engine`` in a worker process with a time limit. A Final
document is printed from its frozen snapshot: the version its approvers signed.

The images the worker may fetch are decided here: those the HTML shows at the address of one
of this document's own attached images, read from the storage (never over HTTP). Any other
address (another document's file, another site, a file on the server) is never read: the
worker's fetcher refuses it and the PDF shows the image's alt text instead.
"""

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from postmortems import pdf_engine
from postmortems.models import Postmortem
from postmortems.presentation import document_context

# The rendered HTML, at most: the demo document is about 60,000 characters; a document a
# hundred times that would take WeasyPrint minutes. Beyond it the PDF is refused at once.
MAX_HTML_CHARS = 3_000_000
STYLESHEET = "css/pdf.css"
MARKS = {
    Postmortem.Status.DRAFT: "DRAFT",
    Postmortem.Status.IN_REVIEW: "UNDER REVIEW",
}

# An image's address in the HTML (the sanitizer keeps only attachment addresses; this reads
# them back): the key, the attachment's id and its file name.
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]*)\"", re.IGNORECASE)
_ATTACHMENT_PATH = re.compile(
    r"/postmortems/(?P<key>[A-Za-z0-9][A-Za-z0-9-]{0,39})/attachments/"
    r"(?P<id>[1-9][0-9]{0,17})/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,119})"
)


class TooLarge(pdf_engine.PdfError):
    """The document is too large to be laid out as a PDF in time."""


def final_snapshot(postmortem):
    """The frozen snapshot of a Final document's current version, or None."""
    if postmortem.status != Postmortem.Status.FINAL:
        return None
    return postmortem.snapshots.filter(version=postmortem.version).first()


def document_html(postmortem, user, *, now=None) -> str:
    """The PDF's HTML (``postmortem`` loaded with ``with_document()``), for this reader: a
    related incident they may not read is not named, as on the page."""
    snapshot = final_snapshot(postmortem)
    if snapshot is None:
        context = document_context(postmortem, user)
        digest = context["content_digest"]
    else:  # the frozen page, and the hash of what it shows
        context = {"postmortem": postmortem}
        digest = snapshot.content_hash
    approvals = list(postmortem.approvals.all())
    for approval in approvals:
        approval.current = approval.signed_on(digest)
    context.update(
        {
            # The read view as on paper: no comments, verdicts, warnings, links to edit.
            "frozen": True,
            "can_edit": False,
            "snapshot": snapshot,
            "signatures": approvals,
            "content_digest": digest,
            "mark": MARKS.get(postmortem.status, ""),
            "exported_at": now or timezone.now(),
        }
    )
    return render_to_string("postmortems/pdf/document.html", context)


def stylesheet() -> str:
    path = finders.find(STYLESHEET)
    if path is None:  # pragma: no cover — a deployment without the static files
        raise pdf_engine.Failed(f"The PDF's stylesheet ({STYLESHEET}) is missing.")
    with open(path, encoding="utf-8") as css:
        return css.read()


def images_of(postmortem, html: str) -> list[pdf_engine.Image]:
    """The images ``html`` shows that are this document's own attached images, with their
    bytes from the storage. Any other address is left out, and so never fetched."""
    wanted = {}
    for src in _IMG_SRC.findall(html):
        match = _ATTACHMENT_PATH.fullmatch(src)
        if match and match["key"].upper() == postmortem.key.upper():
            wanted[src] = (int(match["id"]), match["name"])
    if not wanted:
        return []
    # Only this document's attachments are looked at (prefetched by with_document()).
    attached = {a.pk: a for a in postmortem.attachments.all() if a.is_image}
    images = []
    for src, (pk, name) in wanted.items():
        attachment = attached.get(pk)
        if attachment is None or attachment.name != name:
            continue
        try:
            with attachment.file.open("rb") as stored:
                data = stored.read(settings.POSTMORTEM_ATTACHMENT_MAX_BYTES + 1)
        except (FileNotFoundError, OSError):
            continue  # missing from the storage: the PDF shows its alt text
        images.append(pdf_engine.Image(src, attachment.content_type, data))
    return images


def base_url() -> str:
    """Where relative addresses point: the site itself, so the PDF's links work."""
    return settings.SITE_URL.rstrip("/") + "/"


def document_pdf(postmortem, user, *, seconds: float | None = None) -> bytes:
    """The PDF of a document for this reader (``postmortem`` loaded with ``with_document()``,
    found through ``visible_to``), made within ``seconds`` (``pdf_engine.SECONDS``); raises a
    ``pdf_engine.PdfError`` with a message for the person."""
    html = document_html(postmortem, user)
    if len(html) > MAX_HTML_CHARS:
        raise TooLarge(
            f"{postmortem.key} is too large to be made into a PDF here "
            f"({len(html) // 1000:,} thousand characters of HTML; the limit is "
            f"{MAX_HTML_CHARS // 1000:,} thousand). Export it as Markdown, or print the page."
        )
    return pdf_engine.render(
        html,
        stylesheet(),
        base_url(),
        images_of(postmortem, html),
        seconds=seconds or pdf_engine.SECONDS,
    )
