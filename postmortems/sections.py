"""The document's sections, in the template's order: what each holds, edits and needs.

The guided editor, the read view's completeness sidebar and (later) the review checklist
all read this one list.
"""

from dataclasses import dataclass, field

from postmortems import forms
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    Lesson,
    Responder,
    SupportingLink,
    TimelineEvent,
)


@dataclass(frozen=True)
class Rows:
    """A table inside a section: its model, form, related name and how it is named."""

    model: type
    form: type
    related_name: str
    noun: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    guidance: str
    form: type | None = None
    rows: Rows | None = None
    required: bool = True
    # Where the table stands relative to the form, as in the template.
    rows_first: bool = False
    # What must be filled in for the section to count as complete: (label, test(postmortem)).
    checks: tuple = field(default_factory=tuple)

    def completeness(self, postmortem) -> "Completeness":
        done = [label for label, test in self.checks if test(postmortem)]
        missing = [label for label, test in self.checks if not test(postmortem)]
        return Completeness(self, done, missing)


@dataclass(frozen=True)
class Completeness:
    section: Section
    done: list
    missing: list

    @property
    def percent(self) -> int:
        total = len(self.done) + len(self.missing)
        return round(100 * len(self.done) / total) if total else 100

    @property
    def complete(self) -> bool:
        return not self.missing


def _milestone(name):
    return lambda p: any(e.milestone == name for e in p.timeline.all())


def _has(attr):
    return lambda p: bool(getattr(p, attr))


def _rows(related_name, **filters):
    def test(p):
        rows = getattr(p, related_name).all()
        return any(all(getattr(r, k) == v for k, v in filters.items()) for r in rows)

    return test


SECTIONS: tuple[Section, ...] = (
    Section(
        "overview",
        "Overview",
        "Name the incident, its date and severity, who writes the document, and summarise it "
        "in 2-3 sentences: what happened, the impact, and the resolution.",
        form=forms.OverviewForm,
        checks=(
            ("Title", _has("title")),
            ("Incident date", _has("incident_date")),
            ("Authors", lambda p: bool(p.authors.all())),
            ("Executive summary", _has("executive_summary")),
        ),
    ),
    Section(
        "impact",
        "Impact",
        "Who was affected and for how long (user impact), and what it cost (business impact: "
        "revenue, reputation, the SLOs violated and the error budget consumed).",
        form=forms.ImpactForm,
        checks=(
            ("Affected users", lambda p: p.affected_users is not None or p.affected_users_percent is not None),
            ("Geographic impact", _has("regions")),
            ("Outage duration", lambda p: bool(p.outage_started_at and p.outage_ended_at) or _milestone("resolved")(p)),
            ("Business impact", lambda p: bool(p.revenue_impact or p.reputation_impact)),
            ("SLO impact", lambda p: bool(p.slo_name and p.slo_target is not None)),
        ),
    ),
    Section(
        "timeline",
        "Timeline",
        "Every event in UTC, from what led to the incident to its close. Mark the milestones "
        "(started, detected, acknowledged, mitigated, resolved): the figures come from them.",
        rows=Rows(TimelineEvent, forms.TimelineEventForm, "timeline", "event", ("Time", "Event", "Milestone")),
        checks=(
            ("At least one event", lambda p: bool(p.timeline.all())),
            ("“Incident started” milestone", _milestone("started")),
            ("“Detected” milestone", _milestone("detected")),
            ("“Resolved” milestone", _milestone("resolved")),
        ),
    ),
    Section(
        "root-cause",
        "Root Cause",
        "A detailed technical explanation, led by the four questions: what component failed, why "
        "it failed, the underlying cause, and why existing safeguards did not catch it. Then what "
        "made it worse or prevented earlier detection.",
        form=forms.RootCauseForm,
        rows=Rows(ContributingFactor, forms.ContributingFactorForm, "contributing_factors", "contributing factor", ("#", "Contributing factor")),
        checks=(
            ("What component failed", _has("root_cause_component")),
            ("Why it failed", _has("root_cause_why")),
            ("The underlying cause", _has("root_cause_underlying")),
            ("Why safeguards missed it", _has("root_cause_safeguards")),
            ("Contributing factors", lambda p: bool(p.contributing_factors.all())),
        ),
    ),
    Section(
        "detection",
        "Detection",
        "How the incident was found and how good that was. Time to detect and to acknowledge are "
        "computed from the timeline's milestones.",
        form=forms.DetectionForm,
        checks=(
            ("How it was detected", _has("detection_methods")),
            ("Detection method", _has("detection_description")),
        ),
    ),
    Section(
        "response",
        "Response",
        "Who responded and when they joined, what was done to mitigate and resolve, and what "
        "went well and poorly.",
        form=forms.ResponseForm,
        rows=Rows(Responder, forms.ResponderForm, "responders", "responder", ("Role", "Name", "Joined At")),
        rows_first=True,
        checks=(
            ("Responders", lambda p: bool(p.responders.all())),
            ("Response actions", _has("response_actions")),
            ("What went well", _has("went_well")),
            ("What went poorly", _has("went_poorly")),
        ),
    ),
    Section(
        "resolution",
        "Resolution",
        "The final fix that restored service, whether it is permanent or temporary, and how you "
        "verified it was fixed.",
        form=forms.ResolutionForm,
        checks=(
            ("How service was restored", _has("resolution_summary")),
            ("Permanent or temporary", _has("fix_type")),
            ("Verification", _has("verification")),
        ),
    ),
    Section(
        "action-items",
        "Action Items",
        "Concrete follow-ups in four groups: prevent recurrence, improve detection, improve "
        "response, process improvements. Each has an owner, a due date and a priority.",
        rows=Rows(ActionItem, forms.ActionItemForm, "action_items", "action item", ("Category", "Action", "Owner", "Due Date", "Priority", "Status")),
        checks=(
            ("At least one action item", lambda p: bool(p.action_items.all())),
            ("One to prevent recurrence", _rows("action_items", category=ActionItem.Category.PREVENT)),
        ),
    ),
    Section(
        "lessons",
        "Lessons Learned",
        "What did we learn? Technical, process and cultural learnings.",
        rows=Rows(Lesson, forms.LessonForm, "lessons", "lesson", ("Kind", "Lesson")),
        checks=(
            ("A technical learning", _rows("lessons", category=Lesson.Category.TECHNICAL)),
            ("A process learning", _rows("lessons", category=Lesson.Category.PROCESS)),
        ),
    ),
    Section(
        "supporting",
        "Supporting Information",
        "Links to dashboards and graphs, log queries and traces, runbooks and documentation, and "
        "related past incidents.",
        form=forms.SupportingForm,
        rows=Rows(SupportingLink, forms.SupportingLinkForm, "links", "link", ("Kind", "Link")),
        rows_first=True,
        required=False,
        checks=(
            ("Links or references", lambda p: bool(p.links.all() or p.references)),
        ),
    ),
)  # fmt: skip

BY_SLUG = {section.slug: section for section in SECTIONS}


def next_section(section: Section) -> Section | None:
    index = SECTIONS.index(section)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None


def document_completeness(postmortem) -> list[Completeness]:
    return [section.completeness(postmortem) for section in SECTIONS]
