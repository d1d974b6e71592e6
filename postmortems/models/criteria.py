"""What a review checks: the criteria every reviewer confirms before signing, what a request
for changes pointed at, and each reviewer's verdict on each section.

All of it is review metadata, never document content: none of it is in the signed content
(``postmortems.content``), so none of it changes a content hash or makes a signature stale.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.models.document import Postmortem
from postmortems.models.review import Activity

# The postmortem review of Google's SRE books ("Postmortem Culture", "Collaborate and share
# knowledge"): what a reviewer checks before a postmortem is published. The data migration
# 0016_review_criteria creates these; administrators change them in the Django admin.
DEFAULT_CRITERIA = (
    (
        "Key incident data was collected for posterity",
        "The timeline, the figures, the graphs and logs a later reader needs are in the "
        "document or linked from it.",
    ),
    (
        "The impact assessment is complete",
        "Who and what was affected, for how long, what it cost, and how much of the error "
        "budget it consumed.",
    ),
    (
        "The root cause is deep enough",
        "It explains why the safeguards did not catch the problem, not only what broke.",
    ),
    (
        "The action plan is appropriate and the bug fixes are at the right priority",
        "Each action item prevents a recurrence or improves detection or response, has an "
        "owner and a due date, and its priority matches the risk.",
    ),
    (
        "The outcome is shared with the right people and the lessons are shared",
        "The teams and stakeholders who can act on the lessons will read them.",
    ),
)


def wording_digest(text: str) -> str:
    """A short fingerprint of a criterion's wording: what a sign form's checkbox carries, so
    a criterion reworded after the page opened is not taken as confirmed."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ReviewCriterionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ReviewCriterion(models.Model):
    """One thing every reviewer and approver confirms, by ticking it, before signing."""

    text = models.CharField(
        max_length=200,
        help_text="What the reviewer confirms, as a statement: “The root cause is deep enough”. "
        "A signature keeps the wording its signer confirmed; changing it here changes no "
        "recorded signature.",
    )
    help = models.TextField(
        blank=True, max_length=1000, help_text="Shown under it on the sign page: what to look for."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Smaller first.")
    active = models.BooleanField(
        default=True, help_text="Only active criteria are asked for when signing."
    )

    objects = ReviewCriterionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "review criteria"

    def __str__(self):
        return self.text

    @property
    def token(self) -> str:
        """The value of its checkbox: the criterion, and its wording as the page showed it."""
        return f"{self.pk}:{wording_digest(self.text)}"


class ChangeRequestPoints(models.Model):
    """What a "request changes" pointed at: the criteria and the sections that fall short.
    Hangs off the log entry of the request (whose detail is the reviewer's comment)."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="points", editable=False
    )
    # The criteria's wording as it read when the request was made.
    criteria = models.JSONField(default=list, blank=True)
    # Section slugs, in the template's order.
    sections = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "change request points"

    def __str__(self):
        return f"Points of {self.activity}"


class SectionVerdict(models.Model):
    """One reviewer's verdict on one section: looks good or needs work, with a comment.

    ``section_hash`` is the SHA-256 of the section's signed content when the verdict was given
    (``postmortems.section_review.section_hashes``): a section changed since, by its form, a
    row of its table or behind the editor's back, no longer matches it ("changed since").
    A later verdict of the same reviewer on the same section replaces this one.
    """

    class Verdict(models.TextChoices):
        GOOD = "good", "Looks good"
        NEEDS_WORK = "needs_work", "Needs work"

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="section_verdicts"
    )
    section = models.SlugField(max_length=32)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="section_verdicts"
    )
    verdict = models.CharField(max_length=16, choices=Verdict)
    comment = models.TextField(blank=True, max_length=5000)
    at = models.DateTimeField(default=timezone.now)
    section_hash = models.CharField(max_length=64)
    # The document's revision then: the history's diff since it shows what changed.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "section", "reviewer"],
                name="one_verdict_per_reviewer_and_section",
            )
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.section}: {self.get_verdict_display()}"
