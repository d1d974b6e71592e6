"""The history diff and the print view, in Chromium, with screenshots to look at."""

import pytest
from playwright.sync_api import expect

from postmortems.demo import seed_demo
from tests.e2e.conftest import sign_in_on
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice_page(new_page):
    people = seed_demo()
    people["alice"].set_password(PASSWORD)
    people["alice"].save()
    return sign_in_on(new_page(), "alice", PASSWORD)


def test_an_import_then_an_edit_shows_a_readable_diff(alice_page):
    page = alice_page
    # Import the demo document under a new key, through the page.
    page.goto("/postmortems/INCIDENT-12345/")
    markdown = page.evaluate(
        "async () => (await fetch('/postmortems/INCIDENT-12345/export.md')).text()"
    )
    page.goto("/postmortems/import/")
    page.get_by_label("Paste the Markdown").fill(markdown)
    page.get_by_label("Key").fill("INC-2026-0042")
    page.get_by_role("button", name="Import as Draft").click()
    expect(page.get_by_text("INC-2026-0042 was imported as a Draft")).to_be_visible()

    # Edit one section, then compare.
    page.goto("/postmortems/INC-2026-0042/edit/impact/")
    page.get_by_label("Geographic impact").fill("Europe and US-East <b>only</b>")
    page.get_by_role("button", name="Save").first.click()
    page.goto("/postmortems/INC-2026-0042/history/")
    expect(page.get_by_role("heading", name="Version 2 → version 3")).to_be_visible()
    expect(page.locator(".diff-ins .diff-text").first).to_have_text(
        "- **Geographic Impact**: Europe and US-East <b>only</b>"
    )
    expect(page.locator(".diff-del .diff-text").first).to_contain_text("Global impact")
    assert page.locator(".diff-text b").count() == 0  # typed HTML stays text
    page.screenshot(path="/tmp/history-diff.png", full_page=True)


def test_the_print_view_is_a_clean_document(alice_page):
    page = alice_page
    page.goto("/postmortems/INCIDENT-12345/?print=1")
    expect(page.locator(".print-hint")).to_be_visible()
    page.screenshot(path="/tmp/print-preview-screen.png", full_page=False)
    page.emulate_media(media="print")
    for hidden in ("nav.navbar", "aside", "#activity", ".print-hint", ".doc-actions"):
        assert not page.locator(hidden).first.is_visible(), hidden
    expect(page.get_by_role("heading", name="Timeline (all times UTC)")).to_be_visible()
    page.screenshot(path="/tmp/print-view.png", full_page=True)
    for name in ("timeline", "action-items", "approvals"):
        box = page.locator(f"#{name}").bounding_box()
        page.screenshot(
            path=f"/tmp/print-view-{name}.png",
            full_page=True,
            clip={
                "x": 0,
                "y": box["y"] - 40,
                "width": 1280,
                "height": min(box["height"] + 80, 1100),
            },
        )
    pdf = page.pdf(path="/tmp/print-view.pdf", format="A4")
    assert pdf[:4] == b"%PDF"
