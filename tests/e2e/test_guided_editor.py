"""A person writes a postmortem from scratch in the browser, section by section."""

import pytest
from playwright.sync_api import expect

from postmortems.models import ActionItem, Postmortem, TimelineEvent

pytestmark = pytest.mark.django_db(transaction=True)


def add_event(page, time, description, milestone=None):
    rows = page.locator("#rows")
    rows.get_by_label("Time (UTC)").fill(time)
    if milestone:
        rows.get_by_label("Milestone").select_option(label=milestone)
    rows.get_by_label("Description").fill(description)
    rows.get_by_role("button", name="Add event").click()
    expect(page.locator("#rows table")).to_contain_text(description)


def test_an_author_writes_the_whole_document(page, sign_in, author, coauthor, password):
    sign_in("alice", password)
    page.goto("/postmortems/new/")
    page.get_by_label("Title").fill("API outage: connection pool exhaustion")
    page.get_by_label("Incident date").fill("2026-01-29")
    page.get_by_label("Severity").select_option(label="SEV-2")
    page.get_by_label("Key").fill("INC-2026-0042")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("link", name="Edit", exact=True).click()

    # Overview
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    page.get_by_label("Services").fill("api, postgres")
    page.get_by_label("Executive summary").fill("The API was down for **47 minutes**.")
    page.get_by_role("button", name="Save and next: Impact").click()

    # Impact
    expect(page.get_by_role("heading", name="Impact", level=1)).to_be_visible()
    page.get_by_label("Affected users").fill("1200")
    page.get_by_label("Geographic impact").fill("Global")
    page.get_by_label("SLO", exact=True).fill("API Availability")
    page.get_by_label("SLO target (%)").fill("99.9")
    page.get_by_label("SLO window (days)").fill("28")
    page.get_by_label("Error budget consumed (minutes)").fill("31.2")
    page.get_by_label("Reputation impact").fill("18 user complaints")
    page.get_by_role("button", name="Save and next: Timeline").click()

    # Timeline: rows added in place with htmx, out of order on purpose.
    expect(page.get_by_role("heading", name="Timeline", level=1)).to_be_visible()
    add_event(page, "15:10", "Incident declared resolved", "Resolved")
    add_event(page, "14:23", "Connection pool reaches maximum", "Incident started")
    add_event(page, "14:24", "Alert APIErrorRateHigh fires", "Detected (first alert or report)")
    add_event(page, "14:28", "Alice acknowledges page", "Acknowledged by a human")
    times = page.locator("#rows tbody tr td:first-child").all_inner_texts()
    assert times == ["14:23", "14:24", "14:28", "15:10"]
    expect(page.locator(".figures")).to_contain_text("47 minutes")
    assert TimelineEvent.objects.count() == 4

    # Edit a row in place.
    page.locator("#rows tbody tr", has_text="Alice acknowledges page").get_by_role(
        "link", name="Edit"
    ).click()
    page.locator("#rows tr.editing").get_by_label("Description").fill("Alice acknowledges the page")
    page.get_by_role("button", name="Save event").click()
    expect(page.locator("#rows table")).to_contain_text("Alice acknowledges the page")
    page.get_by_role("link", name="Next: Root Cause").click()

    # Root cause
    page.get_by_label("1. What component failed?").fill("The API's database connection pool.")
    page.get_by_label("2. Why did it fail?").fill("v1.2.3 tripled queries per request.")
    page.get_by_label("3. What was the underlying cause?").fill("No headroom for traffic variance.")
    page.get_by_label("4. Why didn't existing safeguards catch this?").fill(
        "Load tests stopped at 600 RPS."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Root Cause saved.")).to_be_visible()
    page.locator("#rows").get_by_role("textbox", name="Contributing factor").fill(
        "Marketing email was unannounced"
    )
    page.get_by_role("button", name="Add contributing factor").click()
    expect(page.locator("#rows table")).to_contain_text("Marketing email was unannounced")
    page.locator(".section-nav").get_by_role("link", name="Detection").click()

    # Detection
    page.get_by_label("Automated monitoring alert").check()
    page.get_by_label("Detection method").fill("Alert APIErrorRateHigh")
    page.get_by_role("button", name="Save and next: Response").click()

    # Response: a responder without an account, then the text.
    rows = page.locator("#rows")
    rows.get_by_label("Role").fill("Communications Lead")
    rows.get_by_label("…or name").fill("Dave Brown")
    rows.get_by_label("Joined at (UTC)").fill("14:40")
    page.get_by_role("button", name="Add responder").click()
    expect(page.locator("#rows table")).to_contain_text("Dave Brown")
    page.get_by_label("Response actions").fill("1. Increased the pool")
    page.get_by_label("What went well").fill("Alerts fired quickly")
    page.get_by_label("What went poorly").fill("Rollback failed")
    page.get_by_role("button", name="Save and next: Resolution").click()

    # Resolution
    page.get_by_label("How was service restored?").fill("Pool size 100 → 500")
    page.get_by_role("radio", name="Permanent fix", exact=True).check()
    page.get_by_label("Verification").fill("Error rate back to baseline")
    page.get_by_role("button", name="Save and next: Action Items").click()

    # Action items: a mistake first, then fixed; nothing typed is lost.
    rows = page.locator("#rows")
    rows.get_by_role("textbox", name="Action").fill(
        "Lower connection pool alert threshold (95% → 80%)"
    )
    rows.get_by_label("Category").select_option(label="Improve Detection")
    rows.get_by_label("Priority").select_option(label="P0")
    page.get_by_role("button", name="Add action item").click()
    expect(page.locator("#rows")).to_contain_text("Every action item needs an owner")
    expect(page.locator("#rows").get_by_role("textbox", name="Action")).to_have_value(
        "Lower connection pool alert threshold (95% → 80%)"
    )
    page.locator("#rows").get_by_label("Owner", exact=True).select_option(label="Alice Smith")
    page.get_by_role("button", name="Add action item").click()
    expect(page.locator("#rows table")).to_contain_text("Lower connection pool alert threshold")
    assert ActionItem.objects.get().category == "detection"
    page.get_by_role("link", name="Next: Lessons Learned").click()

    # Lessons
    page.locator("#rows").get_by_role("textbox", name="Lesson").fill(
        "Size pools by queries per request"
    )
    page.get_by_role("button", name="Add lesson").click()
    expect(page.locator("#rows table")).to_contain_text("Size pools by queries per request")
    page.get_by_role("link", name="Next: Supporting Information").click()

    # Supporting information: a link that is not http(s) is refused.
    rows = page.locator("#rows")
    rows.get_by_label("Title").fill("Error Rate Graph")
    rows.get_by_role("textbox", name="Link").fill("javascript:alert(1)")
    page.get_by_role("button", name="Add link").click()
    expect(page.locator("#rows")).to_contain_text(
        "Enter a web link that starts with http:// or https://."
    )
    page.locator("#rows").get_by_role("textbox", name="Link").fill(
        "https://grafana.example.com/d/api-errors"
    )
    page.get_by_role("button", name="Add link").click()
    expect(page.locator("#rows table")).to_contain_text("Error Rate Graph")

    # The rendered document.
    page.get_by_role("link", name="View document").click()
    document = page.locator("article.postmortem-document")
    expect(document.locator("#overview strong")).to_have_text("47 minutes")
    expect(document.locator("#detection")).to_contain_text("Time to Detect (TTD): 1 minute")
    expect(document.locator("#detection")).to_contain_text("Time to Acknowledge (TTA): 4 minutes")
    expect(document.locator("#impact")).to_contain_text("Duration: 47 minutes")
    expect(document.locator("#impact")).to_contain_text("77.4% consumed")
    expect(document.locator("#impact")).to_contain_text("40.32 minutes")
    expect(document.locator("#action-items")).to_contain_text(
        "Lower connection pool alert threshold"
    )
    expect(
        document.locator("#supporting a", has_text="https://grafana.example.com/d/api-errors")
    ).to_have_attribute("rel", "noopener noreferrer nofollow")
    postmortem = Postmortem.objects.get(key="INC-2026-0042")
    assert [t.name for t in postmortem.tags.all()] == ["api", "postgres"]
    assert postmortem.status == Postmortem.Status.DRAFT
