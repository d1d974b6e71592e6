"""The demo data: the template's filled-in VirtEngine example, two more incidents, and the
people in them.

Each document is a Markdown file in ``documents/``, in the export format, as its author
drafted it. Loading one imports it and then replays its review through the workflow, each
step by its person and dated as it happened (``now=``): the author's later saves of a
section, the submission, the signatures, and, with the last one, Final. So the demo obeys
every rule a real document does (who may sign, independent review, the content hash), and
its history, approvals and insights read true. To change a demo document, edit its file.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import User
from postmortems import editing, notifications
from postmortems.content import document_hash
from postmortems.exchange.importer import import_markdown, parse
from postmortems.models import Postmortem
from postmortems.sections import BY_SLUG
from postmortems.workflow import TransitionError, all_criteria_tokens, submit_for_review
from postmortems.workflow.transitions import record_signature

DEMO_PASSWORD = "demo"
DOCUMENTS = Path(__file__).resolve().parent / "documents"

PEOPLE = [
    # username, display name, team, job title
    ("alice", "Alice Smith", "SRE", "On-call Engineer"),
    ("bob", "Bob Jones", "SRE", "Incident Commander"),
    ("carol", "Carol White", "SRE", "SRE Lead"),
    ("dave", "Dave Brown", "Support", "Communications Lead"),
    ("erin", "Erin Park", "Platform", "Engineering Lead"),
    ("victor", "Victor Chen", "Engineering", "VP Engineering"),
]


class DemoError(Exception):
    """A demo file or step that the app refuses: the demo must pass the app's own rules."""


@dataclass(frozen=True)
class Story:
    """How one document's review went. Drafted the morning after the incident; each later
    save five hours after the one before; submitted on day four; then a signature a day."""

    key: str
    author: str
    signers: tuple[str, ...]
    # (section slug, {field: new value}): the author's saves after the first draft.
    saves: tuple[tuple[str, dict], ...] = field(default=())


STORIES = [
    # First: INCIDENT-12345 names it as a related incident, which must exist to be linked.
    Story("INCIDENT-8901", "carol", signers=("carol", "bob", "erin", "victor")),
    Story("INCIDENT-12345", "alice", signers=("alice", "carol", "erin", "victor")),
    # Under Review, signed by its author only; two later saves give its history versions.
    Story(
        "INCIDENT-12401",
        "bob",
        signers=("bob",),
        saves=(
            ("impact", {"revenue_impact": "About $800 in abandoned checkouts"}),
            (
                "root-cause",
                {
                    "root_cause_summary": "Cache evictions after the memory limit was lowered",
                    "root_cause_why": "Its memory limit was lowered from 8 GB to 4 GB in a cost "
                    "review.",
                },
            ),
        ),
    ),
]


@transaction.atomic
def seed_demo() -> dict[str, User]:
    """Create or refresh the demo people and documents. Safe to run any number of times:
    the demo documents are taken away and loaded again as their files say, and other
    documents' links to them are kept."""
    people = _people()
    keys = [story.key for story in STORIES]
    # Other documents may name a demo document as a related incident: that link is part of
    # their signed content, so it outlives the reload.
    links = Postmortem.related_incidents.through
    kept = list(
        links.objects.filter(to_postmortem__key__in=keys)
        .exclude(from_postmortem__key__in=keys)
        .values_list("from_postmortem_id", "to_postmortem__key")
    )
    Postmortem.objects.filter(key__in=keys).delete()
    with notifications.muted():  # a replay of the past: nobody is told about it today
        for story in STORIES:
            _load(story, people)
    reloaded = dict(Postmortem.objects.filter(key__in=keys).values_list("key", "pk"))
    links.objects.bulk_create(
        links(from_postmortem_id=source, to_postmortem_id=reloaded[key]) for source, key in kept
    )
    return people


def _people() -> dict[str, User]:
    people = {}
    for username, display_name, team, job_title in PEOPLE:
        first, last = display_name.split(" ", 1)
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "display_name": display_name,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "team": team,
                "job_title": job_title,
            },
        )
        # The demo sign-in exists only on a development server, never in production.
        if settings.DEBUG:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        people[username] = user
    return people


def _load(story: Story, people) -> Postmortem:
    text = (DOCUMENTS / f"{story.key}.md").read_text(encoding="utf-8")
    author = people[story.author]
    day = parse(text).incident_date  # as the import reads it: the review starts the day after
    if day is None:
        raise DemoError(f"{story.key}.md needs its **Date** line")
    start = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(9, 30), tzinfo=datetime.UTC
    )
    result = import_markdown(text, by=author, key=story.key, now=start)
    if result.problems:
        raise DemoError(f"{story.key}.md: " + "; ".join(map(str, result.problems)))
    pm = result.postmortem
    when = start
    for slug, changes in story.saves:
        when += datetime.timedelta(hours=5)
        _save(pm, slug, changes, by=author, now=when)
    try:
        submit_for_review(pm, by=author, now=start + datetime.timedelta(days=3, hours=6))
        for n, username in enumerate(story.signers, start=1):
            pm = Postmortem.objects.with_document().get(pk=pm.pk)
            approval = next(a for a in pm.approvals.all() if a.assignee_id == people[username].pk)
            record_signature(
                approval,
                by=people[username],
                seen_hash=document_hash(pm),
                # Each reviewer and approver confirmed every review criterion, as a signer does.
                criteria=all_criteria_tokens(),
                now=start + datetime.timedelta(days=3 + n, hours=1 + n),
            )
    except TransitionError as refused:
        raise DemoError(f"{story.key}: {refused}") from None
    return pm


def _save(pm, slug: str, changes: dict, *, by, now) -> None:
    """Save ``changes`` to a section through its form, as the editor would: the other fields
    as the form shows them, the changed ones as typed."""
    section = BY_SLUG[slug]
    pm = Postmortem.objects.with_document().get(pk=pm.pk)
    kwargs = {"instance": pm, "section_revision": editing.section_revision(pm, slug)}
    if section.form_needs_user:
        kwargs["user"] = by
    shown = section.form(**kwargs)
    data = {name: shown[name].value() for name in shown.fields}
    form = section.form({**{k: v for k, v in data.items() if v is not None}, **changes}, **kwargs)
    if not form.is_valid():
        raise DemoError(f"{pm.key}, {section.title}: {form.errors.as_text()}")
    editing.save_section(pm, slug, form, by=by, now=now)
