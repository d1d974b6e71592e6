"""Action Items: concrete follow-ups in four groups, each with an owner, a due date, a
priority and a status (which stays editable after the document is Final)."""

import datetime
import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.exchange import blocks
from postmortems.exchange.markup import (
    DASH,
    decode_cell,
    encode_cell,
    section_heading,
    split_row,
    table,
)
from postmortems.fields import HttpsURLField
from postmortems.forms.base import DateInput, RowForm, people
from postmortems.sections.base import DocumentRow, Rows, Section, has_rows
from postmortems.values import http_url_validator

CATEGORY_ORDER = ("prevent", "detection", "response", "process")

DUE_SOON_DAYS = 7


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Action items of the documents the person may read: the one access rule, reused."""
        documents = self.model._meta.get_field("postmortem").related_model.objects
        return self.filter(postmortem__in=documents.visible_to(user))

    def open(self):
        return self.exclude(status=ActionItem.Status.DONE)

    def overdue(self, today):
        return self.open().filter(due_date__lt=today)

    def due_soon(self, today):
        """Not done, due today or within the next week."""
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )


class ActionItem(DocumentRow):
    class Category(models.TextChoices):
        PREVENT = "prevent", "Prevent Recurrence"
        DETECTION = "detection", "Improve Detection"
        RESPONSE = "response", "Improve Response"
        PROCESS = "process", "Process Improvements"

    class Priority(models.TextChoices):
        P0 = "p0", "P0"
        P1 = "p1", "P1"
        P2 = "p2", "P2"
        P3 = "p3", "P3"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In Progress"
        DONE = "done", "Done"

    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="action_items"
    )
    category = models.CharField(max_length=16, choices=Category, default=Category.PREVENT)
    action = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
    )
    owner_name = models.CharField(
        max_length=150, blank=True, help_text="An owner without an account, if no person is picked."
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=2, choices=Priority, default=Priority.P1)
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN, db_index=True)
    tracker_url = models.URLField(
        "tracker link",
        max_length=500,
        blank=True,
        validators=[http_url_validator],
        help_text="The ticket, e.g. https://jira.example.com/browse/OPS-12.",
    )

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        # The template's order of the four tables, then as written.
        ordering = [
            models.Case(
                *(
                    models.When(category=value, then=index)
                    for index, value in enumerate(CATEGORY_ORDER)
                ),
                default=len(CATEGORY_ORDER),
            ),
            "id",
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return self.action

    @property
    def owner_display(self) -> str:
        return self.owner.name if self.owner_id else self.owner_name

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.now().date()
        return bool(self.due_date and self.status != self.Status.DONE and self.due_date < today)

    def is_due_soon(self, today=None) -> bool:
        today = today or timezone.now().date()
        return bool(
            self.due_date
            and self.status != self.Status.DONE
            and today <= self.due_date <= today + datetime.timedelta(days=DUE_SOON_DAYS)
        )


class ActionItemForm(RowForm):
    class Meta:
        model = ActionItem
        fields = [
            "category",
            "action",
            "owner",
            "owner_name",
            "due_date",
            "priority",
            "status",
            "tracker_url",
        ]
        widgets = {"due_date": DateInput()}
        labels = {"owner_name": "…or owner's name"}
        field_classes = {"tracker_url": HttpsURLField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()
        self.fields["owner"].empty_label = "— someone without an account —"

    def clean(self):
        data = super().clean()
        if not data.get("owner") and not (data.get("owner_name") or "").strip():
            self.add_error(
                "owner_name", "Every action item needs an owner: pick a person or type a name."
            )
        return data


# --- the template's Markdown -------------------------------------------------------------------

ACTION_STATUS_LABELS = dict(ActionItem.Status.choices)
PRIORITY_LABELS = dict(ActionItem.Priority.choices)


def write(c, ctx) -> list[str]:
    lines = section_heading("Action Items")
    items = list(c.get("action_items", []))
    statuses = ctx.action_item_statuses
    for category, label in ActionItem.Category.choices:
        rows = []
        for index, item in enumerate(items):
            if item["category"] != category:
                continue
            status = statuses[index] if index < len(statuses) else ActionItem.Status.OPEN
            rows.append(
                [
                    _action_cell(item["action"], item.get("tracker_url")),
                    encode_cell(ctx.name(item.get("owner_id"), item.get("owner_name")) or DASH),
                    item["due_date"] or DASH,
                    PRIORITY_LABELS.get(item["priority"], item["priority"]),
                    ACTION_STATUS_LABELS.get(status, status),
                ]
            )
        lines += [
            f"### {label}",
            "",
            *table(["Action", "Owner", "Due Date", "Priority", "Status"], rows),
            "",
        ]
    return lines[:-1]


def _action_cell(action: str, tracker_url: str | None) -> str:
    text = encode_cell(action)
    if tracker_url:
        return "[" + text.replace("[", "\\[").replace("]", "\\]") + f"]({tracker_url})"
    return "\\" + text if text.startswith("[") else text


CATEGORIES = {label.lower(): value for value, label in ActionItem.Category.choices}
PRIORITIES = {label.lower(): value for value, label in ActionItem.Priority.choices}
STATUSES = {label.lower(): value for value, label in ActionItem.Status.choices}


ACTION_LINK = re.compile(r"^\[(?P<text>(?:\\.|[^\]\\])*)\]\((?P<url>https?://[^\s)]+)\)$")


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside the four action item tables")
    for sub in block.subs:
        category = CATEGORIES.get(blocks.norm(sub.title))
        if category is None:
            blocks.unknown(parsed, sub)
            continue
        columns = {5: "Action | Owner | Due Date | Priority | Status"}
        rows, leftovers = blocks.table(parsed, sub.lines, columns, "action items")
        for number, text, (action, owner, due, priority, status) in rows:
            raw = split_row(text)[0]
            tracker = ""
            link = ACTION_LINK.match(raw)
            if link:
                action, tracker = decode_cell(link["text"]), link["url"]
            if not action:
                parsed.problem(number, text, "the action is empty — row not imported")
                continue
            due_date = None
            if due and due != DASH:
                try:
                    due_date = datetime.date.fromisoformat(due)
                except ValueError:
                    parsed.problem(number, text, "the due date is not like 2026-02-05; left empty")
            prio = PRIORITIES.get(priority.lower())
            if prio is None:
                parsed.problem(number, text, "the priority is P0 to P3; P1 was used")
                prio = ActionItem.Priority.P1
            state = STATUSES.get(status.lower())
            if state is None:
                parsed.problem(
                    number, text, "the status is Open, In Progress or Done; Open was used"
                )
                state = ActionItem.Status.OPEN
            values = {
                "category": category,
                "action": action,
                "owner_name": "" if owner == DASH else owner,
                "due_date": due_date,
                "priority": prio,
                "status": state,
                "tracker_url": tracker,
            }
            parsed.row("action_items", number, text, values)
        blocks.leftovers(parsed, leftovers, "not a row of the action items table")


SECTION = Section(
    "action-items",
    "Action Items",
    "Concrete follow-ups in four groups: prevent recurrence, improve detection, improve "
    "response, process improvements. Each has an owner, a due date and a priority.",
    rows=Rows(
        ActionItem,
        ActionItemForm,
        "action_items",
        "action item",
        ("Category", "Action", "Owner", "Due Date", "Priority", "Status"),
        content_fields=(
            "category",
            "action",
            "owner_id",
            "owner_name",
            "due_date",
            "priority",
            "tracker_url",
        ),
        search_fields=("action", "owner_name"),
        unsearched={
            "category": "a choice",
            "owner_id": "a person: the action items' owner filter",
            "due_date": "a date",
            "priority": "a choice",
            "tracker_url": "a link",
        },
        person=("owner_name", "owner"),
        keep=("category", "priority"),
    ),
    checks=(
        ("At least one action item", lambda p: bool(p.action_items.all())),
        ("One to prevent recurrence", has_rows("action_items", category=ActionItem.Category.PREVENT)),
    ),
    write=write,
    read=read,
    headings=("action items",),
)  # fmt: skip
