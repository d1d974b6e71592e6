"""The canonical content of a document: what reviewers sign, what a Final snapshot keeps.

Only what the authors wrote counts (sections and tables) — not status, approvals, comments
or timestamps — so commenting never changes what was signed and every edit does.
"""

import hashlib
import json

from postmortems.models import Postmortem

SCALAR_FIELDS = [
    f.name
    for f in Postmortem._meta.concrete_fields
    if f.name
    not in {
        "id",
        "key",
        "status",
        "version",
        "revision",
        "section_revisions",
        "created_by",
        "created_at",
        "updated_at",
        "next_review_date",
        # Who may read it is access, not content: changing it does not need new signatures.
        "restricted",
        # What an import could not place: notes for the authors, not signed content.
        "import_notes",
    }
]

ROW_FIELDS = {
    "timeline": ["occurred_at", "milestone", "description"],
    "contributing_factors": ["description"],
    "responders": ["role", "user_id", "name", "joined_at"],
    "action_items": [
        "category",
        "action",
        "owner_id",
        "owner_name",
        "due_date",
        "priority",
        "tracker_url",
    ],
    "lessons": ["category", "text"],
    "links": ["kind", "title", "url"],
}


def canonical_content(postmortem) -> dict:
    """A plain, ordered dict of the document's content (expects `with_document()` prefetch).

    Action-item status is left out: it stays editable after Final and is not what was signed.
    """
    content = {"key": postmortem.key}
    for name in SCALAR_FIELDS:
        content[name] = getattr(postmortem, name)
    content["authors"] = sorted(a.pk for a in postmortem.authors.all())
    content["tags"] = sorted(t.name for t in postmortem.tags.all())
    content["related_incidents"] = sorted(p.key for p in postmortem.related_incidents.all())
    for related_name, fields in ROW_FIELDS.items():
        content[related_name] = [
            {name: getattr(row, name) for name in fields}
            for row in getattr(postmortem, related_name).all()
        ]
    return json.loads(json.dumps(content, default=str))


def content_hash(content: dict) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def document_hash(postmortem) -> str:
    return content_hash(canonical_content(postmortem))
