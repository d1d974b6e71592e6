"""The rows of the document's tables: timeline, factors, responders, action items, lessons, links."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.models.document import Postmortem, http_url_validator


class DocumentRow(models.Model):
    """A row of one of the document's tables. `revision` guards concurrent edits of the row."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TimelineEvent(DocumentRow):
    class Milestone(models.TextChoices):
        STARTED = "started", "Incident started"
        DETECTED = "detected", "Detected (first alert or report)"
        ALERTED = "alerted", "Responder paged"
        ACKNOWLEDGED = "acknowledged", "Acknowledged by a human"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField("time (UTC)")
    description = models.TextField(max_length=2000)
    milestone = models.CharField(max_length=16, choices=Milestone, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["postmortem", "occurred_at"])]

    def __str__(self):
        return f"{self.occurred_at:%H:%M} {self.description[:60]}"


class ContributingFactor(DocumentRow):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="contributing_factors"
    )
    description = models.TextField(max_length=2000)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.description[:60]


class Responder(DocumentRow):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="responders")
    role = models.CharField(max_length=100, help_text="e.g. Incident Commander, SME - Database.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responded_to",
        help_text="Pick a person who has an account…",
    )
    name = models.CharField(
        max_length=150, blank=True, help_text="…or type the name of someone who has none."
    )
    joined_at = models.DateTimeField("joined at (UTC)", null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self):
        return f"{self.role}: {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.user.name if self.user_id else self.name


CATEGORY_ORDER = ("prevent", "detection", "response", "process")
DUE_SOON_DAYS = 7


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Action items of the documents the person may read: the one access rule, reused."""
        return self.filter(postmortem__in=Postmortem.objects.visible_to(user))

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
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
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


class Lesson(DocumentRow):
    class Category(models.TextChoices):
        TECHNICAL = "technical", "Technical"
        PROCESS = "process", "Process"
        CULTURAL = "cultural", "Cultural"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="lessons")
    category = models.CharField(max_length=16, choices=Category, default=Category.TECHNICAL)
    text = models.TextField("lesson", max_length=2000)

    class Meta:
        ordering = [
            models.Case(
                models.When(category="technical", then=0),
                models.When(category="process", then=1),
                default=2,
            ),
            "id",
        ]

    def __str__(self):
        return self.text[:60]


class SupportingLink(DocumentRow):
    class Kind(models.TextChoices):
        DASHBOARD = "dashboard", "Metrics and graphs"
        LOGS = "logs", "Logs and traces"
        RUNBOOK = "runbook", "Runbooks and documentation"
        OTHER = "other", "Other"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.DASHBOARD)
    title = models.CharField(max_length=200, help_text="e.g. Error Rate Graph.")
    url = models.URLField(
        "link",
        max_length=1000,
        validators=[http_url_validator],
        help_text="http:// or https:// only.",
    )

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return self.title


class ReminderSent(models.Model):
    """One reminder email per person, kind and day: running the reminder job twice sends once."""

    class Kind(models.TextChoices):
        ACTION_ITEMS = "action_items", "Overdue and due-this-week action items"
        REVIEW_DUE = "review_due", "Postmortem review date passed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind)
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "sent_on"], name="one_reminder_a_day")
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.sent_on}"
