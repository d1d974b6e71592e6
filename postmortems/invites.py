"""The review meeting's invite: an iCalendar file (RFC 5545, with the methods of RFC 5546),
written by the maintained ``icalendar`` library, which escapes and folds every value.

METHOD:REQUEST for a new meeting and every update (the same UID, a higher SEQUENCE when the
time, length, place or facilitator changed), METHOD:CANCEL when it is cancelled, or for one
person taken off the list. Every time is UTC. Only people who may read the document now are
named in it or sent it (``invited``): access can change after someone was invited.
"""

import datetime
import re
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from postmortems import permissions
from postmortems.values import single_line

PRODID = "-//Postmortems//Review meeting//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def mail_address(user) -> str | None:
    """The person's email address if it is one (a stored value is never trusted into a
    calendar line or a mail header as it is)."""
    address = (getattr(user, "email", "") or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def invited(meeting) -> list:
    """The facilitator, then the attendees by name: those who may read the document now."""
    people = {meeting.facilitator.pk: meeting.facilitator}
    for person in sorted(meeting.attendees.all(), key=lambda u: (u.name.lower(), u.pk)):
        people.setdefault(person.pk, person)
    allowed = set(
        permissions.readers(meeting.postmortem)
        .filter(pk__in=list(people))
        .values_list("pk", flat=True)
    )
    return [person for pk, person in people.items() if pk in allowed]


def summary(meeting) -> str:
    pm = meeting.postmortem
    return single_line(f"Postmortem review: {pm.key} {pm.title}")


def document_url(postmortem) -> str:
    return f"{settings.SITE_URL}{postmortem.get_absolute_url()}"


def place(meeting) -> str:
    """Where: the room, the video link, or both."""
    return " · ".join(p for p in (single_line(meeting.location), meeting.video_url) if p)


def _address(user, **params) -> vCalAddress | None:
    address = mail_address(user)
    if address is None:
        return None
    cal_address = vCalAddress(f"mailto:{address}")
    cal_address.params["cn"] = vText(single_line(user.name))
    for name, value in params.items():
        cal_address.params[name] = value
    return cal_address


def _organizer(meeting) -> vCalAddress:
    """The facilitator; without a usable address of their own, the app's sender, in their
    name (METHOD:REQUEST needs an ORGANIZER)."""
    organizer = _address(meeting.facilitator)
    if organizer is None:
        organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
        organizer.params["cn"] = vText(single_line(meeting.facilitator.name))
    return organizer


def description(meeting) -> str:
    pm = meeting.postmortem
    lines = [
        f"Review of the postmortem {pm.key}: {single_line(pm.title)}",
        f"Read it before the meeting: {document_url(pm)}",
    ]
    if meeting.location:
        lines.append(f"Where: {single_line(meeting.location)}")
    if meeting.video_url:
        lines.append(f"Video link: {meeting.video_url}")
    lines.append(f"Facilitator: {single_line(meeting.facilitator.name)}")
    return "\n".join(lines)


def calendar(meeting, *, method=REQUEST, people=None, now=None) -> bytes:
    """The .ics of the meeting: ``people`` are its ATTENDEEs (by default ``invited``)."""
    people = invited(meeting) if people is None else people
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(datetime.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(datetime.UTC))
    event.add("dtend", meeting.ends_at.astimezone(datetime.UTC))
    event.add("summary", summary(meeting))
    event.add("description", description(meeting))
    event.add("url", document_url(meeting.postmortem))
    if where := place(meeting):
        event.add("location", where)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("organizer", _organizer(meeting))
    for person in people:
        attendee = _address(
            person,
            role="CHAIR" if person.pk == meeting.facilitator_id else "REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp="TRUE",
        )
        if attendee is not None:
            event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    return cal.to_ical()


def filename(meeting) -> str:
    """``INC-2026-0042-review.ics`` (a key is capitals, digits and hyphens: kept so)."""
    return re.sub(r"[^A-Za-z0-9-]", "", meeting.postmortem.key) + "-review.ics"
