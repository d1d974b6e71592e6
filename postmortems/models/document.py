"""The postmortem document: the fields every section shares (key, status, version, who may
read it), and the sections' own fields, which it inherits from the section modules."""

import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from postmortems.sections import FIELD_MODELS, ROWS
from postmortems.values import KEY_RE


def new_secret() -> str:
    return secrets.token_hex(32)


class PostmortemQuerySet(models.QuerySet):
    def _rows_of(self, name: str) -> models.QuerySet:
        """The rows of a related model (approvals, responders…), reached through the relation
        itself: this module defines the document, which those models point to."""
        return self.model._meta.get_field(name).related_model.objects

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
        named = (
            Q(restricted=False)
            | Exists(
                Postmortem.authors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
            )
            | Exists(
                Postmortem.viewers.through.objects.filter(postmortem=OuterRef("pk"), user=user)
            )
            | Exists(self._rows_of("approvals").filter(postmortem=OuterRef("pk"), assignee=user))
            | Exists(self._rows_of("responders").filter(postmortem=OuterRef("pk"), user=user))
        )
        return self.filter(named)

    def with_is_mine(self, user):
        """Annotate `is_mine` (the user is an author) without duplicating rows."""
        mine = Postmortem.authors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
        return self.annotate(is_mine=Exists(mine))

    def with_document(self):
        """Everything the read view and the editor show, in a fixed number of queries: every
        section's table (with the account of a person in it), the approvals and comments."""
        tables = [
            Prefetch(
                rows.related_name, self._rows_of(rows.related_name).select_related(rows.person[1])
            )
            if rows.person
            else rows.related_name
            for rows in ROWS
        ]
        return self.prefetch_related(
            Prefetch("approvals", queryset=self._rows_of("approvals").select_related("assignee")),
            Prefetch(
                "comments",
                queryset=self._rows_of("comments").select_related(
                    "author", "resolved_by", "hidden_by"
                ),
            ),
            "authors",
            "tags",
            "attachments",
            *tables,
            Prefetch("related_incidents", queryset=Postmortem.objects.order_by("-incident_date")),
        )


class Postmortem(*FIELD_MODELS, models.Model):
    """One incident's postmortem document, as in the template: the fields here are the
    document's own, its sections' fields come from their modules (postmortems.sections)."""

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
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT, db_index=True)
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
    # Set by whoever changes the document (workflow, editing), at the moment they pass: so a
    # loader can replay a past review (the demo) instead of rewriting the dates afterwards.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

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
