"""The canonical content of a document: what reviewers sign, what a Final snapshot keeps.

Only what the authors wrote counts (sections and tables) — not status, approvals, comments
or timestamps — so commenting never changes what was signed and every edit does.

Related incidents may be restricted, and the hash is published (on the page, in export.json):
hashed over their keys, it would let anyone try candidate keys until one matched. So the hash
covers commitments instead: for each related key, SHA-256 of "opening:key", where the opening
is an HMAC of the key under the document's own secret (never shown); padded with as many
decoys as it takes to make a multiple of COMMITMENT_BUCKET, sorted. Every reader can check the hash; a reader
given a key's opening can check that key is among the commitments; nobody learns a key, nor
how many there are, from what they are not given. See README "Verifying a signature".
"""

import hashlib
import hmac
import json

from postmortems.models import Postmortem
from postmortems.sections import ROWS

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
        # The key of the related incidents' commitments: never content, never shown.
        "related_secret",
    }
]
# Commitments come in lists of this many (decoys fill the rest): the number of related
# incidents shows only as which multiple of it the list has, 32 for any document but a few.
COMMITMENT_BUCKET = 32

# The rows of every table that are signed content, as each section declares them.
ROW_FIELDS = {rows.related_name: rows.content_fields for rows in ROWS}


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
    content["related_commitments"] = related_commitments(
        postmortem.related_secret, content["related_incidents"]
    )
    for related_name, fields in ROW_FIELDS.items():
        content[related_name] = [
            {name: getattr(row, name) for name in fields}
            for row in getattr(postmortem, related_name).all()
        ]
    # Attached files, each by its bytes' SHA-256. Only when there are some: the content, and
    # so the hash, of a document without any is what it always was.
    attachments = sorted(
        (
            {"name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in postmortem.attachments.all()
        ),
        key=lambda a: a["name"],
    )
    if attachments:
        content["attachments"] = attachments
    return json.loads(json.dumps(content, default=str))


def opening(secret: str, key: str) -> str:
    """What proves that `key` is one of the commitments; given only to who may see `key`."""
    return hmac.new(secret.encode(), f"related:{key}".encode(), hashlib.sha256).hexdigest()


def commitment(opening_value: str, key: str) -> str:
    return hashlib.sha256(f"{opening_value}:{key}".encode()).hexdigest()


def related_commitments(secret: str, keys: list[str]) -> list[str]:
    real = [commitment(opening(secret, key), key) for key in keys]
    size = COMMITMENT_BUCKET * max(1, -(-len(real) // COMMITMENT_BUCKET))
    decoys = [
        hmac.new(secret.encode(), f"decoy:{n}".encode(), hashlib.sha256).hexdigest()
        for n in range(size - len(real))
    ]
    return sorted(real + decoys)


def hashed_part(content: dict) -> dict:
    """What the hash covers: everything but the related keys, which the commitments stand for."""
    return {name: value for name, value in content.items() if name != "related_incidents"}


def content_hash(content: dict) -> str:
    encoded = json.dumps(
        hashed_part(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(encoded.encode()).hexdigest()


def document_hash(postmortem) -> str:
    return content_hash(canonical_content(postmortem))


def is_current(approval, postmortem) -> bool:
    """Signed on the document's present content: any change to it, through the editor or
    behind its back, makes the signature stale (the hash, not a revision number, decides)."""
    return approval.signed_on(document_hash(postmortem))
