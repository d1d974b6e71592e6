"""Restoring a section from the history page, in Chromium; the page paged and readable at
390 px wide (no sideways scroll), with screenshots to look at."""

import datetime

import pytest
from playwright.sync_api import expect

from postmortems import workflow
from postmortems.activity import log_action
from postmortems.models import Activity, TimelineEvent
from tests.e2e.conftest import sign_in_on
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.date(2026, 2, 1)


def at(hour, minute):
    return datetime.datetime.combine(DAY, datetime.time(hour, minute), tzinfo=datetime.UTC)


@pytest.fixture
def draft():
    alice = UserFactory(username="alice", display_name="Alice Smith")
    alice.set_password(PASSWORD)
    alice.save()
    pm = workflow.create_draft(
        by=alice, title="Checkout errors", incident_date=DAY, severity="sev2", key="INC-2026-0400"
    )
    # Version 2: the timeline as it should be.
    for minute, text in ((23, "Errors start"), (24, "Alert fires"), (28, "Alice acknowledges")):
        TimelineEvent.objects.create(postmortem=pm, occurred_at=at(14, minute), description=text)
    log_action(
        pm, alice, Activity.Verb.EDITED, section="timeline", detail="added 3 timeline events"
    )
    # Then a mistaken edit, and many more saves: the history has pages.
    TimelineEvent.objects.filter(postmortem=pm).delete()
    TimelineEvent.objects.create(postmortem=pm, occurred_at=at(9, 0), description="Wrong paste")
    log_action(pm, alice, Activity.Verb.EDITED, section="timeline", detail="removed 3, added 1")
    for n in range(22):
        log_action(
            pm, alice, Activity.Verb.EDITED, section="impact", detail=f"saved the section {n}"
        )
    return pm


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_section_is_restored_from_the_history_page(new_page, draft):
    page = sign_in_on(new_page(), "alice", PASSWORD)
    page.goto(f"/postmortems/{draft.key}/history/")
    expect(page.get_by_text("Page 1 of 2 (1–20 of 25 versions)")).to_be_visible()
    page.screenshot(path="/tmp/history-page-1280.png", full_page=True)

    # The older version is on the second page: go there, compare it with the latest (the
    # version chosen on the first page stays chosen).
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    page.get_by_label("Compare from version 2").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Version 2 → version 25")).to_be_visible()
    page.get_by_role("button", name="Restore Timeline from version 2").click()

    expect(page.get_by_text("Timeline is restored as it was in version 2")).to_be_visible()
    expect(page.get_by_role("heading", name="Version 2 → version 26")).to_be_visible()
    assert [e.description for e in TimelineEvent.objects.filter(postmortem=draft)] == [
        "Errors start",
        "Alert fires",
        "Alice acknowledges",
    ]
    expect(
        page.locator(".versions-table").get_by_text("restored Timeline from version 2")
    ).to_be_visible()
    page.screenshot(path="/tmp/history-restored-1280.png", full_page=True)

    # The document's log says it in words.
    page.goto(f"/postmortems/{draft.key}/")
    expect(
        page.locator("#activity").get_by_text("restored Timeline from version 2")
    ).to_be_visible()


def test_the_history_page_fits_a_phone(new_page, draft):
    page = sign_in_on(new_page(), "alice", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/postmortems/{draft.key}/history/?a=2&b=25")
    expect(page.get_by_role("button", name="Restore Timeline from version 2")).to_be_visible()
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/history-page-390.png", full_page=True)
    page.goto(f"/postmortems/{draft.key}/history/?page=2")
    assert no_sideways_scroll(page)
