"""Restoring one section of a Draft as it was in an earlier version of the history.

A version (``DocumentVersion``) holds the document's signed content as it then stood
(``content.canonical_content``: its fields by name, its tables' rows without their ids). A
restore writes one section's fields, and for a table section its rows, back from it, as any
save does: the document locked, ``permissions.can_edit`` asked (a Draft's authors, and
administrators), the section's revision bumped (a form opened before it is now stale), and one
entry in the activity log ("restored Timeline from version 12"), which records the new version.

What a restore does not do: reveal or drop what the restorer may not see (a related incident
of another document they cannot read stays linked as it is now, and one the version named that
they cannot read is not linked again), take the restorer out of the authors, change an action
item's progress (its status is not content: an item still there keeps it), or bring back
attached files (their bytes are not in a version).
"""

import json

from django.db import transaction

from accounts.models import User
from postmortems.activity import log_action
from postmortems.content import ROW_FIELDS, SCALAR_FIELDS, canonical_content
from postmortems.editing import EditRefused, lock, stamp
from postmortems.models import MAX_RELATED, Activity, DocumentVersion, Postmortem, Tag
from postmortems.sections import BY_SLUG
from postmortems.workflow.approvals import apply_policy

# The many-to-many fields the content holds, as it holds them.
SETS = ("authors", "tags", "related_incidents")


class RestoreRefused(EditRefused):
    """Nothing was restored; the message says why."""


def restorable(slug: str):
    """The section of that slug, if a restore can write it."""
    return BY_SLUG.get(slug)


def _fields(section) -> list[str]:
    """The section's content fields on the document (not who may read it: not content)."""
    return [n for n in section.field_names if n in SCALAR_FIELDS or n in SETS]


@transaction.atomic
def restore_section(postmortem, number, slug: str, *, by, now=None) -> bool:
    """Write section `slug` of the Draft back as it was in its version `number`; False when it
    is that already (nothing is written, nothing logged). Raises EditRefused (not a Draft, not
    an author) and RestoreRefused (no such section, or no such version of this document)."""
    section = restorable(slug)
    if section is None:
        raise RestoreRefused("There is no such section.")
    locked = lock(postmortem, by)
    version = DocumentVersion.objects.filter(postmortem=locked, number=number).first()
    if version is None:  # a version of another document is not one of this one's
        raise RestoreRefused(f"There is no version {number} of {locked.key}.")
    current = canonical_content(Postmortem.objects.with_document().get(pk=locked.pk))
    wanted = _wanted(locked, section, version, current, by)
    if all(wanted[name] == current.get(name) for name in wanted):
        return False
    _write(locked, section, wanted, version, by)
    stamp(locked, slug, by, now)
    log_action(
        locked,
        by,
        Activity.Verb.EDITED,
        section=slug,
        detail=f"restored {section.title} from version {version.number}",
        at=now,
    )
    return True


def _wanted(locked, section, version, current, by) -> dict:
    """{content name: value as the canonical content writes it} of the section once restored."""
    old = version.content
    wanted = {}
    for name in _fields(section):
        if name not in old:  # a field added since: it was empty then
            field = locked._meta.get_field(name)
            wanted[name] = [] if field.many_to_many else _json(field.get_default())
        else:
            wanted[name] = old[name]
    if "authors" in wanted:
        # Who restores stays an author (an administrator need not be one), and only accounts
        # that still exist are named.
        authors = set(User.objects.filter(pk__in=wanted["authors"]).values_list("pk", flat=True))
        if by.pk in current["authors"]:
            authors.add(by.pk)
        wanted["authors"] = sorted(authors or current["authors"])
    if "related_incidents" in wanted:
        wanted["related_incidents"] = _related(locked, wanted["related_incidents"], current, by)
    if section.rows is not None:
        name = section.rows.related_name
        wanted[name] = [
            {field: row.get(field) for field in ROW_FIELDS[name]} for row in old.get(name, [])
        ]
    return wanted


def _related(locked, keys, current, by) -> list[str]:
    """The version's related incidents the restorer may read, and every link they may not
    read as it is now: as the Supporting form keeps them."""
    visible = Postmortem.objects.visible_to(by).exclude(pk=locked.pk)
    seen = list(visible.filter(key__in=keys).values_list("key", flat=True))[:MAX_RELATED]
    now_linked = current["related_incidents"]
    readable_now = set(visible.filter(key__in=now_linked).values_list("key", flat=True))
    hidden = [key for key in now_linked if key not in readable_now]
    return sorted({*seen, *hidden})


def _json(value):
    """A value as the canonical content holds it (dates and numbers as text)."""
    return json.loads(json.dumps(value, default=str))


def _write(locked, section, wanted, version, by) -> None:
    fields = []
    severity_before = locked.severity
    for name, value in wanted.items():
        if name in SETS or (section.rows is not None and name == section.rows.related_name):
            continue
        setattr(locked, name, locked._meta.get_field(name).to_python(value))
        fields.append(name)
    if fields:
        locked.save(update_fields=fields)
    if "authors" in wanted:
        locked.authors.set(wanted["authors"])
    if "tags" in wanted:
        locked.tags.set([Tag.objects.get_or_create(name=name)[0] for name in wanted["tags"]])
    if "related_incidents" in wanted:
        keys = wanted["related_incidents"]
        locked.related_incidents.set(Postmortem.objects.filter(key__in=keys))
    if section.rows is not None:
        _write_rows(locked, section.rows, wanted[section.rows.related_name], version)
    if locked.severity != severity_before:
        apply_policy(locked, by=by)  # who must sign follows the severity, as on any save


def _write_rows(locked, rows, values, version) -> None:
    """The table's rows as the version had them. Each is saved on its own (the search index
    follows every row saved); an action item still there keeps its status."""
    model = rows.model
    existing = list(model.objects.filter(postmortem=locked))
    statuses = {}
    if rows.related_name == "action_items":
        statuses = {item.action: item.status for item in existing}
    people = set()
    if rows.person:
        account = rows.person[1] + "_id"
        ids = {row.get(account) for row in values if row.get(account)}
        people = set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
    model.objects.filter(postmortem=locked).delete()
    for index, row in enumerate(values):
        data = {}
        for name, value in row.items():
            field = model._meta.get_field(name.removesuffix("_id"))
            data[name] = value if name.endswith("_id") else field.to_python(value)
        if rows.person:
            name_field, account = rows.person[0], rows.person[1] + "_id"
            if data.get(account) and data[account] not in people:
                data[account], data[name_field] = None, data[name_field] or "(a former account)"
        if rows.related_name == "action_items":
            old = version.action_item_statuses
            data["status"] = statuses.get(data["action"]) or (
                old[index] if index < len(old) else model._meta.get_field("status").default
            )
        model(postmortem=locked, **data).save()
