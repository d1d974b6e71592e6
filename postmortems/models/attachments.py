"""Files attached to a postmortem: screenshots, graphs, logs, PDFs (Supporting information).

The bytes live in Django's storage (``STORAGES["default"]``: a folder by default, S3 through
django-storages), under a random name that says nothing of the document or the file; the row
says what the file is. Everything about it was decided from its bytes when it was attached
(``postmortems.uploads``), never from what the browser claimed. Files are served only by a
view that checks who may read the document (``postmortems.views.attachments``).
"""

import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from postmortems.models.document import Postmortem


def stored_name(instance, filename) -> str:
    """Where the bytes go: a random name, no extension, nothing of the document or the file."""
    return f"attachments/{secrets.token_urlsafe(32)}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        # The content types a file can be given: decided by postmortems.uploads.
        PNG = "image/png", "PNG image"
        JPEG = "image/jpeg", "JPEG image"
        WEBP = "image/webp", "WebP image"
        PDF = "application/pdf", "PDF"
        TEXT = "text/plain", "Text"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=stored_name, max_length=200)
    # The original name, sanitised: ASCII letters, digits, ".", "_" and "-", with the extension
    # of what the file really is. Unique in its document (the zip export's file names).
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=32, choices=Kind)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # The document version it was attached to: one attached to an earlier version belongs to
    # that version's Final snapshot, and stays.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "name"], name="one_attachment_per_name")
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("postmortems:attachment", args=[self.postmortem.key, self.pk, self.name])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def markdown(self) -> str:
        """What an author types in any Markdown text: an image shown inline, a link to any other
        file (only these addresses make an image: postmortems.markdown_engine)."""
        if not self.is_image:
            return f"[{self.name}]({self.get_absolute_url()})"
        alt = self.name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip()
        return f"![{alt or self.name}]({self.get_absolute_url()})"

    @property
    def is_kept(self) -> bool:
        """Part of an earlier, Final version of the document: it stays with that record."""
        return self.version < self.postmortem.version


@receiver(post_delete, sender=Attachment)
def _delete_stored_file(sender, instance, **kwargs):
    """The bytes go once the row is gone for good (never for a rolled-back removal)."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
