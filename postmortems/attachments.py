"""Attaching files to a Draft and removing them, as every other change of a document: the
document locked, ``permissions.can_edit`` asked, the change logged with ``log_action`` (which
records the version: attachments are signed content, ``postmortems.content``).

What a file is, and its clean copy, is decided by ``postmortems.uploads`` from its bytes, before
the document is locked (decoding an image takes a moment); how many files and bytes a document
may hold is checked under the lock.
"""

import logging
import shutil
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from postmortems import editing, permissions, uploads
from postmortems.activity import DETAIL_LIMIT, log_action
from postmortems.models import Activity, Attachment, Postmortem
from postmortems.values import clipped

logger = logging.getLogger(__name__)

SECTION = "supporting"


class AttachmentRefused(Exception):
    """The file cannot be attached or removed; the message says why, for the person."""


def max_bytes() -> int:
    return settings.POSTMORTEM_ATTACHMENT_MAX_BYTES


def rules() -> str:
    """What may be attached, in a sentence for the form."""
    return (
        f"{uploads.ALLOWED_TEXT[0].upper()}{uploads.ALLOWED_TEXT[1:]}; at most "
        f"{uploads.megabytes(max_bytes())} a file, {settings.POSTMORTEM_ATTACHMENTS_PER_DOCUMENT} files and "
        f"{uploads.megabytes(settings.POSTMORTEM_ATTACHMENTS_TOTAL_BYTES)} a document. Images are re-encoded "
        "(their metadata, such as a photo's location, is removed; an animation keeps its first "
        "frame)."
    )


def attach(postmortem, upload, *, by, now=None) -> Attachment:
    """Attach an uploaded file (anything with ``name`` and ``read``) to a Draft."""
    if not permissions.can_edit(by, postmortem):
        raise AttachmentRefused(permissions.edit_refusal(by, postmortem))
    data = upload.read(max_bytes() + 1)
    try:
        checked = uploads.check(data, getattr(upload, "name", "") or "", max_bytes=max_bytes())
    except uploads.UploadRefused as refused:
        raise AttachmentRefused(str(refused)) from None
    return _store(postmortem, checked, by=by, now=now or timezone.now())


@transaction.atomic
def _store(postmortem, checked: uploads.CheckedFile, *, by, now) -> Attachment:
    locked = _lock(postmortem, by)
    existing = list(Attachment.objects.filter(postmortem=locked).only("name", "size"))
    limit = settings.POSTMORTEM_ATTACHMENTS_PER_DOCUMENT
    if len(existing) >= limit:
        raise AttachmentRefused(
            f"{locked.key} has {limit} files attached already, the most a document may have. "
            "Remove one to attach another."
        )
    total = settings.POSTMORTEM_ATTACHMENTS_TOTAL_BYTES
    held = sum(a.size for a in existing)
    if held + checked.size > total:
        raise AttachmentRefused(
            f"{checked.name} ({uploads.megabytes(checked.size)}) does not fit: the files of {locked.key} "
            f"take {uploads.megabytes(held)} of the {uploads.megabytes(total)} a document may hold."
        )
    attachment = Attachment(
        postmortem=locked,
        name=_free_name(checked.name, {a.name for a in existing}),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
        uploaded_at=now,
        version=locked.version,
    )
    attachment.file.save("attachment", ContentFile(checked.data), save=False)
    try:
        attachment.save()
        editing.touch(locked, now)
        _log(locked, by, f"attached {attachment.name}", now)
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def remove(postmortem, attachment_id: int, *, by, now=None) -> Attachment | None:
    """Remove a file from a Draft; None when it was removed already (by someone else)."""
    now = now or timezone.now()
    locked = _lock(postmortem, by)
    attachment = Attachment.objects.filter(pk=attachment_id, postmortem=locked).first()
    if attachment is None:
        return None
    attachment.postmortem = locked
    if attachment.is_kept:
        raise AttachmentRefused(
            f"{attachment.name} belongs to version {attachment.version}.0, which was Final: it "
            "stays with that record. Say in the text if it no longer applies."
        )
    attachment.delete()  # the stored file goes once this commits (models.attachments)
    editing.touch(locked, now)
    _log(locked, by, f"removed {attachment.name}", now)
    return attachment


def write_to_zip(archive: zipfile.ZipFile, folder: str, attachment: Attachment) -> None:
    """Copy the stored file into the archive as ``folder + name``, a piece at a time."""
    info = zipfile.ZipInfo(folder + attachment.name, attachment.uploaded_at.timetuple()[:6])
    # Images and PDFs are compressed already.
    is_text = attachment.content_type == Attachment.Kind.TEXT
    info.compress_type = zipfile.ZIP_DEFLATED if is_text else zipfile.ZIP_STORED
    try:
        with attachment.file.open("rb") as source, archive.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    except FileNotFoundError:
        logger.warning("Attachment %s is missing from the storage", attachment.pk)


def _lock(postmortem, user) -> Postmortem:
    try:
        return editing.lock(postmortem, user)
    except editing.EditRefused as refused:
        raise AttachmentRefused(str(refused)) from None


def _log(locked, user, detail, now) -> None:
    detail = clipped(detail, DETAIL_LIMIT)
    log_action(locked, user, Activity.Verb.EDITED, section=SECTION, detail=detail, at=now)


def _free_name(name: str, taken: set[str]) -> str:
    """The name, or name-2, name-3… when a file of the document has it already."""
    if name not in taken:
        return name
    stem, dot, extension = name.rpartition(".")
    number = 2
    while f"{stem}-{number}{dot}{extension}" in taken:
        number += 1
    return f"{stem}-{number}{dot}{extension}"
