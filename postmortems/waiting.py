"""What /review/ shows of each document waiting for a review, to help decide what to read
first: how long it has waited, its open threads, its review meeting, its blameless-language
findings and where its criteria and section verdicts stand.

Read in a fixed number of queries, whatever the number of documents: ``with_queue_facts``
annotates the list's own query (the last submission from the activity log, the count of open
threads) and joins the meeting; ``describe`` reads only what that loaded.
"""

import datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from postmortems.models import Activity, Comment

# /review/'s orders of the documents waiting for you: ``?sort=`` and its label.
SORTS = {
    "waiting": "Waiting longest",
    "threads": "Most open threads",
    "meeting": "Meeting soonest",
}
DEFAULT_SORT = "waiting"


def with_queue_facts(queryset):
    """The documents with ``submitted_at`` (their last submission for review, from the log),
    ``open_thread_count`` (threads neither resolved nor hidden) and their review meeting."""
    last_submitted = (
        Activity.objects.filter(postmortem=OuterRef("pk"), verb=Activity.Verb.SUBMITTED)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    open_threads = (
        Comment.objects.filter(
            postmortem=OuterRef("pk"),
            parent__isnull=True,
            resolved_at__isnull=True,
            hidden_at__isnull=True,
        )
        .order_by()
        .values("postmortem")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        submitted_at=Subquery(last_submitted),
        open_thread_count=Coalesce(Subquery(open_threads, output_field=IntegerField()), Value(0)),
    ).select_related("review_meeting")


def upcoming_meeting(postmortem):
    """The document's review meeting unless it was cancelled (joined by ``with_queue_facts``;
    a meeting already held still shows, marked so)."""
    meeting = getattr(postmortem, "review_meeting", None)
    return meeting if meeting is not None and not meeting.cancelled else None


def describe(
    postmortems,
    *,
    sort: str = DEFAULT_SORT,
    today: datetime.date | None = None,
    blameless=None,
    verdicts=None,
):
    """The documents (from ``with_queue_facts``) with what the list shows beside each, in the
    order asked for: ``days_waiting``, ``open_threads``, ``meeting``.

    Two figures are computed elsewhere and passed in as functions of the whole list, each
    returning {document pk: figure} in a fixed number of queries: ``blameless`` (the count of
    blameless-language findings) and ``verdicts`` (where the criteria and section verdicts
    stand). Without one, its figure is None and the page leaves its place empty.
    """
    today = today or timezone.now().date()
    postmortems = list(postmortems)
    findings = blameless(postmortems) if blameless else {}
    grids = verdicts(postmortems) if verdicts else {}
    for postmortem in postmortems:
        submitted = getattr(postmortem, "submitted_at", None)
        postmortem.days_waiting = (today - submitted.date()).days if submitted else None
        postmortem.open_threads = getattr(postmortem, "open_thread_count", 0)
        postmortem.meeting = upcoming_meeting(postmortem)
        postmortem.blameless_findings = findings.get(postmortem.pk)
        postmortem.verdicts = grids.get(postmortem.pk)
    return sorted(postmortems, key=_order(sort))


def _order(sort):
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    if sort == "threads":
        return lambda p: (-p.open_threads, p.submitted_at or never, p.pk)
    if sort == "meeting":
        return lambda p: (p.meeting.starts_at if p.meeting else never, p.submitted_at or never)
    # Waiting longest first: the oldest submission; one never submitted (a Draft) last.
    return lambda p: (getattr(p, "submitted_at", None) or never, p.pk)
