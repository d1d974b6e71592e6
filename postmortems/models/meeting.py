"""The review meeting of a document: when, how long, who leads it, who attends, where, and
its notes.

One meeting per document: rescheduling edits it, and a cancelled one scheduled again gets a
new iCalendar UID (the old one was cancelled in everyone's calendar). It is review metadata,
like comments: never part of the signed content, so scheduling it or writing its notes never
makes a signature stale. ``uid`` and ``sequence`` are what calendars match updates by: the UID
never changes while the meeting lives, the sequence grows with every change of its time,
length, place or facilitator, and with its cancellation (postmortems.workflow.meetings).
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.models.document import Postmortem
from postmortems.values import http_url_validator


def new_uid() -> str:
    """A UID no other calendar entry has (RFC 5545 3.8.4.7): random, with the app's name."""
    return f"{uuid.uuid4()}@postmortems"


class ReviewMeeting(models.Model):
    """The postmortem review: one per document, in UTC, with its invite's UID and sequence."""

    postmortem = models.OneToOneField(
        Postmortem, on_delete=models.CASCADE, related_name="review_meeting"
    )
    # Always UTC, as every time of the app; shown and typed in UTC.
    starts_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="review_meetings"
    )
    location = models.CharField(max_length=200, blank=True, help_text="e.g. Room 4.01.")
    video_url = models.URLField(
        "video link", max_length=500, blank=True, validators=[http_url_validator]
    )
    # Markdown, rendered through the one sanitizer like every text a person types.
    notes = models.TextField(blank=True)
    notes_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # iCalendar: the same UID for every update of this meeting, a higher SEQUENCE each time.
    uid = models.CharField(max_length=100, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancelled = models.BooleanField(default=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        state = " (cancelled)" if self.cancelled else ""
        return f"Review of {self.postmortem.key} at {self.starts_at:%Y-%m-%d %H:%M} UTC{state}"

    @property
    def ends_at(self):
        return self.starts_at + datetime.timedelta(minutes=self.duration_minutes)

    @property
    def video_link(self) -> str:
        """The video link to put in an ``href``: http or https only, whatever got stored."""
        url = self.video_url.strip()
        return url if url.lower().startswith(("https://", "http://")) else ""

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()
