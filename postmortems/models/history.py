"""Version history: the document's content after every save, who saved which section, when."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems.models.document import Postmortem


class DocumentVersion(models.Model):
    """The canonical content as it stood after one save (or the creation, or an import).

    Written by ``postmortems.history.record`` for every activity entry that changes the
    content (``postmortems.activity.log_action``), in the same transaction; never changed
    afterwards.
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # Postmortem.revision after the save: what a signature's `signed_revision` points at.
    revision = models.PositiveIntegerField()
    # The document version (1.0, 2.0 after a reopen…) the save belongs to.
    document_version = models.PositiveIntegerField(default=1)
    section = models.CharField(max_length=32, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    # Action-item status is not signed content, but the Markdown shows it.
    action_item_statuses = models.JSONField(default=list)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "number"], name="one_document_version_number"
            )
        ]
        indexes = [models.Index(fields=["postmortem", "revision"])]

    def __str__(self):
        return f"{self.postmortem_id} #{self.number}"
