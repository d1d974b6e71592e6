"""Two people edit one section in two browsers: every word of both survives."""

import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem
from tests.e2e.conftest import sign_in_on
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doc(author, coauthor):
    return PostmortemFactory(
        key="INC-2026-0042",
        authors=[author, coauthor],
        resolution_summary="Raised the pool.",
        fix_type="permanent",
        resolution_details="Raised the pool to 500.",
        verification="Watched the error rate.",
    )


def open_resolution(page, doc):
    page.goto(f"/postmortems/{doc.key}/edit/resolution/")
    expect(page.get_by_role("heading", name="Resolution", level=1)).to_be_visible()


def test_two_people_keep_every_word_of_both(new_page, doc, author, coauthor, password):
    alice = sign_in_on(new_page(), "alice", password)
    bob = sign_in_on(new_page(), "bob", password)
    open_resolution(alice, doc)
    open_resolution(bob, doc)

    # Different fields of one section: both saves go through, merged.
    alice.get_by_label("How was service restored?").fill("Raised the pool to 500 and restarted.")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.locator(".alert-success")).to_contain_text("Resolution saved")
    bob.get_by_label("Verification").fill("Ran the load test at 2x peak.")
    bob.get_by_role("button", name="Save", exact=True).click()
    expect(bob.locator(".alert-success")).to_contain_text("merged with what Alice Smith saved")
    doc.refresh_from_db()
    assert doc.resolution_summary == "Raised the pool to 500 and restarted."
    assert doc.verification == "Ran the load test at 2x peak."

    # The same field, at once: both open it, both type, both save.
    open_resolution(alice, doc)
    open_resolution(bob, doc)
    alice.get_by_label("Verification").fill("Alice watched the dashboards for an hour.")
    bob.get_by_label("Verification").fill("Bob replayed yesterday's traffic.")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.locator(".alert-success")).to_be_visible()
    bob.get_by_role("button", name="Save", exact=True).click()
    conflict = bob.locator("#conflict")
    expect(conflict).to_contain_text("Alice Smith saved this section")
    expect(conflict.locator("#theirs-verification")).to_have_text(
        "Alice watched the dashboards for an hour."
    )
    expect(conflict.locator("#mine-verification")).to_have_text("Bob replayed yesterday's traffic.")
    # One click takes either version; the box is editable; Bob keeps both, in his words.
    bob.get_by_role("button", name="Use my version").click()
    expect(bob.get_by_label("Verification")).to_have_value("Bob replayed yesterday's traffic.")
    bob.get_by_role("button", name="Use their version").click()
    expect(bob.get_by_label("Verification")).to_have_value(
        "Alice watched the dashboards for an hour."
    )
    bob.get_by_label("Verification").fill(
        "Alice watched the dashboards for an hour.\nBob replayed yesterday's traffic."
    )
    bob.get_by_role("button", name="Save", exact=True).click()
    expect(bob.locator(".alert-success")).to_contain_text("Resolution saved")

    doc = Postmortem.objects.get(pk=doc.pk)
    for word in ("Alice", "watched", "dashboards", "hour", "Bob", "replayed", "traffic"):
        assert word in doc.verification
    assert doc.resolution_summary == "Raised the pool to 500 and restarted."


def test_leaving_with_unsaved_text_asks_first(page, sign_in, doc, password):
    sign_in("alice", password)
    open_resolution(page, doc)
    page.get_by_label("Verification").fill("Half a thought")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator("#section-nav").get_by_role("link", name="Action Items").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    # Staying keeps the text where it was.
    assert page.url.endswith("/edit/resolution/")
    expect(page.get_by_label("Verification")).to_have_value("Half a thought")


def test_unsaved_text_is_offered_back_after_a_reload(page, sign_in, doc, password):
    sign_in("alice", password)
    open_resolution(page, doc)
    page.get_by_label("Verification").fill("Typed before the tab crashed")
    page.wait_for_timeout(600)  # kept in this browser a moment after typing
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.get_by_label("Verification")).to_have_value("Watched the error rate.")
    offer = page.locator("#draft-restore")
    expect(offer).to_contain_text("You have unsaved text in this section")
    offer.get_by_role("button", name="Restore it").click()
    expect(page.get_by_label("Verification")).to_have_value("Typed before the tab crashed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    # Saved: nothing is offered any more.
    page.reload()
    expect(page.locator("#draft-restore")).to_be_hidden()
    doc.refresh_from_db()
    assert doc.verification == "Typed before the tab crashed"


def test_a_comment_over_the_limit_stays_in_its_box(page, sign_in, doc, password):
    sign_in("alice", password)
    page.goto(doc.get_absolute_url())
    comments = page.locator("#comments-timeline")
    comments.locator("summary").click()
    box = comments.get_by_label("New comment on this section")
    text = "x" * 10_050
    box.fill(text)
    expect(comments).to_contain_text("50 too many")
    comments.get_by_role("button", name="Comment").click()
    expect(page.locator(".alert-danger, .alert-error").first).to_contain_text("kept in its box")
    expect(page.locator("#comment-new-timeline")).to_have_value(text)


def test_restoring_kept_text_keeps_what_others_saved_meanwhile(
    new_page, author, coauthor, password
):
    """The kept text comes back with the version it was typed on: saving it merges with what
    was saved since (Bob's new title, Carol taken off the authors) instead of putting the
    whole form back as it was when the tab crashed."""
    carol = UserFactory(username="carol", display_name="Carol White")
    doc = PostmortemFactory(
        key="INC-2026-0043", title="API outage", authors=[author, coauthor, carol]
    )
    alice = sign_in_on(new_page(), "alice", password)
    bob = sign_in_on(new_page(), "bob", password)
    alice.goto(f"/postmortems/{doc.key}/edit/overview/")
    alice.get_by_label("Executive summary").fill("Typed before the tab crashed")
    alice.wait_for_timeout(600)  # kept in this browser a moment after typing

    # Meanwhile Bob renames the document and takes Carol off the authors.
    bob.goto(f"/postmortems/{doc.key}/edit/overview/")
    bob.get_by_label("Title").fill("API outage: connection pool exhausted")
    bob.get_by_label("Carol White").uncheck()
    bob.get_by_role("button", name="Save", exact=True).click()
    expect(bob.locator(".alert-success")).to_be_visible()
    assert set(Postmortem.objects.get(pk=doc.pk).authors.all()) == {author, coauthor}

    alice.on("dialog", lambda dialog: dialog.accept())
    alice.reload()
    alice.locator("#draft-restore").get_by_role("button", name="Restore it").click()
    expect(alice.get_by_label("Executive summary")).to_have_value("Typed before the tab crashed")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.locator(".alert-success")).to_be_visible()

    doc = Postmortem.objects.get(pk=doc.pk)
    assert doc.executive_summary == "Typed before the tab crashed"
    assert doc.title == "API outage: connection pool exhausted"
    assert set(doc.authors.all()) == {author, coauthor}  # Carol is not put back
