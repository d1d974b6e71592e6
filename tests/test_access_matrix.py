"""Who may do what, for every URL of a document: generated from the URL configuration.

Every URL × (anonymous, outsider, author, reviewer, approver, admin) × (Draft, Under Review,
Final, restricted) × (GET, POST) → the expected status code, and the document changes only
where the rules allow it. A URL added without an entry in RULES fails `test_every_url_has_rules`.

The people and a document in each state are made once for the module (`world`); every case
runs in a savepoint of its own, so what its request changed is rolled back before the next.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from postmortems import attachments, workflow
from postmortems.exchange.paste import digest as paste_digest
from postmortems.models import (
    ActionItem,
    Approval,
    Attachment,
    Comment,
    Postmortem,
    ReviewMeeting,
    SectionVerdict,
    TimelineEvent,
)
from postmortems.workflow import meetings
from tests.factories import (
    PASSWORD,
    UserFactory,
    criteria_tokens,
    ready_for_review,
    shown_hash,
    sign,
)

ROLES = ["anonymous", "outsider", "author", "reviewer", "approver", "admin"]
STATES = ["draft", "in_review", "final", "restricted"]
EDITORS = {"author", "admin"}
NAMED = {"author", "reviewer", "approver", "admin"}  # may read a restricted document


def _routes(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


DOCUMENT_ROUTES = sorted(
    (name, route) for name, route in _routes(get_resolver().url_patterns) if "<key:key>" in route
)
ITEM_ROUTES = sorted(
    (name, route)
    for name, route in _routes(get_resolver().url_patterns)
    if "<int:item_id>" in route
)


# For each URL: the data posted, and who may change the document (role, state) with it.
# `get` is what a GET answers to someone who may read the document; `post` likewise.
def editor_only(role, state):
    return role in EDITORS and state in ("draft", "restricted")


RULES = {
    "postmortems:detail": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    "postmortems:edit": {
        "get": lambda r, s: 200 if editor_only(r, s) else 403,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {
            "section_revision": "0",
            "regions": "EU only",
            "affected_users": "5",
            "slo_target": "99.9",
            "slo_window_days": "28",
        },
        "changes": editor_only,
    },
    "postmortems:row-add": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {"new-occurred_at": "14:30", "new-description": "added"},
        "changes": editor_only,
    },
    "postmortems:row-edit": {
        "get": lambda r, s: 302 if editor_only(r, s) else 403,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {
            "row-revision": "1",
            "row-occurred_at": "14:31",
            "row-description": "edited",
        },
        "changes": editor_only,
    },
    "postmortems:row-delete": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "changes": editor_only,
    },
    # Rows in bulk: previewing and adding both only for who may edit (a Draft's authors).
    "postmortems:paste-rows": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {
            "paste": "14:30 - pasted",
            "digest": paste_digest("timeline", "14:30 - pasted", ctx["doc"].incident_date),
            "take-0": "1",
            "_add": "1",
        },
        "changes": editor_only,
    },
    "postmortems:submit": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302,
        "changes": lambda r, s: r == "author" and s in ("draft", "restricted"),
    },
    "postmortems:withdraw": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302,
        "changes": lambda r, s: r == "author" and s == "in_review",
    },
    "postmortems:request-changes": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302,
        "data": lambda ctx: {"comment": "Please explain the threshold."},
        "changes": lambda r, s: r in ("reviewer", "approver") and s == "in_review",
    },
    "postmortems:reopen": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302,
        "data": lambda ctx: {"reason": "New findings"},
        "changes": lambda r, s: r in EDITORS and s == "final",
    },
    "postmortems:approvals": {
        "get": lambda r, s: 200,
        "post": lambda r, s: 302 if (r in EDITORS and s in ("draft", "restricted")) else 200,
        "data": lambda ctx: {"new-role": "Reviewer (Security)", "new-required": "on"},
        "changes": lambda r, s: r in EDITORS and s in ("draft", "restricted"),
    },
    "postmortems:sign": {
        "get": lambda r, s: 200 if r == "reviewer" else 403,
        "post": lambda r, s: (302 if s == "in_review" else 200) if r == "reviewer" else 403,
        "data": lambda ctx: {
            "password": PASSWORD,
            "seen_hash": shown_hash(ctx["doc"]),
            "criteria": criteria_tokens(),
        },
        "changes": lambda r, s: r == "reviewer" and s == "in_review",
    },
    # A section's verdict: the holders of a reviewer's or approver's slot, Under Review only.
    "postmortems:section-verdict": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in ("reviewer", "approver") and s == "in_review" else 403,
        "data": lambda ctx: {"verdict": "good", "comment": "Clear."},
        "changes": lambda r, s: r in ("reviewer", "approver") and s == "in_review",
    },
    "postmortems:comment-add": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in NAMED else 403,
        "data": lambda ctx: {"section": "impact", "body": "A question"},
        "changes": lambda r, s: r in NAMED,
    },
    # Hiding a comment: an author or an administrator, in every status (Final too).
    "postmortems:comment-hide": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in EDITORS else 403,
        "data": lambda ctx: {"reason": "Off topic"},
        "changes": lambda r, s: r in EDITORS,
    },
    "postmortems:comment-resolve": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in NAMED else 403,
        "changes": lambda r, s: r in NAMED,
    },
    # Linking a similar incident: the document's own key is refused for everyone (with a
    # message), so nothing changes here; tests/postmortems/test_search.py links a real one.
    "postmortems:link-related": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302,
        "data": lambda ctx: {"related": ctx["doc"].key},
        "changes": None,
    },
    "postmortems:snapshot": {
        "get": lambda r, s: 200 if s == "final" else 404,
        "post": lambda r, s: 405,
        "changes": None,
    },
    # Exports and the version history: read-only, for anyone who may read the document.
    "postmortems:export-md": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    "postmortems:export-json": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    # The PDF (made by WeasyPrint: needs Pango, as CI installs it; without it the answer is 503).
    "postmortems:export-pdf": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    "postmortems:history": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    # Restoring a section of an earlier version: who may edit (a Draft's authors). Version 1
    # of these documents holds what they hold now, so nothing changes even for them (a
    # restore that is one is a no-op); tests/postmortems/test_restore.py restores real ones.
    "postmortems:history-restore": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {"section": "timeline"},
        "changes": None,
    },
    # Attachments: uploaded and removed by who may edit (a Draft's authors); read by anyone
    # who may read the document (a restricted one's: 404 for everyone else).
    "postmortems:attachments": {
        "get": lambda r, s: 200 if editor_only(r, s) else 403,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "data": lambda ctx: {"file": SimpleUploadedFile("notes.txt", b"Paged at 14:23.\n")},
        "changes": editor_only,
    },
    "postmortems:attachment": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    # The blameless-language check as one types: the authors, reviewers and administrators
    # (not every reader), in every status; it changes nothing.
    "postmortems:wording-check": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 200 if r in NAMED else 403,
        "data": lambda ctx: {
            "bl_section": "impact",
            "bl_field": "regions",
            "regions": "Bob forgot",
        },
        "changes": None,
    },
    # Marking a finding intended: the authors and administrators until Final. (A mark is review
    # metadata, not in the fingerprint; tests/postmortems/test_blameless.py marks real ones.)
    "postmortems:wording-mark": {
        "get": lambda r, s: 200 if r in EDITORS and s != "final" else 403,
        "post": lambda r, s: 302 if r in EDITORS and s != "final" else 403,
        "data": lambda ctx: {"finding": "0" * 64, "reason": "The customer's own words"},
        "changes": None,
    },
    "postmortems:attachment-remove": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if editor_only(r, s) else 403,
        "changes": editor_only,
    },
    # The review meeting: seen, and its .ics downloaded, by whoever may read the document;
    # scheduled, moved, cancelled and its notes written by the authors and administrators, in
    # every status (review metadata, not content).
    "postmortems:meeting": {
        "get": lambda r, s: 200,
        "post": lambda r, s: 302 if r in EDITORS else 403,
        "data": lambda ctx: {
            "date": "2099-03-02",
            "time": "15:00",
            "duration_minutes": "45",
            "facilitator": str(ctx["doc"].authors.first().pk),
        },
        "changes": lambda r, s: r in EDITORS,
    },
    "postmortems:meeting-notes": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in EDITORS else 403,
        "data": lambda ctx: {"notes": "Agreed: raise the pool size.", "base": ""},
        "changes": lambda r, s: r in EDITORS,
    },
    "postmortems:meeting-cancel": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in EDITORS else 403,
        "changes": lambda r, s: r in EDITORS,
    },
    "postmortems:meeting-ics": {"get": lambda r, s: 200, "post": lambda r, s: 405, "changes": None},
    "postmortems:action-item-status": {
        "get": lambda r, s: 405,
        "post": lambda r, s: 302 if r in EDITORS else 403,
        "data": lambda ctx: {"status": "done"},
        "changes": lambda r, s: r in EDITORS,
    },
}


def test_every_url_has_rules():
    names = {name for name, _ in DOCUMENT_ROUTES + ITEM_ROUTES}
    assert names - set(RULES) == set(), "add the new URL to RULES with who may do what"


@dataclass(frozen=True)
class World:
    people: dict  # role → person
    sessions: dict  # role → the session cookie of that person, signed in
    docs: dict  # state → its document
    made: dict  # state → the fingerprint of its document as made
    paths: dict  # (URL name, state) → the URL tried on that document


@pytest.fixture(scope="module")
def world(made_once):
    """Everyone the matrix needs and a document in each state, made once for the module."""
    yield from made_once(make_world)


def make_world():
    people = {
        "author": UserFactory(username="alice", display_name="Alice"),
        "reviewer": UserFactory(username="carol", display_name="Carol"),
        "approver": UserFactory(username="victor", display_name="Victor"),
        "outsider": UserFactory(username="mallory", display_name="Mallory"),
        "admin": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    docs = {
        state: build(people, state, key=f"INC-2026-{100 + n:04d}") for n, state in enumerate(STATES)
    }
    return World(
        people=people,
        sessions={role: signed_in(person) for role, person in people.items()},
        docs=docs,
        made={state: fingerprint(doc) for state, doc in docs.items()},
        paths={
            (name, state): path_for(name, route, doc)
            for name, route in DOCUMENT_ROUTES + ITEM_ROUTES
            for state, doc in docs.items()
        },
    )


def signed_in(person):
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build(people, state, key="INC-2026-0100"):
    doc = ready_for_review(
        key=key,
        authors=[people["author"]],
        slots=[
            ("Author", people["author"], True),
            ("Reviewer (SRE Lead)", people["reviewer"], False),
            ("Approver (VP Eng)", people["approver"], False),
        ],
    )
    if state == "restricted":
        Postmortem.objects.filter(pk=doc.pk).update(restricted=True)
    attachments.attach(
        doc, SimpleUploadedFile("timeline.txt", b"14:23 paged\n"), by=people["author"]
    )
    if state in ("in_review", "final"):
        workflow.submit_for_review(doc, by=people["author"])
    if state == "final":
        for role, who in [
            ("Author", "author"),
            ("Reviewer (SRE Lead)", "reviewer"),
            ("Approver (VP Eng)", "approver"),
        ]:
            sign(Approval.objects.get(postmortem=doc, role=role), by=people[who], password=PASSWORD)
    Comment.objects.create(postmortem=doc, section="impact", author=people["reviewer"], body="Q")
    # The item of the action-item URL has no owner: only the document's authors may move it.
    ActionItem.objects.filter(postmortem=doc).update(owner=None)
    meetings.schedule_meeting(
        doc,
        by=people["author"],
        starts_at=datetime.datetime(2099, 3, 1, 14, 0, tzinfo=datetime.UTC),
        duration_minutes=60,
        facilitator=people["author"],
        attendees=[people["author"], people["reviewer"]],
    )
    return Postmortem.objects.get(pk=doc.pk)


def path_for(name, route, doc):
    values = {
        "<key:key>": doc.key,
        # The section editor is tried on a form section, the row URLs on the timeline.
        "<slug:section>": "impact" if name == "postmortems:edit" else "timeline",
        "<int:row_id>": str(TimelineEvent.objects.filter(postmortem=doc).first().pk),
        "<int:approval_id>": str(
            Approval.objects.get(postmortem=doc, role="Reviewer (SRE Lead)").pk
        ),
        "<int:comment_id>": str(Comment.objects.get(postmortem=doc).pk),
        "<int:version>": "1",
        "<int:item_id>": str(ActionItem.objects.filter(postmortem=doc).first().pk),
        "<int:attachment_id>": str(Attachment.objects.get(postmortem=doc).pk),
        "<str:name>": Attachment.objects.get(postmortem=doc).name,
    }
    path = "/" + route
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    return path


def fingerprint(doc):
    doc = Postmortem.objects.get(pk=doc.pk)
    return (
        doc.status,
        doc.version,
        doc.revision,
        doc.regions,
        sorted(TimelineEvent.objects.filter(postmortem=doc).values_list("description", flat=True)),
        sorted(Approval.objects.filter(postmortem=doc).values_list("role", "signed_at")),
        sorted(
            Comment.objects.filter(postmortem=doc).values_list("body", "resolved_at", "hidden_at")
        ),
        sorted(ActionItem.objects.filter(postmortem=doc).values_list("status", flat=True)),
        sorted(Attachment.objects.filter(postmortem=doc).values_list("name", flat=True)),
        sorted(
            ReviewMeeting.objects.filter(postmortem=doc).values_list(
                "starts_at", "sequence", "cancelled", "notes"
            )
        ),
        sorted(
            SectionVerdict.objects.filter(postmortem=doc).values_list(
                "section", "reviewer_id", "verdict"
            )
        ),
    )


CASES = [
    (name, route, role, state, method)
    for name, route in DOCUMENT_ROUTES + ITEM_ROUTES
    for role in ROLES
    for state in STATES
    for method in ("get", "post")
]


@pytest.mark.parametrize(
    ("name", "route", "role", "state", "method"),
    CASES,
    ids=[f"{n.split(':')[-1]}-{r}-{s}-{m}" for n, _, r, s, m in CASES],
)
def test_access(db, client, world, name, route, role, state, method):
    doc = world.docs[state]
    before = fingerprint(doc)
    # Nothing an earlier case did is left: its savepoint was rolled back.
    assert before == world.made[state]
    if role != "anonymous":  # signed in once for the module; the session is in the world
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    rule = RULES[name]
    path = world.paths[(name, state)]
    data = rule["data"]({"doc": doc}) if "data" in rule else {}
    response = client.get(path) if method == "get" else client.post(path, data)

    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif state == "restricted" and role not in NAMED:
        # Not even its existence is given away; a method the URL never takes is still 405.
        never = rule[method]("author", "draft") == 405
        assert response.status_code == (405 if never else 404)
    else:
        expected = rule[method](role, state)
        assert response.status_code == expected, response.content.decode()[:300]

    changed = fingerprint(doc) != before
    allowed = (
        method == "post"
        and role != "anonymous"
        and not (state == "restricted" and role not in NAMED)
        and rule["changes"] is not None
        and rule["changes"](role, state)
    )
    assert changed == allowed, (
        f"{'changed' if changed else 'unchanged'} for {role} {method} {name} on {state}"
    )
