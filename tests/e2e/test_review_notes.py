"""A reviewer sends a document back with a reason; the author finds the reason on every step
of the editor, and the reviewer's thread beside the section it is about."""

import re

import pytest
from playwright.sync_api import expect

from postmortems import workflow
from tests.e2e.conftest import sign_in_on
from tests.factories import ready_for_review

pytestmark = pytest.mark.django_db(transaction=True)


def boxes(page):
    """The editor card's and the open-threads panel's boxes, measured together (the page may
    still be scrolling to the anchor)."""
    return page.evaluate(
        """() => ['.editor-card', '#open-threads'].map(selector => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return {top: box.top, bottom: box.bottom, left: box.left, right: box.right};
        })"""
    )


def test_the_author_sees_why_and_where(new_page, author, reviewer, approver, password):
    doc = ready_for_review(
        authors=[author],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
    workflow.submit_for_review(doc, by=author)
    key = doc.key

    # The reviewer asks a question on the timeline, then sends the document back.
    carol = sign_in_on(new_page(), "carol", password)
    carol.goto(f"/postmortems/{key}/")
    timeline_comments = carol.locator("#comments-timeline")
    timeline_comments.locator("summary").click()
    timeline_comments.get_by_label("New comment on this section").fill(
        "When was the **rollback** started?"
    )
    timeline_comments.get_by_role("button", name="Comment").click()
    expect(carol.locator("#comments-timeline")).to_contain_text("1 unresolved")
    carol.locator("#workflow summary", has_text="Request changes").click()
    carol.get_by_label("What should change?").fill(
        "The timeline misses the *rollback*; see my comment."
    )
    carol.get_by_role("button", name="Send back to Draft").click()
    expect(carol.get_by_text("Changes requested")).to_be_visible()

    # The author opens the editor: the reason is at the top of the step…
    alice = sign_in_on(new_page(), "alice", password)
    alice.goto(f"/postmortems/{key}/edit/overview/")
    banner = alice.locator("#review-banner")
    expect(banner).to_contain_text("Changes requested by Carol White")
    expect(banner.locator("em", has_text="rollback")).to_be_visible()
    expect(banner).to_contain_text("1 open thread: Timeline (1)")
    # …the overview has no thread of its own beside it…
    expect(alice.locator("#open-threads")).to_have_count(0)

    # …and the banner's link leads to the timeline step, its thread beside the form.
    banner.get_by_role("link", name="Timeline").click()
    expect(alice).to_have_url(re.compile(rf"/postmortems/{key}/edit/timeline/#open-threads$"))
    expect(alice.locator("#review-banner")).to_contain_text("Changes requested by Carol White")
    threads = alice.locator("#open-threads")
    expect(threads).to_be_visible()
    expect(threads).to_contain_text("Carol White")
    expect(threads.locator("strong", has_text="rollback")).to_be_visible()
    # At 1280 px the timeline's table needs the width: the panel is under the editor card…
    card, panel = boxes(alice)
    assert panel["top"] >= card["bottom"]
    # …and beside it on a wider screen.
    alice.set_viewport_size({"width": 1440, "height": 900})
    alice.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    card, panel = boxes(alice)
    assert panel["left"] >= card["right"] and panel["top"] < card["bottom"]
    # The thread's link opens it on the document.
    threads.get_by_role("link", name="Open this thread on the document").click()
    expect(alice.locator("#comments-timeline")).to_contain_text("When was the rollback started?")
