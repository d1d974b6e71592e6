"""A reviewer marks two sections, tries to sign without ticking the review criteria (refused,
what was typed kept), ticks them and signs: as a person does it, in the browser."""

import pytest
from playwright.sync_api import expect

from postmortems import workflow
from postmortems.models import Approval, ReviewCriterion, SectionVerdict
from tests.e2e.conftest import sign_in_on
from tests.factories import ready_for_review

pytestmark = pytest.mark.django_db(transaction=True)

CRITERIA = ["The root cause is deep enough", "The impact assessment is complete"]


def test_a_reviewer_marks_sections_and_signs_only_with_every_criterion(
    new_page, author, reviewer, approver, password
):
    # Browser tests flush the database between tests: the criteria are made here.
    ReviewCriterion.objects.all().delete()
    for position, text in enumerate(CRITERIA):
        ReviewCriterion.objects.create(text=text, position=position)
    doc = ready_for_review(
        authors=[author],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
    workflow.submit_for_review(doc, by=author)
    carol = sign_in_on(new_page(), "carol", password)
    carol.goto(f"/postmortems/{doc.key}/")

    # Two verdicts, each saved in place (htmx); the review panel's grid follows.
    impact = carol.locator("#verdicts-impact")
    impact.get_by_role("button", name="Looks good").click()
    expect(carol.locator("#verdicts-impact .verdict")).to_contain_text("Carol White: Looks good")
    expect(carol.locator("#verdicts-impact [role=status]")).to_have_text("Saved")
    timeline = carol.locator("#verdicts-timeline")
    timeline.get_by_label("Your verdict on Timeline").fill("Add the **rollback** at 14:40.")
    timeline.get_by_role("button", name="Needs work").click()
    expect(carol.locator("#verdicts-timeline .verdict-comment strong")).to_have_text("rollback")
    panel = carol.locator("#verdict-panel")
    expect(panel.locator('td[title="Carol White: looks good"]')).to_have_count(1)
    expect(panel.locator('td[title="Carol White: needs work"]')).to_have_count(1)
    assert sorted(SectionVerdict.objects.values_list("section", "verdict")) == [
        ("impact", "good"),
        ("timeline", "needs_work"),
    ]

    # Signing without ticking the criteria: refused, the comment kept, the password not.
    carol.get_by_role("link", name="Sign as Reviewer (SRE Lead)").click()
    carol.get_by_label(CRITERIA[0]).check()
    carol.get_by_label("Password").fill(password)
    carol.get_by_label("Comment").fill("Fine once the rollback is in.")
    carol.get_by_role("button", name="Sign", exact=True).click()
    expect(carol.locator("#sign-criteria-error")).to_contain_text("Nothing was signed")
    expect(carol.locator("#sign-criteria-error")).to_contain_text(CRITERIA[1])
    expect(carol.get_by_label("Comment")).to_have_value("Fine once the rollback is in.")
    expect(carol.get_by_label("Password")).to_have_value("")
    expect(carol.get_by_label(CRITERIA[0])).to_be_checked()
    slot = Approval.objects.get(postmortem=doc, role="Reviewer (SRE Lead)")
    assert not slot.is_signed

    # Every criterion ticked: signed, and the signature shows what was confirmed.
    carol.get_by_label(CRITERIA[1]).check()
    carol.get_by_label("Password").fill(password)
    carol.get_by_role("button", name="Sign", exact=True).click()
    expect(carol.get_by_text("Signed as Reviewer (SRE Lead).")).to_be_visible()
    confirmed = carol.locator("#approvals .confirmed-criteria")
    expect(confirmed).to_contain_text("2 review criteria confirmed")
    confirmed.locator("summary").click()
    expect(confirmed).to_contain_text(CRITERIA[1])
    slot.refresh_from_db()
    assert slot.is_signed
    assert [c["text"] for c in slot.confirmed_criteria] == CRITERIA
