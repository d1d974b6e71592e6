"""The review meeting's forms: when, how long, who leads and who attends it, where; its notes.

Only people who may read the document can be picked (``permissions.readers``): the authors,
responders with an account and approval slots' holders are listed with a checkbox each (and
ticked for a new meeting), anyone else who may read it is in "Others".
"""

import datetime

from django import forms
from django.core import signing

from postmortems import permissions
from postmortems.fields import HttpsURLField
from postmortems.forms.base import DateInput, iso_dates, limit_text, markdown_area, one_line
from postmortems.merge import normalise

UTC = datetime.UTC


class TimeInput(forms.TimeInput):
    """A UTC time typed as the app writes times everywhere: 14:30 (never a browser's 2:30 PM)."""

    def __init__(self, **kwargs):
        attrs = {"placeholder": "e.g. 14:30", "size": 5}
        super().__init__(format="%H:%M", attrs=attrs, **kwargs)


class MeetingForm(forms.Form):
    date = forms.DateField(label="Date (UTC)", widget=DateInput())
    time = forms.TimeField(
        label="Start (UTC)",
        widget=TimeInput(),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Write the time as HH:MM in UTC, e.g. 14:30."},
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=15,
        max_value=480,
        initial=60,
        widget=forms.NumberInput(attrs={"step": 5}),
    )
    facilitator = forms.ModelChoiceField(queryset=None, empty_label=None)
    attendees = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The document's people: its authors, responders and approvers.",
    )
    others = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Others",
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Anyone else who may read the document (Ctrl or ⌘ to pick several).",
    )
    location = forms.CharField(
        max_length=200,
        required=False,
        help_text="Optional: a room.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Room 4.01"}),
    )
    video_url = HttpsURLField(
        label="Video link",
        max_length=500,
        required=False,
        help_text="Optional: an http:// or https:// link.",
        widget=forms.URLInput(attrs={"placeholder": "e.g. https://meet.example.com/pm-review"}),
    )

    def __init__(self, *args, postmortem, user, meeting=None, offered=(), **kwargs):
        readers = permissions.readers(postmortem).order_by("display_name", "username")
        active = meeting if meeting is not None and not meeting.cancelled else None
        current = [a.pk for a in active.attendees.all()] if active else []
        shown = {p.pk for p in offered} | set(current)
        if active:
            kwargs.setdefault("initial", {}).update(
                {
                    "date": active.starts_at.astimezone(UTC).date(),
                    "time": active.starts_at.astimezone(UTC).time(),
                    "duration_minutes": active.duration_minutes,
                    "facilitator": active.facilitator_id,
                    "attendees": [pk for pk in current if pk in shown],
                    "location": active.location,
                    "video_url": active.video_url,
                }
            )
        else:
            kwargs.setdefault("initial", {}).update(
                {"facilitator": user.pk, "attendees": [p.pk for p in offered]}
            )
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = readers
        self.fields["attendees"].queryset = readers.filter(pk__in=shown)
        self.fields["others"].queryset = readers.exclude(pk__in=shown)
        self.fields["attendees"].label_from_instance = _person
        self.fields["others"].label_from_instance = _person
        self.fields["facilitator"].label_from_instance = _person
        one_line(self.fields)
        iso_dates(self.fields)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time") is not None:
            data["starts_at"] = datetime.datetime.combine(
                data["date"], data["time"].replace(second=0, microsecond=0), tzinfo=UTC
            )
        data["invited"] = [*data.get("attendees", []), *data.get("others", [])]
        return data


def _person(user) -> str:
    return f"{user.name} ({user.username})" if user.name != user.username else user.name


class NotesForm(forms.Form):
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=markdown_area(rows=8),
        help_text="Markdown. Shown on the document; not part of what reviewers sign.",
    )
    # The notes as the form showed them, signed: the base of a merge with a save made since.
    base = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(self, *args, meeting, **kwargs):
        self.meeting = meeting
        kwargs.setdefault("initial", {}).update(
            {"notes": meeting.notes, "base": signing.dumps(meeting.notes, salt=self._salt())}
        )
        super().__init__(*args, **kwargs)
        limit_text(self.fields)

    def _salt(self) -> str:
        return f"postmortems.meeting-notes:{self.meeting.pk}"

    def opened_notes(self) -> str | None:
        """The notes the form was opened with, or None if it does not say (or not truly)."""
        try:
            return signing.loads(self.cleaned_data.get("base") or "", salt=self._salt())
        except signing.BadSignature:
            return None

    def clean_notes(self):
        return normalise(self.cleaned_data["notes"]).strip()
