"""What the read view and the editor show beside the typed text: figures, groups, completeness."""

from itertools import groupby

from django.utils import timezone

from postmortems import editing, metrics
from postmortems.models import (
    ActionItem,
    DetectionMethod,
    Lesson,
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


def document_context(postmortem, user) -> dict:
    events = list(postmortem.timeline.all())
    figures = metrics.response_figures(events)
    budget = metrics.error_budget_minutes(postmortem.slo_target, postmortem.slo_window_days)
    today = timezone.now().date()
    action_items = list(postmortem.action_items.all())
    for item in action_items:
        item.overdue = item.is_overdue(today)
    return {
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
        "severity_definitions": severity_definitions(),
        "can_edit": editing.can_edit(user, postmortem),
    }
