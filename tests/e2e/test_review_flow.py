"""Submit, comment, request changes, fix, sign by everyone, Final: as the people do it."""

import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem
from tests.e2e.conftest import sign_in_on
from tests.factories import ready_for_review

pytestmark = pytest.mark.django_db(transaction=True)


def sign(page, key, role, password):
    page.goto(f"/postmortems/{key}/")
    page.get_by_role("link", name=f"Sign as {role}").click()
    # A reviewer or approver confirms every review criterion first (an author has none).
    for box in page.locator("#sign-criteria input[type=checkbox]").all():
        box.check()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign", exact=True).click()


def test_a_document_goes_from_draft_to_final(new_page, author, reviewer, approver, password):
    doc = ready_for_review(
        authors=[author],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
    key = doc.key
    alice = sign_in_on(new_page(), "alice", password)
    carol = sign_in_on(new_page(), "carol", password)
    victor = sign_in_on(new_page(), "victor", password)

    # The author submits.
    alice.goto(f"/postmortems/{key}/")
    expect(alice.locator("#workflow")).to_contain_text("Every required section is complete")
    alice.get_by_role("button", name="Submit for review").click()
    expect(alice.get_by_text("is Under Review")).to_be_visible()

    # The reviewer finds it on the review page, comments on a section and requests changes.
    carol.goto("/review/")
    carol.get_by_role("link", name=doc.title).click()
    impact_comments = carol.locator("#comments-impact")
    impact_comments.locator("summary").click()
    impact_comments.get_by_label("New comment on this section").fill(
        "Which **window** is the SLO over?"
    )
    impact_comments.get_by_role("button", name="Comment").click()
    expect(carol.locator("#comments-impact")).to_contain_text("1 unresolved")
    expect(carol.locator("#comments-impact strong", has_text="window")).to_be_visible()
    carol.locator("#workflow summary", has_text="Request changes").click()
    carol.get_by_label("What should change?").fill("Say which window the SLO is measured over.")
    carol.get_by_role("button", name="Send back to Draft").click()
    expect(carol.get_by_text("Changes requested")).to_be_visible()

    # The author sees why, fixes the section, resolves the thread and submits again.
    alice.goto(f"/postmortems/{key}/")
    expect(alice.locator("#activity")).to_contain_text("Say which window the SLO is measured over.")
    alice.locator("#impact").get_by_role("link", name="Edit").click()
    alice.get_by_label("SLO window (days)").fill("30")
    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.get_by_text("Impact saved.")).to_be_visible()
    alice.goto(f"/postmortems/{key}/")
    alice.locator("#comments-impact").get_by_role("button", name="Resolve").click()
    expect(alice.locator("#comments-impact")).to_contain_text("resolved by Alice Smith")
    alice.get_by_role("button", name="Submit for review").click()
    expect(alice.get_by_text("is Under Review")).to_be_visible()

    # Everyone signs; the last signature makes it Final.
    sign(alice, key, "Author", password)
    expect(alice.get_by_text("Signed as Author.")).to_be_visible()
    sign(carol, key, "Reviewer (SRE Lead)", password)
    expect(carol.locator("#approvals")).to_contain_text("Signed")
    sign(victor, key, "Approver (VP Eng)", password)
    expect(victor.get_by_text(f"{key} is Final")).to_be_visible()

    # The author's view: Final, signed, and no edit buttons left.
    alice.goto(f"/postmortems/{key}/")
    expect(alice.locator(".doc-meta .status-badge")).to_have_text("Final")
    expect(alice.locator("#approvals tbody")).to_contain_text("Victor Chen")
    assert alice.locator("#approvals .signature.signed").count() == 3
    expect(alice.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(alice.locator(".section-heading a", has_text="Edit")).to_have_count(0)
    alice.goto(f"/postmortems/{key}/edit/impact/")
    expect(alice.get_by_text("only a Draft can be edited")).to_be_visible()
    assert Postmortem.objects.get(key=key).status == Postmortem.Status.FINAL
