"""The activity log: who did what to a document and when, written here and nowhere else.

As pretix's ``log_action``: every change of a document (an edit, a transition, a comment, a
status, an approval slot) calls ``log_action`` inside the transaction that made it. An entry
that changes the content (creating, editing, reopening) also records the version, the content
as it then stands, in the same transaction: no signal, the caller says what it did.
"""

import datetime

from postmortems import history
from postmortems.models import Activity

# A reopen records the content too: it is where a new document version begins, and who wrote
# that version (and so may not review it) starts from the authors at that moment.
CONTENT_VERBS = frozenset({Activity.Verb.CREATED, Activity.Verb.EDITED, Activity.Verb.REOPENED})
# An edit's detail (a row's text, a file's name) is cut to this, between words (values.clipped);
# a reason someone wrote (request changes, reopen) is kept whole.
DETAIL_LIMIT = 300


def log_action(
    postmortem,
    actor,
    verb,
    *,
    section: str = "",
    detail: str = "",
    from_status: str = "",
    to_status: str = "",
    at: datetime.datetime | None = None,
) -> Activity:
    """Append one entry (at `at`, by default now) and, for a content change, its version."""
    entry = Activity(
        postmortem=postmortem,
        actor=actor,
        verb=verb,
        section=section,
        detail=detail,
        from_status=from_status,
        to_status=to_status,
    )
    if at is not None:
        entry.created_at = at
    entry.save()
    if verb in CONTENT_VERBS:
        history.record(entry)
    return entry
