import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse

from postmortems.values import KEY_RE, bullet_lines

http_url_validator = URLValidator(
    schemes=["http", "https"], message="Enter a web link that starts with http:// or https://."
)

# Related incidents one person links to a document (links they cannot see are not counted).
MAX_RELATED = 50

# The template's appendix, shown wherever a severity is chosen or displayed.
SEVERITY_DEFINITIONS = {
    "sev1": (
        "Critical",
        [
            "Complete service outage",
            "Major functionality broken for all users",
            "Data loss or security breach",
            "Revenue impact > $10,000/hour",
        ],
    ),
    "sev2": (
        "High",
        [
            "Significant service degradation",
            "Major functionality broken for subset of users",
            "SLO violation",
            "Revenue impact $1,000-$10,000/hour",
        ],
    ),
    "sev3": (
        "Medium",
        [
            "Minor service degradation",
            "Non-critical functionality broken",
            "No SLO violation",
            "Revenue impact < $1,000/hour",
        ],
    ),
    "sev4": (
        "Low",
        ["Minimal impact", "Cosmetic issues", "No user impact", "No revenue impact"],
    ),
}


def new_secret() -> str:
    return secrets.token_hex(32)


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV-1"
    SEV2 = "sev2", "SEV-2"
    SEV3 = "sev3", "SEV-3"
    SEV4 = "sev4", "SEV-4"


def severity_definitions() -> list[tuple[str, str, list[str]]]:
    """[(“SEV-1”, “Critical”, [criteria…]), …] in severity order."""
    return [(label, *SEVERITY_DEFINITIONS[value]) for value, label in Severity.choices]


def severity_help_text() -> str:
    return " ".join(
        f"{label} ({name}): {'; '.join(points)}." for label, name, points in severity_definitions()
    )


class FixType(models.TextChoices):
    PERMANENT = "permanent", "Permanent fix"
    TEMPORARY = "temporary", "Temporary fix (permanent fix still to come)"


class DetectionMethod(models.TextChoices):
    MONITORING = "monitoring", "Automated monitoring alert"
    USER_REPORT = "user_report", "User report"
    INTERNAL = "internal", "Internal discovery"
    EXTERNAL = "external", "External notification"


class PostmortemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every view starts here, so access control cannot be forgotten.

        Postmortems are open to every signed-in person (blameless culture), except restricted
        ones (a security incident, say): those only for their authors, approvers, responders
        with an account, the people explicitly added, and administrators.
        """
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        from postmortems.models.review import Approval
        from postmortems.models.rows import Responder

        named = (
            Q(restricted=False)
            | Exists(
                Postmortem.authors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
            )
            | Exists(
                Postmortem.viewers.through.objects.filter(postmortem=OuterRef("pk"), user=user)
            )
            | Exists(Approval.objects.filter(postmortem=OuterRef("pk"), assignee=user))
            | Exists(Responder.objects.filter(postmortem=OuterRef("pk"), user=user))
        )
        return self.filter(named)

    def authored_by(self, user):
        return self.filter(authors=user)

    def with_is_mine(self, user):
        """Annotate `is_mine` (the user is an author) without duplicating rows."""
        mine = Postmortem.authors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
        return self.annotate(is_mine=Exists(mine))

    def with_document(self):
        """Everything the read view and the editor show, in a fixed number of queries."""
        from postmortems.models.review import Approval, Comment
        from postmortems.models.rows import ActionItem, Responder

        return self.prefetch_related(
            Prefetch("approvals", queryset=Approval.objects.select_related("assignee")),
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related("author", "resolved_by", "hidden_by"),
            ),
            "authors",
            "tags",
            "timeline",
            "contributing_factors",
            Prefetch("responders", queryset=Responder.objects.select_related("user")),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
            "lessons",
            "links",
            Prefetch("related_incidents", queryset=Postmortem.objects.order_by("-incident_date")),
        )

    def search_simple(self, text: str):
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(key__icontains=text) | Q(title__icontains=text) | Q(executive_summary__icontains=text)
        )


class Postmortem(models.Model):
    """One incident's postmortem document, as in the template."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Under Review"
        FINAL = "final", "Final"

    key = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                KEY_RE,
                "Use capital letters, digits and hyphens, like INC-2026-0042 or INCIDENT-12345.",
            )
        ],
        help_text="The incident ID, e.g. INC-2026-0042. Leave empty to get the next free one.",
    )
    title = models.CharField(
        max_length=200,
        help_text="A brief description, e.g. “API outage: connection pool exhaustion”.",
    )
    incident_date = models.DateField(help_text="The day the incident began (UTC).")
    severity = models.CharField(
        max_length=8,
        choices=Severity,
        default=Severity.SEV3,
        db_index=True,
        help_text=severity_help_text(),
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT, db_index=True)
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="authored_postmortems",
        help_text="Everyone who writes this document; any author may edit any section of a Draft.",
    )
    restricted = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Only its authors, approvers, responders and the people added below can see it "
        "(for security incidents and the like).",
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="also visible to",
        help_text="People who may read a restricted document besides those named in it.",
    )
    executive_summary = models.TextField(
        blank=True,
        help_text="2-3 sentences: what happened, the impact, and how it was resolved. Markdown.",
    )

    tags = models.ManyToManyField(
        "Tag",
        blank=True,
        related_name="postmortems",
        help_text="Services and components involved, e.g. api, postgres, payments.",
    )

    # Impact: user impact.
    affected_users = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many users were affected (an estimate is fine)."
    )
    affected_users_percent = models.DecimalField(
        "share of users affected (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="e.g. 15 for “15% of daily active users”.",
    )
    affected_users_basis = models.CharField(
        "share of",
        max_length=100,
        blank=True,
        help_text="What the share is of, e.g. “daily active users”.",
    )
    regions = models.CharField(
        "geographic impact",
        max_length=200,
        blank=True,
        help_text="e.g. Global (all regions), eu-west-1.",
    )
    outage_started_at = models.DateTimeField(
        "outage start (UTC)", null=True, blank=True, help_text="When the complete outage began."
    )
    outage_ended_at = models.DateTimeField(
        "outage end (UTC)", null=True, blank=True, help_text="When service was fully restored."
    )
    degraded_minutes = models.PositiveIntegerField(
        "degraded period (minutes)",
        null=True,
        blank=True,
        help_text="Minutes of degraded service beyond the outage, if any.",
    )
    degraded_description = models.CharField(
        "degraded service", max_length=200, blank=True, help_text="e.g. slow responses."
    )
    # Impact: business impact.
    revenue_impact = models.TextField(
        blank=True,
        help_text="If applicable, e.g. “Estimated $2,500 in failed transactions”. Markdown.",
    )
    reputation_impact = models.TextField(
        blank=True,
        help_text="User complaints, social media, press coverage. Markdown.",
    )
    slo_name = models.CharField(
        "SLO",
        max_length=120,
        blank=True,
        help_text="Which SLO was violated, e.g. API Availability.",
    )
    slo_target = models.DecimalField(
        "SLO target (%)",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="e.g. 99.9. Strictly between 0 and 100.",
    )
    slo_window_days = models.PositiveSmallIntegerField(
        "SLO window (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="The error budget's window, e.g. 28 or 30 days.",
    )
    slo_achieved = models.DecimalField(
        "SLO achieved (%)",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="What the SLI measured over the window, e.g. 99.73.",
    )
    error_budget_consumed_minutes = models.DecimalField(
        "error budget consumed (minutes)",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Minutes of the error budget this incident used, e.g. 31.2.",
    )

    # Root cause: the template's four guiding questions.
    root_cause_summary = models.CharField(
        "root cause in one line",
        max_length=200,
        blank=True,
        help_text="e.g. Database connection pool exhaustion.",
    )
    root_cause_component = models.TextField(
        "1. What component failed?", blank=True, help_text="Markdown."
    )
    root_cause_why = models.TextField("2. Why did it fail?", blank=True, help_text="Markdown.")
    root_cause_underlying = models.TextField(
        "3. What was the underlying cause?", blank=True, help_text="Markdown."
    )
    root_cause_safeguards = models.TextField(
        "4. Why didn't existing safeguards catch this?", blank=True, help_text="Markdown."
    )

    # Detection.
    detection_methods = models.JSONField(
        "how was the incident detected?",
        default=list,
        blank=True,
        help_text="Tick every way it was found.",
    )
    detection_description = models.TextField(
        "detection method",
        blank=True,
        help_text="What alerted, or how was it found? e.g. Alert “APIErrorRateHigh” fired. Markdown.",
    )
    detection_notes = models.TextField(
        "detection quality",
        blank=True,
        help_text="Was the alert fast and accurate? What could have warned earlier? Markdown.",
    )

    # Response.
    response_actions = models.TextField(
        blank=True,
        help_text="What was done to mitigate and resolve, step by step, with times. Markdown.",
    )
    went_well = models.TextField("what went well", blank=True, help_text="One point per line.")
    went_poorly = models.TextField("what went poorly", blank=True, help_text="One point per line.")

    # Resolution.
    resolution_summary = models.CharField(
        "how was service restored?",
        max_length=300,
        blank=True,
        help_text="The final fix in one line, e.g. Increased the pool size from 100 to 500.",
    )
    fix_type = models.CharField(
        "permanent or temporary",
        max_length=16,
        choices=FixType,
        blank=True,
        help_text="Is the fix that restored service the permanent one?",
    )
    resolution_details = models.TextField(
        blank=True, help_text="The immediate fix and how it was rolled out. Markdown."
    )
    verification = models.TextField(
        blank=True,
        help_text="How did we know it was fixed? Health checks, error rate, latency… Markdown.",
    )

    # Supporting information.
    related_incidents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="related_to",
        help_text="Earlier incidents like this one.",
    )
    references = models.TextField(
        blank=True,
        help_text="Anything that is not a web link: file paths, log lines, documents. Markdown.",
    )
    next_review_date = models.DateField(
        null=True, blank=True, help_text="When the action items are reviewed (Final + 30 days)."
    )
    # Keys the commitments that stand for the related incidents in the signed content hash
    # (postmortems.content): never shown, so the published hash gives no key away.
    related_secret = models.CharField(max_length=64, default=new_secret, editable=False)
    # What an import from Markdown could not place, line by line (shown as "Not imported").
    import_notes = models.TextField(blank=True, editable=False)

    # Per-section edit counters for optimistic concurrency: {"impact": 3, …}.
    section_revisions = models.JSONField(default=dict, blank=True, editable=False)

    # Document version as the template's footer shows it (1.0, 2.0 after a reopen, …).
    version = models.PositiveIntegerField(default=1)
    # Optimistic concurrency: bumped on every content save, checked against the form's copy.
    revision = models.PositiveIntegerField(default=1)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PostmortemQuerySet.as_manager()

    class Meta:
        ordering = ["-incident_date", "-created_at"]
        indexes = [models.Index(fields=["-incident_date", "-created_at"], name="pm_list_order")]

    def __str__(self):
        return f"{self.key}: {self.title}"

    def get_absolute_url(self):
        return reverse("postmortems:detail", args=[self.key])

    @property
    def version_label(self) -> str:
        return f"{self.version}.0"

    @property
    def severity_definition(self):
        return SEVERITY_DEFINITIONS[self.severity]

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def detection_method_labels(self) -> list[str]:
        labels = dict(DetectionMethod.choices)
        return [labels[m] for m in self.detection_methods if m in labels]

    @property
    def went_well_items(self) -> list[str]:
        return bullet_lines(self.went_well)

    @property
    def went_poorly_items(self) -> list[str]:
        return bullet_lines(self.went_poorly)


# Text fields shown one point per line (each line formatted on its own).
POINT_FIELDS = ("went_well", "went_poorly")


class KeySequence(models.Model):
    """The last number given out for generated keys of one prefix and year (INC-2026-…).

    A counter of its own rather than the highest key in use: numbers taken by documents a
    person may not see (restricted ones draw from a prefix of their own) never show as gaps.
    """

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_key_sequence_per_year")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class Tag(models.Model):
    """A service or component name that groups incidents: api, postgres, payments."""

    name = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SearchVectorIndex(GinIndex):
    """A GIN index on PostgreSQL; on SQLite (no tsvector, no GIN) nothing is created."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


class SearchDocument(models.Model):
    """What search reads for one postmortem: all its text and, on PostgreSQL, its weighted
    tsvector (key and title A; summary and root cause B; everything else C).

    Written only by ``postmortems.search`` after every change to the document or its rows;
    never by a form. It lives beside the postmortem rather than on it so that the signed
    content (every concrete field of Postmortem), its pages and its edits never carry it.
    """

    postmortem = models.OneToOneField(
        Postmortem,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
        editable=False,
    )
    text = models.TextField(blank=True, editable=False)
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [SearchVectorIndex(fields=["vector"], name="pm_search_vector")]

    def __str__(self):
        return f"Search text of postmortem {self.postmortem_id}"
