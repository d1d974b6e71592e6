"""The blameless-language check in a browser: an author types the issue's sentence into the
editor and sees each phrase flagged beside the text box as they type; saved, the document shows
the findings under the section, counted in the review panel; one is marked intended."""

import pytest
from playwright.sync_api import expect

from postmortems.models import BlamelessWaiver, install_default_rules
from tests.e2e.conftest import sign_in_on
from tests.factories import ready_for_review

pytestmark = pytest.mark.django_db(transaction=True)

DONE_WHEN = "The outage was human error: Bob forgot to run the check and should have known better"
FLAGGED = ["human error", "Bob forgot", "should have known better"]


@pytest.fixture
def draft(author, coauthor, reviewer, approver):
    # A transactional test's database is flushed between tests: the data migration's rules
    # are written again here, as they are in code.
    install_default_rules()
    return ready_for_review(
        authors=[author, coauthor],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )


def test_each_phrase_is_flagged_as_typed_then_on_the_document(new_page, draft, password):
    alice = sign_in_on(new_page(), "alice", password)
    alice.goto(f"/postmortems/{draft.key}/edit/root-cause/")
    box = alice.locator("#wording-id_root_cause_why")
    expect(box.locator(".wording-phrase")).to_have_count(0)

    alice.get_by_label("2. Why did it fail?").fill("")
    alice.get_by_label("2. Why did it fail?").press_sequentially(DONE_WHEN, delay=5)
    expect(box.locator(".wording-phrase")).to_have_text(FLAGGED)
    expect(box).to_contain_text("Ask: why was this error possible?")
    expect(box.locator("mark").first).to_have_text("human error")
    # A system as the subject is not a person's failure.
    alice.get_by_label("3. What was the underlying cause?").fill(
        "The health check should have caught it; the alert failed to fire."
    )
    alice.get_by_label("3. What was the underlying cause?").press("End")
    alice.get_by_label("3. What was the underlying cause?").press_sequentially(" ")
    alice.wait_for_timeout(1200)
    expect(alice.locator("#wording-id_root_cause_underlying .wording-phrase")).to_have_count(0)

    alice.get_by_role("button", name="Save", exact=True).click()
    expect(alice.get_by_text("Root Cause saved.")).to_be_visible()
    expect(box.locator(".wording-phrase")).to_have_text(FLAGGED)

    alice.goto(f"/postmortems/{draft.key}/")
    section = alice.locator("#wording-root-cause")
    expect(section.locator(".wording-phrase")).to_have_text(FLAGGED)
    expect(alice.locator(".wording-summary")).to_contain_text(
        "Blameless wording: 3 findings (Root Cause 3)"
    )

    # Bob is the name of the customer's chatbot: marked intended, with the reason.
    finding = section.locator(".wording-finding").nth(1)
    expect(finding.locator(".wording-phrase")).to_have_text("Bob forgot")
    finding.locator("summary").click()
    finding.get_by_label("Why is this wording intended?").fill("Bob is the customer's chatbot")
    finding.get_by_role("button", name="Mark intended").click()
    expect(alice.locator("#wording-root-cause")).to_contain_text(
        "marked intended: Bob is the customer's chatbot"
    )
    expect(alice.locator(".wording-summary")).to_contain_text("2 findings (Root Cause 2)")
    assert BlamelessWaiver.objects.get().phrase == "Bob forgot"


def test_a_reader_who_is_not_a_reviewer_sees_no_findings(new_page, draft, outsider, password):
    type(draft).objects.filter(pk=draft.pk).update(root_cause_why=DONE_WHEN)
    mallory = sign_in_on(new_page(), "mallory", password)
    mallory.goto(f"/postmortems/{draft.key}/")
    expect(mallory.get_by_role("heading", name="Root Cause")).to_be_visible()
    expect(mallory.locator(".wording-finding")).to_have_count(0)
