"""A postmortem as the template's Markdown (and as JSON), heading by heading.

The Markdown follows ../shared/postmortem-template.md: the same headings in the same order, the
same tables. Where the template leaves the shape open, the export fixes one so that an import
reads every value back (export → import → export gives the same text):

- header lines `**Date**`, `**Authors**`, `**Status**`, `**Severity**`, plus `**Services**`
  (the tags);
- a value with several lines stands under its list item, indented;
- the timeline table has a third column, `Milestone` (started, detected, alerted,
  acknowledged, mitigated, resolved), as the read view shows it;
- an action item's tracker link is its Action cell as a Markdown link;
- table cells escape `|` and `\\` with a backslash and write a line break as `<br>`;
- in free text, a line that would read as a heading or a rule gets a leading backslash.

The exporter works from the canonical content dict (``postmortems.content``), so a stored
version of the content exports the same way as the live document: that is what the history
diff compares.
"""

import datetime
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from postmortems import metrics, permissions
from postmortems.content import canonical_content, content_hash, document_hash, opening
from postmortems.exchange.markup import (
    DASH,
    encode_cell,
    parse_datetime,
    section_heading,
    table,
)
from postmortems.models import Postmortem, severity_definitions
from postmortems.sections import SECTIONS

# The reminder names the organisation (settings.POSTMORTEM_ORGANISATION); the importer reads
# it back whatever organisation a document names.
BLAMELESS_QUOTE = (
    '> "Failure is inevitable in complex systems. Our goal is to learn from failure, not to '
    "assign blame. Assume good faith, focus on systemic improvements, and use this as an "
    'opportunity to make {organisation} more reliable."'
)
DEFAULT_ORGANISATION = "our organisation"
BLAMELESS_PRINCIPLES = [
    "**Principles**:",
    "- ✅ **Do** focus on what happened and why",
    "- ✅ **Do** identify system weaknesses",
    "- ✅ **Do** propose concrete improvements",
    "- ❌ **Don't** assign blame to individuals",
    '- ❌ **Don\'t** use language like "human error" (ask "why was this error possible?")',
    '- ❌ **Don\'t** focus on "who" but rather "what" and "why"',
]


def organisation_name() -> str:
    """The organisation of this install (settings.POSTMORTEM_ORGANISATION), on one line."""
    name = " ".join(getattr(settings, "POSTMORTEM_ORGANISATION", "").split())
    return name or DEFAULT_ORGANISATION


def blameless_reminder(organisation: str | None = None) -> list[str]:
    """The template's Blameless Culture Reminder, naming the organisation of this install."""
    quote = BLAMELESS_QUOTE.format(organisation=organisation or organisation_name())
    return ["## Blameless Culture Reminder", "", quote, "", *BLAMELESS_PRINCIPLES]


@dataclass
class Meta:
    """What is not content: status, version, signatures, dates. Absent for a stored version."""

    status: str
    version_label: str
    last_updated: str
    next_review: str
    approvals: list = field(default_factory=list)  # [(role, name, date, signature)]


@dataclass
class Context:
    """Names for the ids the content holds, and the action items' status (not content)."""

    people: dict = field(default_factory=dict)  # user id → name
    related: dict = field(default_factory=dict)  # key → (title, date)
    action_item_statuses: list = field(default_factory=list)
    # Related incidents the reader may not see: not even named in what they are given.
    hidden: set = field(default_factory=set)
    # Set while writing: the Status line (not content, absent for a stored version), and the
    # timeline's events and figures that several sections show.
    status: str = ""
    events: list = field(default_factory=list)
    figures: object = None

    def name(self, user_id, free_name="") -> str:
        """A person the content names: by the account's name, else as typed."""
        if user_id:
            return self.people.get(user_id, f"(person #{user_id})")
        return free_name or ""


def context_for(content: dict, statuses=None, user=None) -> Context:
    """Look up the names a stored content dict refers to (two queries, three for a reader)."""
    ids = set(content.get("authors", []))
    ids |= {r["user_id"] for r in content.get("responders", []) if r.get("user_id")}
    ids |= {a["owner_id"] for a in content.get("action_items", []) if a.get("owner_id")}
    people = {u.pk: u.name for u in User.objects.filter(pk__in=ids)} if ids else {}
    keys = content.get("related_incidents", [])
    related = (
        {
            p.key: (p.title, p.incident_date)
            for p in Postmortem.objects.filter(key__in=keys).only("key", "title", "incident_date")
        }
        if keys
        else {}
    )
    return Context(
        people=people,
        related=related,
        action_item_statuses=list(statuses or []),
        hidden=permissions.hidden_keys(keys, user),
    )


def live_context(postmortem, user=None) -> Context:
    """The same from a document loaded with ``with_document()``: no extra query (one for a
    reader, when it has related incidents)."""
    people = {a.pk: a.name for a in postmortem.authors.all()}
    for responder in postmortem.responders.all():
        if responder.user_id:
            people[responder.user_id] = responder.user.name
    for item in postmortem.action_items.all():
        if item.owner_id:
            people[item.owner_id] = item.owner.name
    related = {p.key: (p.title, p.incident_date) for p in postmortem.related_incidents.all()}
    statuses = [item.status for item in postmortem.action_items.all()]
    hidden = permissions.hidden_keys(list(related), user)
    return Context(people=people, related=related, action_item_statuses=statuses, hidden=hidden)


def live_meta(postmortem) -> Meta:
    digest = document_hash(postmortem)
    approvals = []
    for approval in postmortem.approvals.all():
        role = approval.role + ("" if approval.required else " (optional)")
        name = approval.assignee.name if approval.assignee_id else DASH
        signed = f"{approval.signed_at:%Y-%m-%d}" if approval.signed_at else DASH
        if approval.signed_on(digest):
            signature = f"✔ Signed (SHA-256 {approval.content_hash[:12]})"
        elif approval.signed_at:
            signature = "Signed an earlier version"
        else:
            signature = ""
        approvals.append((role, name, signed, signature))
    next_review = (
        f"{postmortem.next_review_date:%Y-%m-%d}"
        if postmortem.next_review_date
        else "Set when the document is Final (review of action items in 30 days)"
    )
    return Meta(
        status=postmortem.get_status_display(),
        version_label=postmortem.version_label,
        last_updated=f"{postmortem.updated_at:%Y-%m-%d}" if postmortem.updated_at else DASH,
        next_review=next_review,
        approvals=approvals,
    )


def postmortem_markdown(postmortem, user=None) -> str:
    """The live document (loaded with ``with_document()``) as the template's Markdown, as
    ``user`` may read it (with no user, as anyone may: restricted related incidents hidden)."""
    return to_markdown(
        canonical_content(postmortem), live_context(postmortem, user), live_meta(postmortem)
    )


# --- the Markdown ------------------------------------------------------------------------------


def _events(content):
    return [
        SimpleNamespace(occurred_at=parse_datetime(e["occurred_at"]), milestone=e["milestone"])
        for e in content.get("timeline", [])
    ]


def to_markdown(c: dict, ctx: Context | None = None, meta: Meta | None = None) -> str:
    """The document as the template's Markdown, from its canonical content: each section as
    its module writes it, in the template's order, then what stands around them."""
    ctx = ctx or Context()
    ctx.status = meta.status if meta is not None else ""
    ctx.events = _events(c)
    ctx.figures = metrics.response_figures(ctx.events)
    out: list[str] = []
    for section in SECTIONS:
        out += section.markdown(c, ctx)
    out += ["", "---", "", *blameless_reminder()]
    if meta is not None:
        out += section_heading("Approvals")
        out += table(
            ["Role", "Name", "Date", "Signature"],
            [
                [encode_cell(role), encode_cell(name), date, sig]
                for role, name, date, sig in meta.approvals
            ],
        )
    out += [*section_heading("Appendix"), "### Incident Severity Definitions"]
    for label, name, points in severity_definitions():
        out += ["", f"**{label} ({name})**:", *(f"- {point}" for point in points)]
    if meta is not None:
        out += ["", "---", ""]
        out.append(f"**Document Version**: {meta.version_label}")
        out.append(f"**Last Updated**: {meta.last_updated}")
        out.append(f"**Next Review**: {meta.next_review}")
    return "\n".join(out).rstrip("\n") + "\n"


# --- JSON --------------------------------------------------------------------------------------


def postmortem_json(postmortem, user=None) -> dict:
    """Complete and machine-readable: the signed content plus what is around it.

    A related incident ``user`` may not see is left out of ``content.related_incidents``, and
    nothing says so: ``content_hash`` covers the related incidents' commitments, not their
    keys, so it can be checked from this file alone (README, "Verifying a signature"), and
    ``related_openings`` proves each listed key is among the commitments.
    """
    content = canonical_content(postmortem)
    digest = content_hash(content)
    ctx = live_context(postmortem, user)
    content["related_incidents"] = [
        key for key in content["related_incidents"] if key not in ctx.hidden
    ]
    openings = {
        key: opening(postmortem.related_secret, key) for key in content["related_incidents"]
    }
    events = list(postmortem.timeline.all())
    figures = metrics.response_figures(events)
    budget = metrics.error_budget_minutes(postmortem.slo_target, postmortem.slo_window_days)
    outage = metrics.outage_duration(postmortem, events)

    def minutes(value: datetime.timedelta | None):
        return None if value is None else value.total_seconds() / 60

    for row, item in zip(content["action_items"], postmortem.action_items.all(), strict=True):
        row["status"] = item.status
        row["owner"] = item.owner_display
    for row, responder in zip(content["responders"], postmortem.responders.all(), strict=True):
        row["person"] = responder.person_name
    return {
        "format": "postmortem/1",
        "key": postmortem.key,
        "status": postmortem.status,
        "version": postmortem.version,
        "revision": postmortem.revision,
        "restricted": postmortem.restricted,
        "next_review_date": postmortem.next_review_date,
        "created_at": postmortem.created_at,
        "updated_at": postmortem.updated_at,
        "authors": [{"id": a.pk, "name": a.name} for a in postmortem.authors.all()],
        "tags": content["tags"],
        "content": content,
        "content_hash": digest,
        "related_openings": openings,
        "figures": {
            **{
                name: minutes(getattr(figures, name).value)
                for name in (
                    "time_to_detect",
                    "time_to_page",
                    "time_to_acknowledge",
                    "time_to_mitigate",
                    "time_to_resolve",
                )
            },
            "outage_minutes": minutes(outage),
            "error_budget_minutes": budget,
            "error_budget_share_percent": metrics.error_budget_share(
                postmortem.error_budget_consumed_minutes, budget
            ),
        },
        "people": {str(pk): name for pk, name in ctx.people.items()},
        "approvals": [
            {
                "role": a.role,
                "required": a.required,
                "person": a.assignee.name if a.assignee_id else None,
                "decision": a.decision or None,
                "signed_at": a.signed_at,
                "content_hash": a.content_hash or None,
                "signed_revision": a.signed_revision,
                "current": a.signed_on(digest),
                # The review criteria the signer confirmed, worded as they read then.
                "confirmed_criteria": [c["text"] for c in a.confirmed_criteria],
            }
            for a in postmortem.approvals.all()
        ],
        "import_notes": getattr(postmortem, "import_notes", ""),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
