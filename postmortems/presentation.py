"""What a document's page shows beside the typed text: figures, groups, completeness, who
may do what. The read view, the editor and the Final snapshot (rendered by the workflow, with
no reader) all start from ``document_context``."""

from itertools import groupby

from django.utils import timezone

from postmortems import metrics, permissions, sanity
from postmortems.content import document_hash
from postmortems.models import (
    ActionItem,
    DetectionMethod,
    Lesson,
    SupportingLink,
    severity_definitions,
)
from postmortems.review_notes import ReviewNotes
from postmortems.sections import SECTIONS, document_completeness
from postmortems.wording import WordingCheck


def _grouped(rows, field, choices):
    """[(label, [rows…])] for every choice, in the choices' order, rows kept in their order."""
    by_value = {
        value: list(items)
        for value, items in groupby(
            sorted(rows, key=lambda r: getattr(r, field)), key=lambda r: getattr(r, field)
        )
    }
    return [(label, by_value.get(value, [])) for value, label in choices]


def _threads(postmortem):
    """{section: [(thread, [replies…])…]} from the prefetched comments."""
    comments = list(postmortem.comments.all())
    replies = {}
    for comment in comments:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    threads = {}
    for comment in comments:
        if comment.parent_id is None:
            threads.setdefault(comment.section, []).append((comment, replies.get(comment.pk, [])))
    return threads


def mark_row(item, today, *, can_change: bool) -> None:
    """What an action item's row shows beside it: late, due soon, its status editable here."""
    item.overdue = item.is_overdue(today)
    item.due_soon = item.is_due_soon(today)
    item.can_change = can_change


def document_context(postmortem, user) -> dict:
    events = list(postmortem.timeline.all())
    figures = metrics.response_figures(events)
    budget = metrics.error_budget_minutes(postmortem.slo_target, postmortem.slo_window_days)
    today = timezone.now().date()
    action_items = list(postmortem.action_items.all())
    for item in action_items:
        mark_row(item, today, can_change=permissions.can_set_item_status(user, item, postmortem))
    threads = _threads(postmortem)
    approvals = list(postmortem.approvals.all())
    digest = document_hash(postmortem)
    for approval in approvals:
        approval.current = approval.signed_on(digest)
    return {
        "content_digest": digest,
        "document_sections": [
            (
                section.slug,
                section.template,
                threads.get(section.slug, []),
                sum(1 for thread, _ in threads.get(section.slug, []) if not thread.is_resolved),
                section.extras(postmortem),
            )
            for section in SECTIONS
        ],
        "approvals": approvals,
        # A related incident the reader may not see is not even named.
        "related_incidents": permissions.visible_related(postmortem, user),
        "postmortem": postmortem,
        "events": events,
        "figures": figures,
        "outage_duration": metrics.outage_duration(postmortem, events),
        "error_budget": budget,
        "error_budget_share": metrics.error_budget_share(
            postmortem.error_budget_consumed_minutes, budget
        ),
        "action_item_groups": _grouped(action_items, "category", ActionItem.Category.choices),
        "lesson_groups": _grouped(postmortem.lessons.all(), "category", Lesson.Category.choices),
        "link_groups": _grouped(postmortem.links.all(), "kind", SupportingLink.Kind.choices),
        "completeness": document_completeness(postmortem),
        # What looks wrong (never blocking): beside its field or row, and in the sidebar.
        "sanity_warnings": sanity.warnings_for(postmortem),
        "sections": SECTIONS,
        "detection_choices": DetectionMethod.choices,
        "status_choices": ActionItem.Status.choices,
        "severity_definitions": severity_definitions(),
        "can_edit": permissions.can_edit(user, postmortem),
        # Why it was sent back, and the open threads by section (read only if shown).
        "review_notes": ReviewNotes(postmortem, user, threads),
        # The blameless-language check, for the authors and reviewers (read only if shown).
        "blameless": WordingCheck(postmortem, user),
    }
