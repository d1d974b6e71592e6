"""Timeline: every event in UTC, the milestones among them giving the computed figures."""

from django import forms
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import (
    encode_cell,
    format_time,
    parse_date,
    parse_time,
    section_heading,
    table,
)
from postmortems.fields import UTCDateTimeField
from postmortems.forms.base import RowForm
from postmortems.metrics import Milestone
from postmortems.sections.base import DocumentRow, Rows, Section, milestone


class TimelineEvent(DocumentRow):
    Milestone = Milestone

    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="timeline"
    )
    occurred_at = models.DateTimeField("time (UTC)")
    description = models.TextField(max_length=2000)
    milestone = models.CharField(max_length=16, choices=Milestone, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["postmortem", "occurred_at"])]

    def __str__(self):
        return f"{self.occurred_at:%H:%M} {self.description[:60]}"


class TimelineEventForm(RowForm):
    occurred_at = UTCDateTimeField(label="Time (UTC)")

    class Meta:
        model = TimelineEvent
        fields = ["occurred_at", "milestone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "milestone": "Mark the moments that give the figures: started, detected, acknowledged…"
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].base_date = (
            self.postmortem.incident_date if self.postmortem else None
        )
        self.fields["milestone"].choices = [("", "—"), *Milestone.choices]


# --- the template's Markdown -------------------------------------------------------------------

MILESTONES = {
    **{value: value for value, _ in Milestone.choices},
    **{label.lower(): value for value, label in Milestone.choices},
}


def write(c, ctx) -> list[str]:
    day = parse_date(c.get("incident_date"))
    rows = [
        [
            encode_cell(format_time(e["occurred_at"], day)),
            encode_cell(e["description"]),
            e["milestone"] or "",
        ]
        for e in c.get("timeline", [])
    ]
    return [
        *section_heading("Timeline (all times UTC)"),
        *table(["Time", "Event", "Milestone"], rows),
    ]


def read(parsed, block) -> None:
    lines = block.lines + [line for sub in block.subs for line in sub.lines]
    for sub in block.subs:
        parsed.problem(sub.line, f"### {sub.title}", "unknown heading in the Timeline")
    rows, leftovers = blocks.table(
        parsed, lines, {2: "Time | Event", 3: "Time | Event | Milestone"}, "timeline"
    )
    for number, text, cells in rows:
        moment = parse_time(cells[0], parsed.incident_date)
        mark = cells[2].strip().lower() if len(cells) == 3 else ""
        if moment is None:
            parsed.problem(
                number, text, "the time is not like 14:23 or 2026-01-30 00:15 — row not imported"
            )
            continue
        if not cells[1]:
            parsed.problem(number, text, "the event is empty — row not imported")
            continue
        if mark and mark not in MILESTONES:
            parsed.problem(
                number, text, f"“{cells[2]}” is not a milestone; the event was imported without it"
            )
            mark = ""
        values = {
            "occurred_at": moment,
            "description": cells[1],
            "milestone": MILESTONES.get(mark, ""),
        }
        parsed.row("timeline", number, text, values)
    blocks.leftovers(parsed, leftovers, "not a row of the timeline table")


SECTION = Section(
    "timeline",
    "Timeline",
    "Every event in UTC, from what led to the incident to its close. Mark the milestones "
    "(started, detected, acknowledged, mitigated, resolved): the figures come from them.",
    rows=Rows(
        TimelineEvent,
        TimelineEventForm,
        "timeline",
        "event",
        ("Time", "Event", "Milestone"),
        content_fields=("occurred_at", "milestone", "description"),
        search_fields=("description",),
        unsearched={"occurred_at": "a time", "milestone": "a choice"},
    ),
    shows_figures=True,
    checks=(
        ("At least one event", lambda p: bool(p.timeline.all())),
        ("“Incident started” milestone", milestone("started")),
        ("“Detected” milestone", milestone("detected")),
        ("“Resolved” milestone", milestone("resolved")),
    ),
    write=write,
    read=read,
    headings=("timeline", "timeline (all times utc)"),
)
