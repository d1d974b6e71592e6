"""The activity log as people read it: in words, and a burst of row edits as one entry.

The log itself (``models.Activity``, written by ``activity.log_action``) keeps one entry per
change, with the section's slug and the statuses' stored values. Shown, a section is its
title ("Action items"), a status its label ("Under Review → Draft"), a detail is cut between
words, and the row edits one person made in one section within a few minutes are one entry
("Alice added 12 timeline events") whose own entries stay listed under it. No query: it reads
the entries the page loaded.
"""

import datetime
import re
from dataclasses import dataclass, field

from postmortems.models import Activity, Postmortem
from postmortems.sections import BY_SLUG
from postmortems.values import clipped

# Row edits closer together than this (each to the one before it) are one burst.
BURST = datetime.timedelta(minutes=5)
# A detail shown in the list, at most (the log keeps up to 300 characters).
SHOWN_DETAIL = 160

STATUS_LABELS = dict(Postmortem.Status.choices)
# Sections an entry may name that are not a section of the document.
OTHER_SECTIONS = {"import": "Import"}

# What editing.add_row / update_row / delete_row / add_rows write: `added: 14:23 Paged`,
# `changed: …`, `removed: …`, `added 12 timeline events`.
ROW_EDIT = re.compile(r"(?P<verb>added|changed|removed)(?:: | (?P<count>\d{1,4}) )")
VERBS = ("added", "changed", "removed")


def section_name(slug: str) -> str:
    """A section as the page names it: `action-items` → `Action Items`."""
    section = BY_SLUG.get(slug)
    if section is not None:
        return section.title
    return OTHER_SECTIONS.get(slug, slug.replace("-", " ").capitalize())


def status_name(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


def _row_edit(entry) -> tuple[str, int] | None:
    """(verb, rows) of an entry that added, changed or removed rows of a table, else None."""
    section = BY_SLUG.get(entry.section)
    if entry.verb != Activity.Verb.EDITED or section is None or section.rows is None:
        return None
    match = ROW_EDIT.match(entry.detail)
    if match is None:
        return None
    return match["verb"], int(match["count"] or 1)


@dataclass
class Shown:
    """One line of the log: an entry, or a burst of row edits (``entries``, newest first)."""

    entries: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # verb → rows, for a burst

    @property
    def entry(self) -> Activity:
        return self.entries[0]

    @property
    def is_burst(self) -> bool:
        return len(self.entries) > 1

    @property
    def created_at(self):
        return self.entry.created_at

    @property
    def started_at(self):
        return self.entries[-1].created_at

    @property
    def actor(self):
        return self.entry.actor

    @property
    def verb(self) -> str:
        """What was done: "added 12 timeline events" for a burst."""
        if not self.is_burst:
            return self.entry.get_verb_display()
        model = BY_SLUG[self.entry.section].rows.model._meta
        parts = [f"{verb} {self.counts[verb]}" for verb in VERBS if self.counts.get(verb)]
        total = sum(self.counts.values())
        said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{said} {model.verbose_name if total == 1 else model.verbose_name_plural}"

    @property
    def section(self) -> str:
        return section_name(self.entry.section) if self.entry.section else ""

    @property
    def status_change(self) -> str:
        entry = self.entry
        if not (entry.from_status and entry.to_status):
            return ""
        return f"{status_name(entry.from_status)} → {status_name(entry.to_status)}"

    @property
    def detail(self) -> str:
        return "" if self.is_burst else clipped(self.entry.shown_detail, SHOWN_DETAIL)

    @property
    def details(self) -> list:
        """The burst's own entries: (time, detail), newest first."""
        return [(e.created_at, clipped(e.shown_detail, SHOWN_DETAIL)) for e in self.entries]


def shown(entries) -> list[Shown]:
    """The entries (newest first) as the log shows them: each burst of row edits by one
    person in one section, each edit within BURST of the next, as one."""
    lines: list[Shown] = []
    for entry in entries:
        edit = _row_edit(entry)
        last = lines[-1] if lines else None
        if (
            edit is not None
            and last is not None
            and last.counts
            and last.entry.actor_id == entry.actor_id
            and last.entry.section == entry.section
            and last.entries[-1].created_at - entry.created_at <= BURST
        ):
            last.entries.append(entry)
            last.counts[edit[0]] = last.counts.get(edit[0], 0) + edit[1]
            continue
        line = Shown([entry])
        if edit is not None:
            line.counts[edit[0]] = edit[1]
        lines.append(line)
    return lines
