"""/review/ helps decide what to read first: for each document waiting for your signature,
how long it has waited (since its last submission, from the activity log), its open threads,
its review meeting; oldest first unless asked otherwise; the same queries for 2 or 20."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import workflow
from postmortems.models import Comment
from postmortems.workflow import meetings
from tests.factories import ready_for_review


def login(client, user):
    client.force_login(user)
    return client


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def make_doc(author, reviewer):
    def make(key, *, submitted_days_ago=None):
        doc = ready_for_review(
            key=key,
            authors=[author],
            slots=[("Author", author, True), ("Reviewer (SRE Lead)", reviewer, False)],
        )
        if submitted_days_ago is not None:
            workflow.submit_for_review(doc, by=author, now=days_ago(submitted_days_ago))
        return doc

    return make


def threads(doc, reviewer, author, *, open=0, resolved=0, hidden=0):
    for n in range(open):
        thread = Comment.objects.create(
            postmortem=doc, section="impact", author=reviewer, body=f"Q{n}"
        )
        Comment.objects.create(
            postmortem=doc, section="impact", author=author, body="A reply", parent=thread
        )
    for n in range(resolved):
        Comment.objects.create(
            postmortem=doc,
            section="timeline",
            author=reviewer,
            body=f"R{n}",
            resolved_at=timezone.now(),
        )
    for n in range(hidden):
        Comment.objects.create(
            postmortem=doc,
            section="timeline",
            author=reviewer,
            body=f"H{n}",
            hidden_at=timezone.now(),
            hidden_by=author,
        )


def test_it_shows_days_waiting_since_the_last_submission(client, make_doc, author, reviewer):
    doc = make_doc("INC-2026-0201", submitted_days_ago=9)
    (waiting,) = login(client, reviewer).get("/review/").context["waiting"]
    assert waiting.days_waiting == 9
    # Sent back and submitted again: the clock starts again.
    workflow.request_changes(doc, by=reviewer, comment="More on the timeline")
    workflow.submit_for_review(doc, by=author, now=days_ago(2))
    response = client.get("/review/")
    (waiting,) = response.context["waiting"]
    assert waiting.days_waiting == 2
    assert "Waiting <strong>2</strong> days" in response.content.decode()


def test_it_counts_open_threads_only(client, make_doc, author, reviewer):
    doc = make_doc("INC-2026-0202", submitted_days_ago=1)
    threads(doc, reviewer, author, open=3, resolved=2, hidden=1)
    response = login(client, reviewer).get("/review/")
    (waiting,) = response.context["waiting"]
    assert waiting.open_threads == 3
    assert "<strong>3</strong> open threads" in response.content.decode()


def test_oldest_waiting_first_and_other_orders(client, make_doc, author, reviewer):
    recent = make_doc("INC-2026-0211", submitted_days_ago=2)
    oldest = make_doc("INC-2026-0212", submitted_days_ago=7)
    middle = make_doc("INC-2026-0213", submitted_days_ago=4)
    threads(recent, reviewer, author, open=5)
    threads(middle, reviewer, author, open=1)
    meetings.schedule_meeting(
        middle,
        by=author,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        duration_minutes=30,
        facilitator=author,
        attendees=[reviewer],
    )
    login(client, reviewer)

    def keys(response):
        return [p.key for p in response.context["waiting"]]

    response = client.get("/review/")
    assert keys(response) == [oldest.key, middle.key, recent.key]
    assert response.context["sort"] == "waiting"
    assert keys(client.get("/review/?sort=threads")) == [recent.key, middle.key, oldest.key]
    assert keys(client.get("/review/?sort=meeting")) == [middle.key, oldest.key, recent.key]
    # Anything else: the default.
    assert keys(client.get("/review/?sort=evil")) == [oldest.key, middle.key, recent.key]


def test_the_figures_others_build_have_empty_safe_places(client, make_doc, reviewer):
    make_doc("INC-2026-0221", submitted_days_ago=1)
    response = login(client, reviewer).get("/review/")
    (waiting,) = response.context["waiting"]
    body = response.content.decode()
    assert 'data-fact="waiting"' in body and 'data-fact="threads"' in body
    assert 'data-fact="meeting"' in body and "No review meeting" in body
    # Where the blameless findings and verdicts go, when their modules hand them in.
    assert hasattr(waiting, "blameless_findings") and hasattr(waiting, "verdicts")


def test_the_query_count_does_not_grow_with_the_documents(client, make_doc, author, reviewer):
    def add(first, count):
        for n in range(first, first + count):
            doc = make_doc(f"INC-2026-{300 + n:04d}", submitted_days_ago=n % 9)
            threads(doc, reviewer, author, open=2, resolved=1)
            meetings.schedule_meeting(
                doc,
                by=author,
                starts_at=timezone.now() + datetime.timedelta(days=1 + n),
                duration_minutes=60,
                facilitator=author,
                attendees=[author, reviewer],
            )

    def count(person):
        login(client, person)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/review/")
        assert response.status_code == 200
        return len(queries), response.context

    add(0, 2)
    small_reviewer, context = count(reviewer)
    assert len(context["waiting"]) == 2
    small_author, context = count(author)
    assert len(context["in_review_mine"]) == 2
    add(2, 18)
    large_reviewer, context = count(reviewer)
    assert len(context["waiting"]) == 20
    assert all(p.meeting is not None and p.open_threads == 2 for p in context["waiting"])
    large_author, context = count(author)
    assert len(context["in_review_mine"]) == 20
    assert all(p.meeting is not None for p in context["in_review_mine"])
    assert (large_reviewer, large_author) == (small_reviewer, small_author)


def test_each_waiting_document_counts_its_blameless_findings(client, make_doc, reviewer):
    from postmortems.models import Postmortem

    blameful = make_doc("INC-2026-0701", submitted_days_ago=2)
    Postmortem.objects.filter(pk=blameful.pk).update(
        root_cause_why="The outage was human error: Bob forgot to run the check."
    )
    clean = make_doc("INC-2026-0702", submitted_days_ago=1)
    login(client, reviewer)
    waiting = {p.key: p for p in client.get("/review/").context["waiting"]}
    assert waiting["INC-2026-0701"].blameless_findings >= 2
    assert waiting[clean.key].blameless_findings == 0
