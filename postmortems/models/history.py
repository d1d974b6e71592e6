"""Version history: the document's content after every save, who saved which section, when."""

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver

from postmortems.models.document import Postmortem
from postmortems.models.review import Activity


class DocumentVersion(models.Model):
    """The canonical content as it stood after one save (or the creation, or an import).

    Written by ``postmortems.history.record`` for every Activity that changes content, in the
    same transaction; never changed afterwards.
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
    created_at = models.DateTimeField(auto_now_add=True)
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


# A reopen records the content too: it is where a new document version begins, and who wrote
# that version (and so may not review it) starts from the authors at that moment.
CONTENT_VERBS = {Activity.Verb.CREATED, Activity.Verb.EDITED, Activity.Verb.REOPENED}


@receiver(post_save, sender=Activity, dispatch_uid="history-version-on-activity")
def _activity_saved(sender, instance, created, raw=False, **kwargs):
    """Every content change writes an Activity entry; each one gets the content beside it."""
    if created and not raw and instance.verb in CONTENT_VERBS:
        from postmortems import history

        history.record(instance)
