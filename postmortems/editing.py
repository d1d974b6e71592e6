"""Saving the authors' edits without ever overwriting each other's work.

Every save locks the document row, checks that the section (or table row) is still at the
revision the author's form was opened at, writes, and bumps the revisions. A stale form is
refused with ``EditConflict``; the view then shows what was saved meanwhile next to the
author's own text.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from postmortems import permissions
from postmortems.activity import DETAIL_LIMIT, log_action
from postmortems.models import MAX_RELATED, Activity, Postmortem, Tag
from postmortems.models.document import new_secret
from postmortems.values import clipped
from postmortems.workflow.approvals import apply_policy


class EditRefused(Exception):
    """The document cannot be edited by this person now; the message says why."""


class EditConflict(Exception):
    """Someone else saved the same section or row after this form was opened."""

    def __init__(self, current, by: str = "", at: str = ""):
        super().__init__("Someone else saved this meanwhile.")
        self.current = current
        self.by = by
        self.at = at


def section_revision(postmortem, slug: str) -> int:
    return int(postmortem.section_revisions.get(slug, {}).get("rev", 0))


def lock(postmortem, user) -> Postmortem:
    """The document, locked for this change, if this person may edit it (else EditRefused)."""
    locked = (
        Postmortem.objects.select_for_update().prefetch_related("authors").get(pk=postmortem.pk)
    )
    if not permissions.can_edit(user, locked):
        raise EditRefused(permissions.edit_refusal(user, locked))
    return locked


def stamp(locked, slug: str, user, now=None) -> None:
    """Record the section's new revision and who saved it; bump the document's revision.

    Every content change also draws a new secret for the related incidents' commitments, so
    that comparing two exports tells which commitments changed only as "all of them".
    """
    now = now or timezone.now()
    revisions = dict(locked.section_revisions)
    revisions[slug] = {
        "rev": section_revision(locked, slug) + 1,
        "by": user.name,
        "at": now.strftime("%Y-%m-%d %H:%M UTC"),
    }
    Postmortem.objects.filter(pk=locked.pk).update(
        section_revisions=revisions,
        revision=F("revision") + 1,
        updated_at=now,
        related_secret=new_secret(),
    )


@transaction.atomic
def save_section(postmortem, slug: str, form, *, by, now=None) -> Postmortem:
    """Save a section form if nobody saved the section since the form was opened (at
    ``now``, by default now)."""
    locked = lock(postmortem, by)
    expected = form.cleaned_data["section_revision"]
    if section_revision(locked, slug) != expected:
        info = locked.section_revisions.get(slug, {})
        raise EditConflict(locked, by=info.get("by", ""), at=info.get("at", ""))
    instance = form.save(commit=False)
    fields = [name for name in form._meta.fields if not _is_many_to_many(instance, name)]
    instance.save(update_fields=fields)  # and updated_at, with the revisions (stamp)
    form.save_m2m()
    if "tags" in form.cleaned_data:
        _save_tags(instance, form.cleaned_data["tags"])
    if "severity" in form.changed_data:
        # Who must sign follows the severity's approval policy.
        apply_policy(instance, by=by)
    stamp(locked, slug, by, now)
    _log_edit(locked, slug, by, "saved the section", now)
    return instance


def _is_many_to_many(instance, name) -> bool:
    return instance._meta.get_field(name).many_to_many


def _save_tags(postmortem, names: list[str]) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in names]
    postmortem.tags.set(tags)


@transaction.atomic
def add_row(postmortem, slug: str, form, *, by):
    lock(postmortem, by)
    row = form.save(commit=False)
    row.postmortem = postmortem
    row.save()
    touch(postmortem)
    _log_edit(postmortem, slug, by, f"added: {row}")
    return row


@transaction.atomic
def update_row(postmortem, slug: str, form, *, by):
    """Save an edited row unless someone else saved or deleted it since the form was opened."""
    lock(postmortem, by)
    model = type(form.instance)
    # Locked: a status change of the same row (which does not lock the document) waits.
    current = (
        model.objects.select_for_update().filter(pk=form.instance.pk, postmortem=postmortem).first()
    )
    if current is None:
        raise EditConflict(None)
    # An edit that does not say which revision it was made on is never applied blind.
    if form.cleaned_data.get("revision") != current.revision:
        raise EditConflict(current)
    row = form.save(commit=False)
    row.revision = current.revision + 1
    row.save()
    touch(postmortem)
    _log_edit(postmortem, slug, by, f"changed: {row}")
    return row


@transaction.atomic
def delete_row(postmortem, slug: str, row, *, by) -> None:
    lock(postmortem, by)
    deleted, _ = type(row).objects.filter(pk=row.pk, postmortem=postmortem).delete()
    if not deleted:
        return  # someone removed it meanwhile: the row is gone, as asked, and was logged once
    touch(postmortem)
    _log_edit(postmortem, slug, by, f"removed: {row}")


def touch(postmortem, now=None):
    """Content changed outside a section's own fields (rows, files): the document revision
    moves so that signatures on the earlier content become stale, and the related incidents'
    commitments are drawn afresh, as for any edit."""
    Postmortem.objects.filter(pk=postmortem.pk).update(
        revision=F("revision") + 1, updated_at=now or timezone.now(), related_secret=new_secret()
    )


def _log_edit(postmortem, slug, user, detail, now=None):
    detail = clipped(detail, DETAIL_LIMIT)  # a row's text may be long: cut between words
    log_action(postmortem, user, Activity.Verb.EDITED, section=slug, detail=detail, at=now)


@transaction.atomic
def link_related(postmortem, other, *, by) -> bool:
    """Add ``other`` to the Draft's related incidents; False when it already was one."""
    locked = lock(postmortem, by)
    if other.pk == locked.pk:
        raise EditRefused("A postmortem cannot be related to itself.")
    if locked.related_incidents.filter(pk=other.pk).exists():
        return False
    seen = locked.related_incidents.filter(pk__in=Postmortem.objects.visible_to(by).values("pk"))
    if seen.count() >= MAX_RELATED:
        raise EditRefused(f"{locked.key} has {MAX_RELATED} related incidents already.")
    locked.related_incidents.add(other)
    # The same bookkeeping as a save of the section: an open Supporting form is now stale
    # (so it cannot drop the link), and signatures on the earlier content go stale too.
    stamp(locked, "supporting", by)
    # The log is read by everyone who may read this document, and the other one may be
    # restricted: it is not named here (the history's diff names it to those who may see it).
    _log_edit(locked, "supporting", by, "linked a related incident")
    return True


@transaction.atomic
def set_item_status(item, *, by, status) -> bool:
    """An action item's status, in any document status (Final too); False when unchanged.

    A new revision of the row: an edit form opened before this is now a conflict, so its save
    cannot put the old status back. Not content: no version, no signature goes stale.
    """
    if not permissions.can_set_item_status(by, item, item.postmortem):
        raise EditRefused("Only the owner or an author of the postmortem can change this item.")
    if status == item.status:
        return False
    before = item.get_status_display()
    item.status = status
    item.revision = F("revision") + 1
    item.save(update_fields=["status", "revision", "updated_at"])
    item.refresh_from_db(fields=["revision"])
    log_action(
        item.postmortem,
        by,
        Activity.Verb.ACTION_ITEM_STATUS,
        section="action-items",
        detail=f"{item.action}: {before} → {item.get_status_display()}",
    )
    return True


@transaction.atomic
def add_rows(postmortem, slug: str, forms, *, by, revision=None) -> list:
    """Add many rows to a section's table as one change: the document locked once, its
    revision bumped once, one entry in the activity log (so one version in the history).

    ``forms`` are valid row forms of the section. With ``revision`` (the document's revision
    when the rows were previewed), a document changed since then (another save, or these very
    rows added by an earlier submission of the same preview) raises EditConflict and nothing
    is added.
    """
    if not forms:
        return []
    locked = lock(postmortem, by)
    if revision is not None and locked.revision != revision:
        raise EditConflict(locked)
    rows = []
    for form in forms:
        row = form.save(commit=False)
        row.postmortem = locked
        row.save()
        rows.append(row)
    touch(locked)
    meta = type(rows[0])._meta
    noun = meta.verbose_name if len(rows) == 1 else meta.verbose_name_plural
    _log_edit(locked, slug, by, f"added {len(rows)} {noun}")
    return rows
