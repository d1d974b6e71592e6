"""Review and sign-off: approval slots and signatures, comment threads, the activity log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.models.document import Postmortem
from postmortems.sections.overview import Severity

# The template's approvals table: the approval policy of every severity unless changed.
DEFAULT_APPROVAL_SLOTS = (
    ("Author", True),
    ("Reviewer (SRE Lead)", False),
    ("Reviewer (Eng Lead)", False),
    ("Approver (VP Eng)", False),
)


class ApprovalPolicy(models.Model):
    """Which signatures every document of one severity needs before it is Final.

    Kept by administrators; the authors of a document fill its slots but cannot remove one,
    rename it or make it optional.
    """

    severity = models.CharField(max_length=8, choices=Severity, unique=True)

    class Meta:
        ordering = ["severity"]
        verbose_name_plural = "approval policies"

    def __str__(self):
        return f"Approvals for {self.get_severity_display()}"


class PolicyRole(models.Model):
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=100, help_text="e.g. Reviewer (SRE Lead).")
    is_author_slot = models.BooleanField(
        "signed by an author",
        default=False,
        help_text="The authors' own sign-off. Every other role is an independent review: "
        "nobody who wrote or edited the document may hold it.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "role"], name="one_policy_role_per_name")
        ]

    def __str__(self):
        return self.role


class Approval(models.Model):
    """One row of the approvals table: a role, the person assigned to it, their signature."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="approvals")
    role = models.CharField(max_length=100, help_text="e.g. Reviewer (SRE Lead).")
    # The author's own slot; every other slot is an independent review and no author may hold it.
    is_author_slot = models.BooleanField(default=False)
    required = models.BooleanField(
        default=True,
        help_text="The document becomes Final only when every required slot is signed.",
    )
    # Asked for by the approval policy of the document's severity: fixed and required.
    from_policy = models.BooleanField(default=False, editable=False)
    # The holder requested changes and has not signed since: the slot stays theirs.
    changes_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
    )
    position = models.PositiveSmallIntegerField(default=0)

    decision = models.CharField(max_length=16, choices=Decision, blank=True)
    comment = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the canonical document content the signer saw, and its revision number.
    content_hash = models.CharField(max_length=64, blank=True)
    signed_revision = models.PositiveIntegerField(null=True, blank=True)
    # The review criteria the signer confirmed, as they read then: [{"id": …, "text": …}]
    # (models.criteria.ReviewCriterion; an author's own slot confirms none).
    confirmed_criteria = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.role}: {self.assignee or 'unassigned'}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def signed_on(self, digest: str) -> bool:
        """Signed on the content whose SHA-256 this is: a signature is current while the
        document's content hash (postmortems.content.document_hash) is this one."""
        return self.is_signed and bool(self.content_hash) and self.content_hash == digest

    def clear_signature(self):
        self.decision = ""
        self.comment = ""
        self.signed_at = None
        self.content_hash = ""
        self.signed_revision = None
        self.confirmed_criteria = []


class Comment(models.Model):
    """A review comment on one section; replies hang off the first comment of a thread."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    section = models.SlugField(max_length=32)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postmortem_comments"
    )
    body = models.TextField(max_length=10_000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Hidden by an author or an administrator (in any status, Final too): the page shows who
    # hid it, when and why, not the text. Kept for the record; shown again when unhidden.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    # Hidden by an administrator: only an administrator shows it again.
    hidden_by_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["postmortem", "section"])]

    def __str__(self):
        return self.body[:60]

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Activity(models.Model):
    """Append-only: who did what to a document, and when. Never updated, never deleted."""

    class Verb(models.TextChoices):
        CREATED = "created", "created the draft"
        EDITED = "edited", "edited"
        SUBMITTED = "submitted", "submitted for review"
        WITHDRAWN = "withdrawn", "withdrew from review"
        CHANGES_REQUESTED = "changes_requested", "requested changes"
        SIGNED = "signed", "signed"
        FINALIZED = "finalized", "finalized"
        REOPENED = "reopened", "reopened"
        APPROVALS_CHANGED = "approvals_changed", "changed the approvals"
        COMMENTED = "commented", "commented"
        RESOLVED_COMMENT = "resolved_comment", "resolved a comment thread"
        HID_COMMENT = "hid_comment", "hid a comment"
        ACTION_ITEM_STATUS = "action_item_status", "changed an action item's status"
        MEETING_SCHEDULED = "meeting_scheduled", "scheduled the review meeting"
        MEETING_CHANGED = "meeting_changed", "changed the review meeting"
        MEETING_CANCELLED = "meeting_cancelled", "cancelled the review meeting"
        MEETING_NOTES = "meeting_notes", "wrote the review meeting's notes"
        SECTION_VERDICT = "section_verdict", "gave a verdict on"
        WORDING_INTENDED = "wording_intended", "marked wording as intended"
        WORDING_UNMARKED = "wording_unmarked", "withdrew a wording's mark"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=24, choices=Verb)
    section = models.CharField(max_length=32, blank=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    detail = models.TextField(blank=True)
    # Now, unless the change is given its time (the demo loader dates its history as it was).
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activity"

    def __str__(self):
        return f"{self.actor} {self.get_verb_display()} {self.postmortem.key}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Activity entries are append-only.")
        super().save(*args, **kwargs)

    @property
    def shown_detail(self) -> str:
        """The detail as the log shows it: never a comment's text (which its authors or an
        administrator may hide; entries before this held the first 200 characters)."""
        if self.verb in (self.Verb.COMMENTED, self.Verb.RESOLVED_COMMENT):
            return "reopened the thread" if self.detail.startswith("reopened: ") else ""
        return self.detail


class Snapshot(models.Model):
    """A Final version, frozen: readable after the document is reopened and changed."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    # The read view as it was rendered at Final (every user text sanitized when rendered).
    html = models.TextField()
    finalized_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "version"], name="one_snapshot_per_version"
            )
        ]

    def __str__(self):
        return f"{self.postmortem.key} v{self.version}.0"
