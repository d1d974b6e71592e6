"""The review meeting: scheduling it, moving it, cancelling it, writing its notes. Each is one
function that locks the document, asks ``permissions.can_schedule_review``, writes its log
entry in the same transaction and sends its invites after commit.

One meeting per document: scheduling again edits it. Who is invited must be able to read the
document (``permissions.readers``), and every mail goes only to those who can when it is sent.
Invites: the whole list gets METHOD:REQUEST when the meeting is scheduled, and again, with a
higher SEQUENCE, when its time, length, place or facilitator changes; someone added later
gets the invite as it stands; someone taken off the list, and everyone when it is cancelled,
gets METHOD:CANCEL.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from postmortems import invites, notifications, permissions
from postmortems.activity import log_action
from postmortems.merge import merge_text, normalise
from postmortems.models import Activity, Postmortem, ReviewMeeting
from postmortems.models.meeting import new_uid
from postmortems.values import single_line
from postmortems.workflow.errors import TransitionError

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
# What changes the invite itself: calendars then take the update (SEQUENCE + 1).
SIGNIFICANT = ("starts_at", "duration_minutes", "location", "video_url", "facilitator_id")


@dataclass
class Scheduled:
    """What ``schedule_meeting`` did: "scheduled", "moved" (time, place or facilitator),
    "attendees" (only who is invited) or "unchanged"; who was added and taken off."""

    meeting: ReviewMeeting
    change: str
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)


class NotesConflict(TransitionError):
    """Someone changed the same lines of the notes meanwhile: nothing was saved. ``both``
    keeps their lines and then the ones typed, so saving it as it is loses no word."""

    def __init__(self, message: str, *, both: str, theirs: str):
        super().__init__(message)
        self.both = both
        self.theirs = theirs


def offered_attendees(postmortem) -> list:
    """Who a new meeting invites unless changed: the authors, the responders with an account
    and the approval slots' holders (each of them may read the document)."""
    people = {}
    for person in postmortem.authors.all():
        people.setdefault(person.pk, person)
    for responder in postmortem.responders.select_related("user"):
        if responder.user is not None and responder.user.is_active:
            people.setdefault(responder.user.pk, responder.user)
    for approval in postmortem.approvals.select_related("assignee"):
        if approval.assignee is not None and approval.assignee.is_active:
            people.setdefault(approval.assignee.pk, approval.assignee)
    return sorted(people.values(), key=lambda u: (u.name.lower(), u.pk))


def meeting_of(postmortem) -> ReviewMeeting | None:
    """The document's meeting (cancelled or not), with who it names, or None."""
    return (
        ReviewMeeting.objects.select_related("facilitator", "notes_updated_by", "postmortem")
        .prefetch_related("attendees")
        .filter(postmortem=postmortem)
        .first()
    )


def _lock(postmortem, by) -> Postmortem:
    pm = (
        Postmortem.objects.select_for_update()
        .prefetch_related("authors", "approvals")
        .get(pk=postmortem.pk)
    )
    if not permissions.can_schedule_review(by, pm):
        raise TransitionError("Only the authors of the document schedule its review meeting.")
    return pm


def _when(meeting) -> str:
    return f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC, {meeting.duration_minutes} min"


def _refuse_outsiders(pm, facilitator, attendees) -> None:
    wanted = {facilitator.pk: facilitator, **{a.pk: a for a in attendees}}
    allowed = set(permissions.readers(pm).filter(pk__in=list(wanted)).values_list("pk", flat=True))
    refused = [person.name for pk, person in wanted.items() if pk not in allowed]
    if refused:
        raise TransitionError(
            f"{', '.join(sorted(refused))} may not read {pm.key}: only people who may read it "
            "can be invited to its review."
        )


@transaction.atomic
def schedule_meeting(
    postmortem,
    *,
    by,
    starts_at: datetime.datetime,
    duration_minutes: int,
    facilitator,
    attendees,
    location: str = "",
    video_url: str = "",
    now=None,
) -> Scheduled:
    """Schedule the review meeting, or change it (one per document); invites follow."""
    now = now or timezone.now()
    pm = _lock(postmortem, by)
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise TransitionError(
            f"A review meeting lasts {MIN_MINUTES} to {MAX_MINUTES} minutes, not "
            f"{duration_minutes}."
        )
    attendees = list(attendees)
    _refuse_outsiders(pm, facilitator, attendees)
    values = {
        "starts_at": starts_at.astimezone(datetime.UTC),
        "duration_minutes": duration_minutes,
        "location": single_line(location or ""),
        "video_url": (video_url or "").strip(),
        "facilitator_id": facilitator.pk,
    }
    meeting = ReviewMeeting.objects.select_for_update().filter(postmortem=pm).first()
    fresh = meeting is None or meeting.cancelled
    moved = fresh or any(getattr(meeting, name) != value for name, value in values.items())
    if moved and values["starts_at"] < now:
        raise TransitionError("That time has passed: pick a time to come (UTC).")
    before = set() if fresh else set(meeting.attendees.values_list("pk", flat=True))
    if meeting is None:
        meeting = ReviewMeeting(postmortem=pm, created_by=by, created_at=now)
    elif meeting.cancelled:
        # Cancelled in everyone's calendar: scheduled again, it is a new calendar entry.
        meeting.uid, meeting.sequence, meeting.cancelled = new_uid(), 0, False
        meeting.created_by, meeting.created_at = by, now
    elif moved:
        meeting.sequence += 1
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.postmortem = pm
    wanted = {a.pk: a for a in attendees}
    added = [a for pk, a in wanted.items() if pk not in before]
    removed_ids = before - set(wanted)
    if not moved and not added and not removed_ids:
        return Scheduled(meeting, "unchanged")
    meeting.updated_at = now
    meeting.save()
    removed = list(meeting.attendees.filter(pk__in=removed_ids))
    meeting.attendees.set(list(wanted))
    meeting = meeting_of(pm)
    change = "scheduled" if fresh else "moved" if moved else "attendees"
    log_action(
        pm,
        by,
        Activity.Verb.MEETING_SCHEDULED if fresh else Activity.Verb.MEETING_CHANGED,
        detail=_detail(meeting, change, added, removed),
        at=now,
    )
    _send_invites(meeting, change, added, removed, by=by, now=now)
    return Scheduled(meeting, change, added, removed)


def _detail(meeting, change, added, removed) -> str:
    parts = [] if change == "attendees" else [_when(meeting)]
    if change != "scheduled" and added:
        parts.append("invited " + ", ".join(single_line(p.name) for p in added))
    if removed:
        parts.append("took off " + ", ".join(single_line(p.name) for p in removed))
    return "; ".join(parts)[:300]


def _send_invites(meeting, change, added, removed, *, by, now) -> None:
    invited = invites.invited(meeting)
    context = {"meeting": meeting, "postmortem": meeting.postmortem, "by": by}
    key = meeting.postmortem.key
    if change in ("scheduled", "moved"):
        subject = "Review meeting" if change == "scheduled" else "Review meeting moved"
        _mail(meeting, invited, f"[{key}] {subject}: {_when(meeting)}", context, now=now)
    else:
        added_ids = {p.pk for p in added}
        _mail(
            meeting,
            [p for p in invited if p.pk in added_ids],
            f"[{key}] Review meeting: {_when(meeting)}",
            context,
            now=now,
        )
    if removed:
        # Only those who may still read the document are told it no longer concerns them.
        readers = set(
            permissions.readers(meeting.postmortem)
            .filter(pk__in=[p.pk for p in removed])
            .values_list("pk", flat=True)
        )
        _mail(
            meeting,
            [p for p in removed if p.pk in readers],
            f"[{key}] You were taken off the review meeting",
            context,
            method=invites.CANCEL,
            now=now,
        )


def _mail(meeting, people, subject, context, *, method=invites.REQUEST, now) -> None:
    # Only a stored address that is one: a line break in it must not reach a mail header.
    people = [p for p in people if invites.mail_address(p)]
    if not people:
        return
    notifications.calendar_invite(
        subject,
        "postmortems/email/meeting_cancelled.txt"
        if method == invites.CANCEL
        else "postmortems/email/meeting_invite.txt",
        people,
        {**context, "attendees": invites.invited(meeting)},
        ics=invites.calendar(meeting, method=method, people=people, now=now)
        if method == invites.CANCEL
        else invites.calendar(meeting, method=method, now=now),
        method=method,
    )


@transaction.atomic
def cancel_meeting(postmortem, *, by, now=None) -> ReviewMeeting:
    """Cancel the review meeting: everyone invited gets METHOD:CANCEL (SEQUENCE + 1)."""
    now = now or timezone.now()
    pm = _lock(postmortem, by)
    meeting = ReviewMeeting.objects.select_for_update().filter(postmortem=pm).first()
    if meeting is None or meeting.cancelled:
        raise TransitionError(f"{pm.key} has no review meeting to cancel.")
    meeting.cancelled = True
    meeting.sequence += 1
    meeting.updated_at = now
    meeting.save(update_fields=["cancelled", "sequence", "updated_at"])
    meeting = meeting_of(pm)
    log_action(pm, by, Activity.Verb.MEETING_CANCELLED, detail=_when(meeting), at=now)
    _mail(
        meeting,
        invites.invited(meeting),
        f"[{pm.key}] Review meeting cancelled: {_when(meeting)}",
        {"meeting": meeting, "postmortem": pm, "by": by},
        method=invites.CANCEL,
        now=now,
    )
    return meeting


@transaction.atomic
def save_notes(postmortem, *, by, notes: str, base: str | None, now=None) -> str:
    """Save the meeting's notes (Markdown). ``base`` is the text the form was opened with: a
    save after someone else's merges line by line (merge3), and is refused only where both
    changed the same lines (``NotesConflict``; with no base known, wherever both wrote).
    Returns "" or the name of the person whose change was merged in."""
    now = now or timezone.now()
    pm = _lock(postmortem, by)
    meeting = (
        ReviewMeeting.objects.select_for_update(of=("self",))
        .select_related("notes_updated_by")
        .filter(postmortem=pm)
        .first()
    )
    if meeting is None:
        raise TransitionError(f"{pm.key} has no review meeting: schedule it first.")
    notes, theirs = normalise(notes).strip(), normalise(meeting.notes).strip()
    base = normalise(base or "").strip()
    merged_with = ""
    if theirs != base and theirs != notes:
        who = meeting.notes_updated_by.name if meeting.notes_updated_by else "someone"
        text, clean = merge_text(base, notes, theirs)
        if not clean:
            raise NotesConflict(
                f"{who} changed the same lines of the notes meanwhile: nothing was saved. "
                "The box holds both versions (theirs first): keep what should stay and save.",
                both=text,
                theirs=theirs,
            )
        notes, merged_with = text, who
    if notes == theirs:
        return merged_with
    meeting.notes = notes
    meeting.notes_updated_at, meeting.notes_updated_by = now, by
    meeting.save(update_fields=["notes", "notes_updated_at", "notes_updated_by"])
    log_action(pm, by, Activity.Verb.MEETING_NOTES, at=now)
    return merged_with
