"""The review meeting: who schedules it, the invite (.ics, parsed back with icalendar), its
updates and cancellation by email, restricted documents, its notes, where it shows."""

import datetime
import email

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from postmortems import invites, notifications, permissions, workflow
from postmortems.content import document_hash
from postmortems.models import Activity, Postmortem, Responder, ReviewMeeting
from postmortems.workflow import meetings
from tests.factories import UserFactory

UTC = datetime.UTC
SOON = (timezone.now() + datetime.timedelta(days=3)).replace(
    hour=14, minute=0, second=0, microsecond=0
)


def login(client, user):
    client.force_login(user)
    return client


def schedule(doc, by, *, attendees, when=SOON, minutes=60, facilitator=None, **extra):
    return meetings.schedule_meeting(
        doc,
        by=by,
        starts_at=when,
        duration_minutes=minutes,
        facilitator=facilitator or by,
        attendees=attendees,
        **extra,
    )


def form_data(facilitator, attendees=(), others=(), when=SOON, minutes=60, **extra):
    return {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M"),
        "duration_minutes": str(minutes),
        "facilitator": str(facilitator.pk),
        "attendees": [str(p.pk) for p in attendees],
        "others": [str(p.pk) for p in others],
        **extra,
    }


def parsed(ics: bytes):
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def attendee_addresses(event) -> set[str]:
    found = event.get("attendee", [])
    found = found if isinstance(found, list) else [found]
    return {str(a).removeprefix("mailto:") for a in found}


def calendar_part(message):
    """The text/calendar alternative of a sent mail, as the mail client reads it."""
    parsed_mail = email.message_from_bytes(message.message().as_bytes())
    parts = [p for p in parsed_mail.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def attached_ics(message) -> bytes:
    (found,) = [a for a in message.attachments if a[0] == "invite.ics"]
    return found[1]


@pytest.fixture
def emailed(django_capture_on_commit_callbacks):
    """Run the block and deliver its mails, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- who schedules -------------------------------------------------------------------------------


class TestWhoSchedules:
    def test_an_author_schedules_through_the_page(
        self, client, doc, author, coauthor, reviewer, approver, emailed
    ):
        login(client, author)
        page = client.get(f"/postmortems/{doc.key}/meeting/")
        assert page.status_code == 200
        # The defaults offered: the authors and the slots' holders, all ticked.
        assert set(page.context["form"].initial["attendees"]) == {
            author.pk,
            coauthor.pk,
            reviewer.pk,
            approver.pk,
        }
        with emailed():
            response = client.post(
                f"/postmortems/{doc.key}/meeting/",
                form_data(
                    author,
                    [author, coauthor, reviewer, approver],
                    location="Room 4.01",
                    video_url="https://meet.example.com/review",
                ),
            )
        assert response.status_code == 302
        assert response["Location"] == f"/postmortems/{doc.key}/#review-meeting"
        meeting = ReviewMeeting.objects.get(postmortem=doc)
        assert meeting.starts_at == SOON
        assert meeting.duration_minutes == 60
        assert meeting.location == "Room 4.01"
        assert meeting.sequence == 0 and not meeting.cancelled
        assert {a.pk for a in meeting.attendees.all()} == {
            author.pk,
            coauthor.pk,
            reviewer.pk,
            approver.pk,
        }
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            p.email for p in (author, coauthor, reviewer, approver)
        )
        assert Activity.objects.filter(
            postmortem=doc, verb=Activity.Verb.MEETING_SCHEDULED, actor=author
        ).exists()

    @pytest.mark.parametrize("who", ["reviewer", "approver", "outsider"])
    def test_nobody_else_schedules(self, client, doc, author, request, who):
        login(client, request.getfixturevalue(who))
        page = client.get(f"/postmortems/{doc.key}/meeting/")
        assert page.status_code == 200  # they may read the document, so they see the meeting
        assert page.context["form"] is None
        response = client.post(f"/postmortems/{doc.key}/meeting/", form_data(author, [author]))
        assert response.status_code == 403
        assert not ReviewMeeting.objects.filter(postmortem=doc).exists()
        with pytest.raises(workflow.TransitionError, match="Only the authors"):
            schedule(doc, request.getfixturevalue(who), attendees=[author])

    def test_an_administrator_may(self, doc, admin_user, author):
        assert schedule(doc, admin_user, attendees=[author]).change == "scheduled"

    def test_a_restricted_document_s_meeting_does_not_exist_for_an_outsider(
        self, client, doc, author, outsider
    ):
        Postmortem.objects.filter(pk=doc.pk).update(restricted=True)
        schedule(doc, author, attendees=[author])
        login(client, outsider)
        for path in ("meeting/", "meeting.ics"):
            assert client.get(f"/postmortems/{doc.key}/{path}").status_code == 404
        assert client.post(f"/postmortems/{doc.key}/meeting/cancel/").status_code == 404
        assert ReviewMeeting.objects.get(postmortem=doc).cancelled is False

    def test_a_time_that_has_passed_is_refused(self, client, doc, author):
        login(client, author)
        past = timezone.now() - datetime.timedelta(days=1)
        response = client.post(f"/postmortems/{doc.key}/meeting/", form_data(author, when=past))
        assert response.status_code == 200
        assert "That time has passed" in response.content.decode()
        assert not ReviewMeeting.objects.filter(postmortem=doc).exists()

    def test_a_video_link_must_be_a_web_link(self, client, doc, author):
        login(client, author)
        for bad in ("javascript:alert(1)", "ftp://files.example.com/x"):
            response = client.post(
                f"/postmortems/{doc.key}/meeting/", form_data(author, video_url=bad)
            )
            assert response.status_code == 200
            assert response.context["form"].errors["video_url"]
        assert not ReviewMeeting.objects.filter(postmortem=doc).exists()


# --- the invite ----------------------------------------------------------------------------------


class TestTheInvite:
    def test_the_ics_reads_back_with_every_field(self, client, doc, author, reviewer):
        meeting = schedule(
            doc,
            author,
            attendees=[reviewer],
            minutes=45,
            location="Room 4.01",
            video_url="https://meet.example.com/review",
        ).meeting
        response = login(client, reviewer).get(f"/postmortems/{doc.key}/meeting.ics")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (f'attachment; filename="{doc.key}-review.ics"')
        assert response["Cache-Control"] == "private, no-store"
        calendar, event = parsed(response.content)
        assert str(calendar["method"]) == "REQUEST"
        assert str(calendar["version"]) == "2.0"
        assert str(event["uid"]) == meeting.uid
        assert event["sequence"] == 0
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start == SOON and start.utcoffset() == datetime.timedelta(0)
        assert end - start == datetime.timedelta(minutes=45)
        assert event["dtstart"].to_ical() == SOON.strftime("%Y%m%dT%H%M%SZ").encode()
        assert event.decoded("dtstamp").tzinfo is not None
        assert str(event["summary"]) == f"Postmortem review: {doc.key} {doc.title}"
        assert f"{settings.SITE_URL}/postmortems/{doc.key}/" in str(event["description"])
        assert str(event["url"]) == f"{settings.SITE_URL}/postmortems/{doc.key}/"
        assert "Room 4.01" in str(event["location"])
        assert "https://meet.example.com/review" in str(event["location"])
        assert str(event["organizer"]) == f"mailto:{author.email}"
        assert str(event["organizer"].params["CN"]) == author.name
        assert attendee_addresses(event) == {author.email, reviewer.email}
        chairs = [a for a in event["attendee"] if a.params.get("ROLE") == "CHAIR"]
        assert [str(a) for a in chairs] == [f"mailto:{author.email}"]

    def test_every_attendee_is_mailed_the_invite_as_an_alternative_and_attached(
        self, doc, author, reviewer, emailed
    ):
        with emailed():
            meeting = schedule(doc, author, attendees=[reviewer]).meeting
        message = next(m for m in mail.outbox if m.to == [reviewer.email])
        assert message.subject == (f"[{doc.key}] Review meeting: {SOON:%Y-%m-%d %H:%M} UTC, 60 min")
        part = calendar_part(message)
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        _, event = parsed(part.get_payload(decode=True))
        assert str(event["uid"]) == meeting.uid
        calendar, attached = parsed(attached_ics(message))
        assert str(calendar["method"]) == "REQUEST" and str(attached["uid"]) == meeting.uid
        assert f"/postmortems/{doc.key}/" in message.body

    def test_a_new_time_sends_an_update_of_the_same_entry(self, doc, author, reviewer, emailed):
        first = schedule(doc, author, attendees=[reviewer]).meeting
        later = SOON + datetime.timedelta(days=1, hours=2)
        mail.outbox.clear()
        with emailed():
            done = schedule(doc, author, attendees=[reviewer], when=later)
        assert done.change == "moved"
        assert done.meeting.uid == first.uid and done.meeting.sequence == 1
        assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, reviewer.email])
        message = next(m for m in mail.outbox if m.to == [reviewer.email])
        assert "moved" in message.subject
        calendar, event = parsed(calendar_part(message).get_payload(decode=True))
        assert str(calendar["method"]) == "REQUEST"
        assert str(event["uid"]) == first.uid
        assert event["sequence"] == 1
        assert event.decoded("dtstart") == later
        assert Activity.objects.filter(postmortem=doc, verb=Activity.Verb.MEETING_CHANGED).exists()

    @pytest.mark.parametrize(
        "change",
        [
            {"minutes": 90},
            {"location": "Room 5"},
            {"video_url": "https://meet.example.com/other"},
        ],
        ids=["duration", "location", "video"],
    )
    def test_a_new_length_or_place_is_an_update_too(self, doc, author, reviewer, change):
        schedule(doc, author, attendees=[reviewer])
        assert schedule(doc, author, attendees=[reviewer], **change).meeting.sequence == 1

    def test_the_same_form_saved_again_changes_nothing(self, doc, author, reviewer, emailed):
        schedule(doc, author, attendees=[reviewer])
        mail.outbox.clear()
        with emailed():
            done = schedule(doc, author, attendees=[reviewer])
        assert done.change == "unchanged" and done.meeting.sequence == 0
        assert mail.outbox == []

    def test_who_is_added_gets_the_invite_and_who_is_taken_off_a_cancellation(
        self, doc, author, reviewer, approver, emailed
    ):
        meeting = schedule(doc, author, attendees=[reviewer]).meeting
        mail.outbox.clear()
        with emailed():
            done = schedule(doc, author, attendees=[approver])
        assert done.change == "attendees" and done.meeting.sequence == 0
        assert sorted(m.to[0] for m in mail.outbox) == sorted([approver.email, reviewer.email])
        added = next(m for m in mail.outbox if m.to == [approver.email])
        calendar, event = parsed(calendar_part(added).get_payload(decode=True))
        assert str(calendar["method"]) == "REQUEST" and str(event["uid"]) == meeting.uid
        assert attendee_addresses(event) == {author.email, approver.email}
        removed = next(m for m in mail.outbox if m.to == [reviewer.email])
        assert calendar_part(removed).get_param("method") == "CANCEL"
        calendar, event = parsed(calendar_part(removed).get_payload(decode=True))
        assert str(calendar["method"]) == "CANCEL"
        assert attendee_addresses(event) == {reviewer.email}

    def test_cancelling_sends_method_cancel_to_everyone(
        self, client, doc, author, reviewer, emailed
    ):
        meeting = schedule(doc, author, attendees=[reviewer]).meeting
        mail.outbox.clear()
        login(client, author)
        with emailed():
            response = client.post(f"/postmortems/{doc.key}/meeting/cancel/")
        assert response.status_code == 302
        meeting.refresh_from_db()
        assert meeting.cancelled and meeting.sequence == 1
        assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, reviewer.email])
        for message in mail.outbox:
            assert "cancelled" in message.subject
            part = calendar_part(message)
            assert part.get_param("method") == "CANCEL"
            calendar, event = parsed(part.get_payload(decode=True))
            assert str(calendar["method"]) == "CANCEL"
            assert str(event["status"]) == "CANCELLED"
            assert str(event["uid"]) == meeting.uid and event["sequence"] == 1
        # The file says so too: importing it takes the meeting out of a calendar.
        calendar, _ = parsed(client.get(f"/postmortems/{doc.key}/meeting.ics").content)
        assert str(calendar["method"]) == "CANCEL"
        # Cancelled twice: refused, nothing sent.
        mail.outbox.clear()
        with pytest.raises(workflow.TransitionError, match="no review meeting"):
            meetings.cancel_meeting(doc, by=author)

    def test_scheduled_again_after_a_cancellation_it_is_a_new_entry(self, doc, author, reviewer):
        first = schedule(doc, author, attendees=[reviewer]).meeting
        meetings.cancel_meeting(doc, by=author)
        again = schedule(doc, author, attendees=[reviewer])
        assert again.change == "scheduled"
        assert again.meeting.uid != first.uid and again.meeting.sequence == 0
        assert ReviewMeeting.objects.filter(postmortem=doc).count() == 1

    def test_a_line_break_in_a_title_or_name_injects_nothing(self, doc, author, reviewer, emailed):
        Postmortem.objects.filter(pk=doc.pk).update(
            title="Outage\r\nATTENDEE:mailto:evil@example.com\r\nBcc: evil@example.com"
        )
        author.display_name = 'Alice\r\nORGANIZER:mailto:evil@example.com "x"; y'
        author.save()
        doc.refresh_from_db()
        with emailed():
            meeting = schedule(doc, author, attendees=[reviewer]).meeting
        ics = invites.calendar(meeting)
        assert b"\r\nATTENDEE:mailto:evil" not in ics
        assert b"\r\nORGANIZER:mailto:evil" not in ics
        for line in ics.split(b"\r\n"):
            assert b"\n" not in line and b"\r" not in line
        _, event = parsed(ics)
        assert attendee_addresses(event) == {author.email, reviewer.email}
        assert str(event["organizer"]) == f"mailto:{author.email}"
        assert "\n" not in str(event["summary"])
        assert str(event["summary"]).startswith(f"Postmortem review: {doc.key} Outage ATTENDEE")
        for message in mail.outbox:
            assert "\n" not in message.subject and "\r" not in message.subject
            headers = email.message_from_bytes(message.message().as_bytes())
            assert headers["Bcc"] is None
            assert headers["To"] in (author.email, reviewer.email)

    def test_an_address_that_is_not_one_is_left_out(self, doc, author, reviewer, emailed):
        reviewer.email = "carol@example.org\r\nATTENDEE:mailto:evil@example.com"
        reviewer.save()
        with emailed():
            meeting = schedule(doc, author, attendees=[reviewer]).meeting
        _, event = parsed(invites.calendar(meeting))
        assert attendee_addresses(event) == {author.email}
        assert [m.to for m in mail.outbox] == [[author.email]]

    def test_a_replay_mails_nobody(self, doc, author, reviewer, emailed):
        with emailed(), notifications.muted():
            schedule(doc, author, attendees=[reviewer])
        assert mail.outbox == []

    def test_the_meeting_is_not_signed_content(self, doc, author, reviewer):
        before = document_hash(Postmortem.objects.with_document().get(pk=doc.pk))
        schedule(doc, author, attendees=[reviewer])
        meetings.save_notes(doc, by=author, notes="Agreed on the fix.", base="")
        after = document_hash(Postmortem.objects.with_document().get(pk=doc.pk))
        assert after == before


# --- restricted documents ------------------------------------------------------------------------


@pytest.fixture
def restricted(doc):
    Postmortem.objects.filter(pk=doc.pk).update(restricted=True)
    doc.refresh_from_db()
    return doc


class TestRestricted:
    def test_only_its_readers_are_offered(self, client, restricted, author, reviewer, outsider):
        page = login(client, author).get(f"/postmortems/{restricted.key}/meeting/")
        form = page.context["form"]
        offered = {*form.fields["attendees"].queryset, *form.fields["others"].queryset}
        assert reviewer in offered and outsider not in offered
        assert outsider not in form.fields["facilitator"].queryset
        response = client.post(
            f"/postmortems/{restricted.key}/meeting/", form_data(author, others=[outsider])
        )
        assert response.status_code == 200 and response.context["form"].errors["others"]
        response = client.post(f"/postmortems/{restricted.key}/meeting/", form_data(outsider))
        assert response.context["form"].errors["facilitator"]
        assert not ReviewMeeting.objects.filter(postmortem=restricted).exists()

    def test_the_workflow_refuses_an_outsider_too(self, restricted, author, outsider):
        with pytest.raises(workflow.TransitionError, match="may not read"):
            schedule(restricted, author, attendees=[outsider])
        with pytest.raises(workflow.TransitionError, match="may not read"):
            schedule(restricted, author, attendees=[], facilitator=outsider)
        assert mail.outbox == []

    def test_someone_who_lost_access_is_never_mailed(self, client, restricted, author, emailed):
        guest = UserFactory(username="gina", display_name="Gina Guest")
        restricted.viewers.add(guest)
        meeting = schedule(restricted, author, attendees=[author, guest]).meeting
        restricted.viewers.remove(guest)
        # Still on the list, no longer named in the invite.
        assert attendee_addresses(parsed(invites.calendar(meeting))[1]) == {author.email}
        ics = login(client, author).get(f"/postmortems/{restricted.key}/meeting.ics").content
        assert guest.email.encode() not in ics
        # The form no longer offers them: saved again, they are taken off, and not told.
        page = client.get(f"/postmortems/{restricted.key}/meeting/")
        assert guest not in page.context["form"].fields["attendees"].queryset
        mail.outbox.clear()
        later = SOON + datetime.timedelta(hours=3)
        with emailed():
            response = client.post(
                f"/postmortems/{restricted.key}/meeting/", form_data(author, [author], when=later)
            )
        assert response.status_code == 302
        assert [m.to for m in mail.outbox] == [[author.email]]
        # Nor is a cancellation sent to them.
        restricted.viewers.add(guest)
        schedule(restricted, author, attendees=[author], when=later + datetime.timedelta(hours=1))
        schedule(restricted, author, attendees=[author, guest], when=later)
        restricted.viewers.remove(guest)
        mail.outbox.clear()
        with emailed():
            meetings.cancel_meeting(restricted, by=author)
        assert [m.to for m in mail.outbox] == [[author.email]]

    def test_readers_are_exactly_who_may_read_it(self, restricted, author, reviewer, outsider):
        responder = UserFactory(username="rita")
        viewer = UserFactory(username="vera")
        admin = UserFactory(username="ada", is_superuser=True)
        Responder.objects.create(postmortem=restricted, role="On-call", user=responder)
        restricted.viewers.add(viewer)
        people = [author, reviewer, outsider, responder, viewer, admin]
        for pm in (restricted, Postmortem.objects.exclude(pk=restricted.pk).first() or restricted):
            readers = set(permissions.readers(pm))
            for person in people:
                may = Postmortem.objects.visible_to(person).filter(pk=pm.pk).exists()
                assert (person in readers) == may, person.username
        Postmortem.objects.filter(pk=restricted.pk).update(restricted=False)
        restricted.refresh_from_db()
        assert set(permissions.readers(restricted)) >= set(people)


# --- the notes -----------------------------------------------------------------------------------


class TestNotes:
    def test_authors_write_notes_shown_as_markdown_on_the_document(
        self, client, doc, author, reviewer
    ):
        schedule(doc, author, attendees=[reviewer])
        login(client, author)
        page = client.get(f"/postmortems/{doc.key}/meeting/")
        base = page.context["notes_form"].initial["base"]
        response = client.post(
            f"/postmortems/{doc.key}/meeting/notes/",
            {"notes": "**Agreed**: raise the pool.\n\n<script>alert(1)</script>", "base": base},
        )
        assert response.status_code == 302
        body = login(client, reviewer).get(f"/postmortems/{doc.key}/").content.decode()
        assert "<strong>Agreed</strong>: raise the pool." in body
        assert "<script>alert(1)" not in body
        assert Activity.objects.filter(postmortem=doc, verb=Activity.Verb.MEETING_NOTES).exists()

    def test_only_authors_write_them(self, client, doc, author, reviewer):
        schedule(doc, author, attendees=[reviewer])
        response = login(client, reviewer).post(
            f"/postmortems/{doc.key}/meeting/notes/", {"notes": "Mine now", "base": ""}
        )
        assert response.status_code == 403
        assert ReviewMeeting.objects.get(postmortem=doc).notes == ""

    def test_two_saves_merge_and_the_same_lines_are_kept_both(self, client, doc, author, coauthor):
        schedule(doc, author, attendees=[coauthor])
        meetings.save_notes(doc, by=author, notes="One\nTwo\nThree", base="")
        login(client, coauthor)
        opened = client.get(f"/postmortems/{doc.key}/meeting/").context["notes_form"]
        base = opened.initial["base"]
        meetings.save_notes(doc, by=author, notes="One!\nTwo\nThree", base="One\nTwo\nThree")
        # Different lines: merged.
        response = client.post(
            f"/postmortems/{doc.key}/meeting/notes/", {"notes": "One\nTwo\nThree?", "base": base}
        )
        assert response.status_code == 302
        assert ReviewMeeting.objects.get(postmortem=doc).notes == "One!\nTwo\nThree?"
        # The same line: nothing saved, both kept in the box.
        response = client.post(
            f"/postmortems/{doc.key}/meeting/notes/", {"notes": "One\nTwo\nThree.", "base": base}
        )
        assert response.status_code == 200
        assert ReviewMeeting.objects.get(postmortem=doc).notes == "One!\nTwo\nThree?"
        kept = response.context["notes_form"]["notes"].value()
        assert "Three?" in kept and "Three." in kept
        assert "changed the same lines" in response.content.decode()

    def test_a_forged_base_merges_nothing_away(self, doc, author, coauthor):
        schedule(doc, author, attendees=[coauthor])
        meetings.save_notes(doc, by=author, notes="Decided: roll back", base="")
        with pytest.raises(meetings.NotesConflict):
            meetings.save_notes(doc, by=coauthor, notes="Something else", base=None)
        assert ReviewMeeting.objects.get(postmortem=doc).notes == "Decided: roll back"


# --- where it shows ------------------------------------------------------------------------------


class TestWhereItShows:
    def test_on_the_document(self, client, doc, author, reviewer, outsider):
        schedule(doc, author, attendees=[reviewer], location="Room 4.01")
        body = login(client, outsider).get(f"/postmortems/{doc.key}/").content.decode()
        assert 'id="review-meeting"' in body
        assert f"{SOON:%Y-%m-%d %H:%M}" in body and "Room 4.01" in body
        assert f"/postmortems/{doc.key}/meeting.ics" in body
        assert "Reschedule or cancel" not in body  # not theirs to change
        body = login(client, author).get(f"/postmortems/{doc.key}/").content.decode()
        assert "Reschedule or cancel" in body

    def test_a_document_without_one_says_so(self, client, doc, author, reviewer):
        body = login(client, reviewer).get(f"/postmortems/{doc.key}/").content.decode()
        assert "No review meeting is scheduled." in body
        assert "Schedule the review meeting" not in body
        assert login(client, reviewer).get(f"/postmortems/{doc.key}/meeting.ics").status_code == 404
        body = login(client, author).get(f"/postmortems/{doc.key}/").content.decode()
        assert "Schedule the review meeting" in body

    def test_on_the_review_page(self, client, doc, author, reviewer):
        workflow.submit_for_review(doc, by=author)
        schedule(doc, author, attendees=[reviewer])
        response = login(client, reviewer).get("/review/")
        (waiting,) = response.context["waiting"]
        assert waiting.meeting is not None and waiting.meeting.starts_at == SOON
        body = response.content.decode()
        assert f"{SOON:%Y-%m-%d %H:%M} UTC" in body
        # The author sees it beside their document under review.
        response = login(client, author).get("/review/")
        assert [p.meeting.starts_at for p in response.context["in_review_mine"]] == [SOON]

    def test_a_cancelled_meeting_is_not_on_the_review_page(self, client, doc, author, reviewer):
        workflow.submit_for_review(doc, by=author)
        schedule(doc, author, attendees=[reviewer])
        meetings.cancel_meeting(doc, by=author)
        (waiting,) = login(client, reviewer).get("/review/").context["waiting"]
        assert waiting.meeting is None


def test_the_admin_shows_meetings_but_changes_none(client, doc, author, reviewer, admin_user):
    meeting = schedule(doc, author, attendees=[reviewer]).meeting
    login(client, admin_user)
    listing = client.get("/admin/postmortems/reviewmeeting/")
    assert listing.status_code == 200 and doc.key in listing.content.decode()
    assert client.get("/admin/postmortems/reviewmeeting/add/").status_code == 403
    page = client.get(f"/admin/postmortems/reviewmeeting/{meeting.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(f"/admin/postmortems/reviewmeeting/{meeting.pk}/delete/").status_code == 403
