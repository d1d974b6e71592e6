"""What the read view and the editor show beside the typed text: figures, groups, completeness."""

from itertools import groupby

from django.utils import timezone

from postmortems import editing, metrics
from postmortems.content import document_hash
from postmortems.models import (
    ActionItem,
    DetectionMethod,
    Lesson,
    Postmortem,
    SupportingLink,
    severity_definitions,
)
from postmortems.sections import SECTIONS, document_completeness


def _grouped(rows, field, choices):
    """[(label, [rows…])] for every choice, in the choices' order, rows kept in their order."""
    by_value = {
        value: list(items)
        for value, items in groupby(
            sorted(rows, key=lambda r: getattr(r, field)), key=lambda r: getattr(r, field)
        )
    }
    return [(label, by_value.get(value, [])) for value, label in choices]


SECTION_TEMPLATES = [
    ("overview", "postmortems/sections/_overview.html"),
    ("impact", "postmortems/sections/_impact.html"),
    ("timeline", "postmortems/sections/_timeline.html"),
    ("root-cause", "postmortems/sections/_root_cause.html"),
    ("detection", "postmortems/sections/_detection.html"),
    ("response", "postmortems/sections/_response.html"),
    ("resolution", "postmortems/sections/_resolution.html"),
    ("action-items", "postmortems/sections/_action_items.html"),
    ("lessons", "postmortems/sections/_lessons.html"),
    ("supporting", "postmortems/sections/_supporting.html"),
]


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


def can_change_status(user, item, postmortem) -> bool:
    """The owner, any author of the document, or an administrator — in any document status."""
    if user.is_superuser or item.owner_id == user.pk:
        return True
    return any(a.pk == user.pk for a in postmortem.authors.all())


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
        mark_row(
            item, today, can_change=user is not None and can_change_status(user, item, postmortem)
        )
    threads = _threads(postmortem)
    related = list(postmortem.related_incidents.all())
    # A related incident the reader may not see is not even named.
    if user is None:
        visible_related = {p.pk for p in related if not p.restricted}
    else:
        visible_related = set(
            Postmortem.objects.visible_to(user)
            .filter(pk__in=[p.pk for p in related])
            .values_list("pk", flat=True)
        )
    approvals = list(postmortem.approvals.all())
    digest = document_hash(postmortem)
    for approval in approvals:
        approval.current = approval.signed_on(digest)
    return {
        "content_digest": digest,
        "document_sections": [
            (
                slug,
                template,
                threads.get(slug, []),
                sum(1 for thread, _ in threads.get(slug, []) if not thread.is_resolved),
            )
            for slug, template in SECTION_TEMPLATES
        ],
        "approvals": approvals,
        "related_incidents": [p for p in related if p.pk in visible_related],
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
        "sections": SECTIONS,
        "detection_choices": DetectionMethod.choices,
        "status_choices": ActionItem.Status.choices,
        "severity_definitions": severity_definitions(),
        "can_edit": user is not None and editing.can_edit(user, postmortem),
    }


def workflow_context(postmortem, user) -> dict:
    """Who may do what in the review panel; the server checks again in `workflow`."""
    from postmortems import workflow

    digest = document_hash(postmortem)
    approvals = list(postmortem.approvals.all())
    required = [a for a in approvals if a.required]
    mine = [a for a in approvals if a.assignee_id == user.pk]
    is_author = workflow.is_author(user, postmortem)
    return {
        "is_author": is_author,
        "is_reviewer": any(not a.is_author_slot for a in mine),
        "can_comment": is_author or bool(mine) or user.is_superuser,
        "can_hide_comments": is_author or user.is_superuser,
        "my_unsigned": [a for a in mine if not a.signed_on(digest)],
        "signed_count": sum(1 for a in required if a.signed_on(digest)),
        "required_count": len(required),
        "missing_for_review": workflow.missing_for_review(postmortem)
        if postmortem.status == postmortem.Status.DRAFT
        else [],
    }
