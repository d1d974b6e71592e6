from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

KEY_RE = r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$"

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


class PostmortemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every view starts here, so access control cannot be forgotten.

        Postmortems are open to every signed-in person (blameless culture); restricted ones
        arrive with the hardening work and will be filtered here.
        """
        if not user.is_authenticated:
            return self.none()
        return self

    def authored_by(self, user):
        return self.filter(authors=user)

    def with_is_mine(self, user):
        """Annotate `is_mine` (the user is an author) without duplicating rows."""
        mine = Postmortem.authors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
        return self.annotate(is_mine=Exists(mine))

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
    executive_summary = models.TextField(
        blank=True,
        help_text="2-3 sentences: what happened, the impact, and how it was resolved. Markdown.",
    )

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
