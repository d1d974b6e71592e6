"""An author attaches a graph on the Supporting step and shows it inline in a text."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from postmortems.models import Attachment, Postmortem
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def graph_png() -> bytes:
    image = Image.new("RGB", (320, 160), "white")
    for x in range(320):  # a rising line, so that the picture is not blank
        image.putpixel((x, 150 - x * 140 // 320), (13, 110, 253))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_author_attaches_a_graph_and_shows_it_in_the_text(page, sign_in, author, password):
    doc = PostmortemFactory(key="INC-2026-0042", title="API outage", authors=[author])
    sign_in("alice", password)
    page.goto(f"/postmortems/{doc.key}/edit/supporting/")

    panel = page.locator("#attachments")
    panel.get_by_label("Attach a file").set_input_files(
        files=[{"name": "Latency graph.png", "mimeType": "image/png", "buffer": graph_png()}]
    )
    panel.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Latency-graph.png was attached.")).to_be_visible()
    attachment = Attachment.objects.get(postmortem=doc)
    expect(panel.get_by_label("Markdown")).to_have_value(
        f"![Latency graph]({attachment.get_absolute_url()})"
    )

    # Into the References text, where the cursor was, then saved with the section.
    references = page.get_by_label("References")
    references.fill("Latency during the incident:")
    panel.get_by_role("button", name="Insert in text").click()
    expect(references).to_have_value(
        f"Latency during the incident:\n![Latency graph]({attachment.get_absolute_url()})\n"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Supporting Information saved.")).to_be_visible()
    assert "![Latency graph]" in Postmortem.objects.get(pk=doc.pk).references

    page.goto(doc.get_absolute_url())
    inline = page.locator("#supporting .markdown img[alt='Latency graph']")
    inline.scroll_into_view_if_needed()
    expect(inline).to_be_visible()
    # Loaded through the attachment view, under the page's Content-Security-Policy.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=inline.element_handle()
    )
    assert inline.evaluate("img => img.naturalWidth") == 320
    listed = page.locator("#supporting .attachment-list")
    expect(listed.get_by_role("link", name="Latency-graph.png")).to_be_visible()
