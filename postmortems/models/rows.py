"""Reminders sent: at most one a day per person and kind. (The document's tables are in the
section modules: postmortems.sections.)"""

from django.conf import settings
from django.db import models


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
