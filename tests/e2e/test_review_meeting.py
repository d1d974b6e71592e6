"""The review meeting, as people do it: the author schedules it, downloads the invite and
moves it; the reviewer finds it on /review/ and on the document."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from postmortems import workflow
from postmortems.models import ReviewMeeting
from tests.e2e.conftest import sign_in_on
from tests.factories import ready_for_review

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_author_schedules_and_moves_the_review_meeting(
    new_page, author, coauthor, reviewer, password
):
    doc = ready_for_review(
        authors=[author, coauthor],
        slots=[("Author", author, True), ("Reviewer (SRE Lead)", reviewer, False)],
    )
    workflow.submit_for_review(doc, by=author)
    mail.outbox.clear()  # the review request
    day = (timezone.now() + datetime.timedelta(days=5)).date()
    alice = sign_in_on(new_page(), "alice", password)

    # From the document's card to the meeting page: everyone the document names is ticked.
    alice.goto(f"/postmortems/{doc.key}/")
    card = alice.locator("#review-meeting")
    expect(card).to_contain_text("No review meeting is scheduled.")
    card.get_by_role("link", name="Schedule the review meeting").click()
    for name in ("Alice Smith", "Bob Jones", "Carol White"):
        expect(alice.get_by_label(name, exact=False).first).to_be_checked()
    alice.get_by_label("Date (UTC)").fill(day.isoformat())
    alice.get_by_label("Start (UTC)").fill("14:30")
    alice.get_by_label("Duration (minutes)").fill("45")
    alice.get_by_label("Location").fill("Room 4.01")
    alice.get_by_label("Video link").fill("https://meet.example.com/pm-review")
    alice.get_by_role("button", name="Schedule and send the invites").click()
    expect(alice.get_by_text("Review meeting scheduled")).to_be_visible()
    card = alice.locator("#review-meeting")
    expect(card).to_contain_text(f"{day:%Y-%m-%d} 14:30")
    expect(card).to_contain_text("Room 4.01")
    meeting = ReviewMeeting.objects.get(postmortem=doc)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in (author, coauthor, reviewer)
    )

    # The invite downloads, and a calendar reads it.
    with alice.expect_download() as download:
        card.get_by_role("link", name="Add to calendar (.ics)").click()
    assert download.value.suggested_filename == f"{doc.key}-review.ics"
    with open(download.value.path(), "rb") as ics:
        event = Calendar.from_ical(ics.read()).walk("VEVENT")[0]
    assert str(event["uid"]) == meeting.uid and event["sequence"] == 0
    assert event.decoded("dtstart") == datetime.datetime.combine(
        day, datetime.time(14, 30), tzinfo=datetime.UTC
    )

    # Moved an hour later: an update of the same entry.
    mail.outbox.clear()
    card.get_by_role("link", name="Reschedule or cancel").click()
    expect(alice.get_by_label("Start (UTC)")).to_have_value("14:30")
    alice.get_by_label("Start (UTC)").fill("15:30")
    alice.get_by_role("button", name="Save and send the update").click()
    expect(alice.get_by_text("Review meeting changed")).to_be_visible()
    expect(alice.locator("#review-meeting")).to_contain_text(f"{day:%Y-%m-%d} 15:30")
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert all("moved" in m.subject for m in mail.outbox) and len(mail.outbox) == 3

    # The notes, in Markdown, on the document.
    alice.locator("#review-meeting").get_by_role("link", name="Write the meeting notes").click()
    alice.get_by_role("textbox", name="Notes").fill("**Agreed**: raise the pool size first.")
    alice.get_by_role("button", name="Save the notes").click()
    expect(alice.locator("#review-meeting strong", has_text="Agreed")).to_be_visible()

    # The reviewer finds it on /review/ and on the document, without the author's buttons.
    carol = sign_in_on(new_page(), "carol", password)
    carol.goto("/review/")
    item = carol.locator(f"#waiting-{doc.key}")
    expect(item).to_contain_text(f"{day:%Y-%m-%d} 15:30 UTC")
    expect(item).to_contain_text("Submitted today")
    expect(item).to_contain_text("0 open threads")
    item.get_by_role("link", name=doc.title).click()
    expect(carol.locator("#review-meeting")).to_contain_text("Room 4.01")
    expect(carol.locator("#review-meeting")).not_to_contain_text("Reschedule or cancel")
