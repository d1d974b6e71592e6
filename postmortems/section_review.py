"""Where the review stands, section by section: each reviewer's verdict on each section, and
whether the section changed since it was given.

A section's content is its part of the signed content (``content.canonical_content``): its
fields, its table's rows and, for Supporting information, the attached files and the related
incidents. A verdict keeps the SHA-256 of that part as it was; the section has "changed since"
when its hash differs now. (``Postmortem.section_revisions`` would not do: a table row's
change, an administrator's or one behind the editor's back does not move it. The hash sees
every change of the content, and only of this section's.)

Nothing here is signed content, and nothing here changes it. Reading costs one query per
page (the verdicts), none when the document has no reviewer.
"""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from postmortems import permissions
from postmortems.content import canonical_content
from postmortems.models import Postmortem, ReviewCriterion, SectionVerdict
from postmortems.sections import SECTIONS

Verdict = SectionVerdict.Verdict

# Signed content that belongs to a section without being one of its fields. (The document's
# key belongs to none; the related incidents' commitments are drawn afresh at every save,
# so the related keys themselves, in Supporting information, stand for them here.)
EXTRA_CONTENT = {"supporting": ("attachments",)}
NOT_A_SECTION = frozenset({"key", "related_commitments"})


def section_contents(content: dict) -> dict[str, dict]:
    """{section slug: its part of the signed content} (``content``: canonical_content)."""
    parts = {}
    for section in SECTIONS:
        names = [
            *section.field_names,
            *([section.rows.related_name] if section.rows else []),
            *EXTRA_CONTENT.get(section.slug, ()),
        ]
        parts[section.slug] = {name: content[name] for name in names if name in content}
    return parts


def section_hashes(content: dict) -> dict[str, str]:
    """{section slug: SHA-256 of its part of the signed content}."""
    return {
        slug: hashlib.sha256(
            json.dumps(part, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        for slug, part in section_contents(content).items()
    }


def reviewers_of(postmortem) -> list:
    """The holders of the reviewers' and approvers' slots (prefetched), in slot order, once."""
    seen, people = set(), []
    for approval in postmortem.approvals.all():
        if approval.is_author_slot or approval.assignee_id is None:
            continue
        if approval.assignee_id not in seen:
            seen.add(approval.assignee_id)
            people.append(approval.assignee)
    return people


@dataclass
class Cell:
    """One reviewer's verdict on one section, as the grid shows it."""

    reviewer: object
    verdict: SectionVerdict | None = None
    changed: bool = False

    @property
    def state(self) -> str:
        """good, needs_work, changed (looked good, changed since) or none."""
        if self.verdict is None:
            return "none"
        if self.verdict.verdict == Verdict.GOOD:
            return "changed" if self.changed else "good"
        return "needs_work"

    @property
    def symbol(self) -> str:
        return {"good": "✓", "needs_work": "✗", "changed": "↻", "none": "—"}[self.state]

    @property
    def label(self) -> str:
        if self.verdict is None:
            return "no verdict yet"
        said = self.verdict.get_verdict_display().lower()
        return f"{said}, changed since" if self.changed else said


@dataclass
class Row:
    """A section and every reviewer's cell on it (in the reviewers' order)."""

    section: object
    cells: list = field(default_factory=list)

    @property
    def given(self) -> list:
        return [cell for cell in self.cells if cell.verdict is not None]

    def of(self, user):
        return next((c for c in self.cells if user is not None and c.reviewer.pk == user.pk), None)


class Grid:
    """Sections × reviewers: what the review panel, /review/ and each section show."""

    def __init__(self, postmortem, reviewers, verdicts, hashes):
        self.postmortem = postmortem
        self.reviewers = reviewers
        by_key = {(v.section, v.reviewer_id): v for v in verdicts}
        self.rows = []
        for section in SECTIONS:
            row = Row(section)
            for person in reviewers:
                verdict = by_key.get((section.slug, person.pk))
                if verdict is not None:
                    verdict.reviewer = person  # known already: no query
                changed = verdict is not None and verdict.section_hash != hashes[section.slug]
                row.cells.append(Cell(person, verdict, changed))
            self.rows.append(row)

    @cached_property
    def by_slug(self) -> dict:
        return {row.section.slug: row for row in self.rows}

    @cached_property
    def counts(self) -> dict:
        """How many cells are in each state."""
        found = {"good": 0, "needs_work": 0, "changed": 0, "none": 0}
        for row in self.rows:
            for cell in row.cells:
                found[cell.state] += 1
        return found

    @property
    def any_given(self) -> bool:
        return any(row.given for row in self.rows)

    @property
    def worth_showing(self) -> bool:
        """Under Review, or with verdicts given (a Draft sent back keeps them)."""
        return bool(self.reviewers) and (
            self.postmortem.status == self.postmortem.Status.IN_REVIEW or self.any_given
        )

    def __bool__(self) -> bool:
        return bool(self.reviewers)


def grid_for(postmortem, verdicts=None) -> Grid:
    """The grid of a document loaded with ``with_document()`` (its approvals' assignees
    prefetched): one query for its verdicts, none without reviewers or with ``verdicts``."""
    reviewers = reviewers_of(postmortem)
    if not reviewers:
        return Grid(postmortem, [], [], {})
    if verdicts is None:
        verdicts = list(
            SectionVerdict.objects.filter(
                postmortem=postmortem, reviewer_id__in=[p.pk for p in reviewers]
            )
        )
    return Grid(postmortem, reviewers, verdicts, section_hashes(canonical_content(postmortem)))


def grids_for(postmortems) -> dict:
    """{document pk: its grid} for documents loaded with ``with_document()``: one query for
    all their verdicts, whatever their number."""
    postmortems = list(postmortems)
    verdicts = {p.pk: [] for p in postmortems}
    if postmortems:
        for verdict in SectionVerdict.objects.filter(postmortem__in=[p.pk for p in postmortems]):
            verdicts[verdict.postmortem_id].append(verdict)
    return {p.pk: grid_for(p, verdicts[p.pk]) for p in postmortems}


def queue_grids(postmortems) -> list[tuple]:
    """[(document, grid)…] for /review/: each document of the list once, in its order, that
    has reviewers. Loaded afresh with ``with_document()``, all together: a fixed number of
    queries however many documents and verdicts."""
    pks = list(dict.fromkeys(p.pk for p in postmortems))
    if not pks:
        return []
    loaded = {p.pk: p for p in Postmortem.objects.filter(pk__in=pks).with_document()}
    grids = grids_for(loaded.values())
    return [(loaded[pk], grids[pk]) for pk in pks if pk in loaded and grids[pk]]


def page_context(postmortem, user) -> dict:
    """What the document page shows of the review's checks: the grid, who may give a
    verdict, and the criteria a request for changes can point at (read only for a reviewer
    who may request changes)."""
    can_request = permissions.can_request_changes(user, postmortem)
    return {
        "verdict_grid": grid_for(postmortem),
        "can_give_verdict": permissions.can_give_verdict(user, postmortem),
        "verdict_choices": Verdict.choices,
        "review_criteria": list(ReviewCriterion.objects.active()) if can_request else [],
    }
