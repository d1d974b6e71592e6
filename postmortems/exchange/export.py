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

from django.core.serializers.json import DjangoJSONEncoder

from postmortems import metrics, permissions
from postmortems.content import canonical_content, content_hash, document_hash, opening
from postmortems.exchange.markup import (
    DASH,
    encode_block,
    encode_cell,
    encode_indented,
    format_decimal,
    format_time,
    parse_date,
    parse_datetime,
    table,
)
from postmortems.models import (
    ActionItem,
    DetectionMethod,
    FixType,
    Lesson,
    Postmortem,
    Severity,
    SupportingLink,
    TimelineEvent,
)
from postmortems.values import bullet_lines

SEVERITY_LABELS = dict(Severity.choices)
STATUS_LABELS = dict(Postmortem.Status.choices)
ACTION_STATUS_LABELS = dict(ActionItem.Status.choices)
PRIORITY_LABELS = dict(ActionItem.Priority.choices)
FIX_LABELS = dict(FixType.choices)

# Where links of each kind stand; runbooks and other links have no heading in the template.
LINK_HEADINGS = {
    SupportingLink.Kind.DASHBOARD: "Metrics and Graphs",
    SupportingLink.Kind.LOGS: "Logs and Traces",
    SupportingLink.Kind.RUNBOOK: "Runbooks and Documentation",
    SupportingLink.Kind.OTHER: "Other Links",
}
ROOT_CAUSE_QUESTIONS = [
    ("root_cause_component", "What component failed?"),
    ("root_cause_why", "Why did it fail?"),
    ("root_cause_underlying", "What was the underlying cause?"),
    ("root_cause_safeguards", "Why didn't existing safeguards catch this?"),
]
LESSON_LABELS = [
    (Lesson.Category.TECHNICAL, "Technical Learnings"),
    (Lesson.Category.PROCESS, "Process Learnings"),
    (Lesson.Category.CULTURAL, "Cultural Learnings"),
]

BLAMELESS = [
    "## Blameless Culture Reminder",
    "",
    '> "Failure is inevitable in complex systems. Our goal is to learn from failure, not to '
    "assign blame. Assume good faith, focus on systemic improvements, and use this as an "
    'opportunity to make VirtEngine more reliable."',
    "",
    "**Principles**:",
    "- ✅ **Do** focus on what happened and why",
    "- ✅ **Do** identify system weaknesses",
    "- ✅ **Do** propose concrete improvements",
    "- ❌ **Don't** assign blame to individuals",
    '- ❌ **Don\'t** use language like "human error" (ask "why was this error possible?")',
    '- ❌ **Don\'t** focus on "who" but rather "what" and "why"',
]


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


def context_for(content: dict, statuses=None, user=None) -> Context:
    """Look up the names a stored content dict refers to (two queries, three for a reader)."""
    from accounts.models import User

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
    ``user`` may read it (whole when no user is given)."""
    return to_markdown(
        canonical_content(postmortem), live_context(postmortem, user), live_meta(postmortem)
    )


# --- the Markdown ------------------------------------------------------------------------------


def _name(ctx: Context, user_id, free_name="") -> str:
    if user_id:
        return ctx.people.get(user_id, f"(person #{user_id})")
    return free_name or ""


def _events(content):
    return [
        SimpleNamespace(occurred_at=parse_datetime(e["occurred_at"]), milestone=e["milestone"])
        for e in content.get("timeline", [])
    ]


def _bullet(label: str, value: str) -> list[str]:
    value = (value or "").strip()
    if not value:
        return [f"- **{label}**: {DASH}"]
    if "\n" in value:
        return [f"- **{label}**:", *encode_indented(value, 2)]
    return [f"- **{label}**: {value}"]


def _numbered(items: list[str]) -> list[str]:
    lines = []
    for number, text in enumerate(items, 1):
        marker = f"{number}. "
        first, *rest = encode_indented(text, len(marker))
        lines.append(marker + first.lstrip(" "))
        lines += rest
    return lines


def _block(text: str) -> list[str]:
    return encode_block(text) if (text or "").strip() else []


def _affected_users(c) -> str:
    parts = []
    if c.get("affected_users") is not None:
        parts.append(f"~{int(c['affected_users']):,} users")
    percent = c.get("affected_users_percent")
    basis = (c.get("affected_users_basis") or "").strip()
    if percent is not None:
        parts.append(f"({format_decimal(percent)}%" + (f" of {basis})" if basis else ")"))
    elif basis:
        parts.append(f"(of {basis})")
    return " ".join(parts) or DASH


def _duration(c, events, day) -> str:
    start, end = (
        parse_datetime(c.get("outage_started_at")),
        parse_datetime(c.get("outage_ended_at")),
    )
    if start or end:
        value = end - start if start and end and end >= start else None
        span = f"{format_time(start, day) or '?'}–{format_time(end, day) or '?'} UTC"
        return f"{metrics.format_duration(value)} ({span})"
    value = metrics.response_figures(events).time_to_resolve.value
    return f"{metrics.format_duration(value)} (from the timeline)" if value is not None else DASH


def _degraded(c) -> str:
    minutes, text = c.get("degraded_minutes"), (c.get("degraded_description") or "").strip()
    if minutes is None and not text:
        return DASH
    head = f"additional {minutes} minutes" if minutes is not None else DASH
    return head + (f" ({text})" if text else "")


def _slo(c) -> str:
    name = (c.get("slo_name") or "").strip()
    target, achieved = c.get("slo_target"), c.get("slo_achieved")
    if not name and target is None and achieved is None:
        return DASH
    text = f"{name} SLO".strip()
    if target is not None and achieved is not None:
        from decimal import Decimal

        if Decimal(str(achieved)) < Decimal(str(target)):
            text += " violated"
    if target is not None or achieved is not None:
        figures = format_decimal(target, 2) + "%" if target is not None else "?"
        if achieved is not None:
            figures += f" → {format_decimal(achieved, 2)}%"
        text += f" ({figures})"
    return text


def _error_budget(c) -> str:
    budget = metrics.error_budget_minutes(_dec(c.get("slo_target")), c.get("slo_window_days"))
    consumed = _dec(c.get("error_budget_consumed_minutes"))
    window = c.get("slo_window_days")
    share = metrics.error_budget_share(consumed, budget)
    inside = []
    if consumed is not None:
        inside.append(
            f"{format_decimal(consumed)} of {format_decimal(budget)} minutes"
            if budget is not None
            else f"{format_decimal(consumed)} minutes"
        )
    if window:
        inside.append(f"{window}-day window")
    if not inside:
        return DASH
    head = f"{format_decimal(share)}% consumed " if share is not None else ""
    return f"{head}({', '.join(inside)})"


def _dec(value):
    from decimal import Decimal

    return None if value in (None, "") else Decimal(str(value))


def to_markdown(c: dict, ctx: Context | None = None, meta: Meta | None = None) -> str:
    """The document as the template's Markdown, from its canonical content."""
    ctx = ctx or Context()
    day = parse_date(c.get("incident_date"))
    events = _events(c)
    figures = metrics.response_figures(events)
    out: list[str] = []
    add = out.extend

    severity = SEVERITY_LABELS.get(c.get("severity"), c.get("severity") or DASH)
    authors = ", ".join(_name(ctx, pk) for pk in c.get("authors", [])) or DASH
    add([f"# Postmortem: {c.get('key', '')} {c.get('title', '')}".rstrip(), ""])
    add([f"**Date**: {day:%Y-%m-%d}" if day else f"**Date**: {DASH}", f"**Authors**: {authors}"])
    if meta is not None:
        out.append(f"**Status**: {meta.status}")
    out.append(f"**Severity**: {severity}")
    out.append(f"**Services**: {', '.join(c.get('tags', [])) or DASH}")

    def section(title):
        add(["", "---", "", f"## {title}", ""])

    section("Executive Summary")
    add(_block(c.get("executive_summary")))

    section("Impact")
    add(["### User Impact", ""])
    add(_bullet("Affected Users", _affected_users(c)))
    add(_bullet("Geographic Impact", c.get("regions") or DASH))
    add(_bullet("Duration", _duration(c, events, day)))
    add(_bullet("Degraded Period", _degraded(c)))
    add(["", "### Business Impact", ""])
    add(_bullet("Revenue Impact", c.get("revenue_impact")))
    add(_bullet("Reputation Impact", c.get("reputation_impact")))
    add(_bullet("SLO Impact", _slo(c)))
    add(_bullet("Error Budget", _error_budget(c)))

    section("Timeline (all times UTC)")
    rows = [
        [
            encode_cell(format_time(e["occurred_at"], day)),
            encode_cell(e["description"]),
            e["milestone"] or "",
        ]
        for e in c.get("timeline", [])
    ]
    add(table(["Time", "Event", "Milestone"], rows))

    section("Root Cause")
    add(
        [
            "### What Happened",
            "",
            f"**Root Cause**: {(c.get('root_cause_summary') or '').strip() or DASH}",
            "",
        ]
    )
    for number, (name, question) in enumerate(ROOT_CAUSE_QUESTIONS, 1):
        out.append(f"{number}. **{question}**")
        answer = (c.get(name) or "").strip()
        if answer:
            add(["", *encode_indented(answer, 3)])
        out.append("")
    add(["### Contributing Factors", ""])
    add(_numbered([f["description"] for f in c.get("contributing_factors", [])]))

    section("Detection")
    add(["### How was the incident detected?", ""])
    methods = c.get("detection_methods") or []
    add(
        f"- [{'x' if value in methods else ' '}] {label}"
        for value, label in DetectionMethod.choices
    )
    add(["", "### Detection Quality", ""])
    add(_bullet("Time to Detect (TTD)", metrics.format_duration(figures.time_to_detect.value)))
    add(
        _bullet(
            "Time to Acknowledge (TTA)", metrics.format_duration(figures.time_to_acknowledge.value)
        )
    )
    add(_bullet("Detection Method", c.get("detection_description")))
    add(_bullet("Notes", c.get("detection_notes")))

    section("Response")
    add(["### Responders", ""])
    add(
        table(
            ["Role", "Name", "Joined At"],
            [
                [
                    encode_cell(r["role"]),
                    encode_cell(_name(ctx, r.get("user_id"), r.get("name"))),
                    encode_cell(format_time(r.get("joined_at"), day)),
                ]
                for r in c.get("responders", [])
            ],
        )
    )
    add(["", "### Response Actions", ""])
    add(_block(c.get("response_actions")))
    add(["", "### What Went Well", ""])
    add(f"- ✅ {item}" for item in _points(c.get("went_well")))
    add(["", "### What Went Poorly", ""])
    add(f"- ❌ {item}" for item in _points(c.get("went_poorly")))

    section("Resolution")
    add(["### How was service restored?", ""])
    out.append(f"**Resolution**: {(c.get('resolution_summary') or '').strip() or DASH}")
    out.append(f"**Fix Type**: {FIX_LABELS.get(c.get('fix_type'), DASH)}")
    details = _block(c.get("resolution_details"))
    if details:
        add(["", *details])
    add(["", "### Verification", ""])
    add(_block(c.get("verification")))

    section("Action Items")
    items = list(c.get("action_items", []))
    statuses = ctx.action_item_statuses
    for category, label in ActionItem.Category.choices:
        rows = []
        for index, item in enumerate(items):
            if item["category"] != category:
                continue
            status = statuses[index] if index < len(statuses) else ActionItem.Status.OPEN
            rows.append(
                [
                    _action_cell(item["action"], item.get("tracker_url")),
                    encode_cell(_name(ctx, item.get("owner_id"), item.get("owner_name")) or DASH),
                    item["due_date"] or DASH,
                    PRIORITY_LABELS.get(item["priority"], item["priority"]),
                    ACTION_STATUS_LABELS.get(status, status),
                ]
            )
        add([f"### {label}", ""])
        add(table(["Action", "Owner", "Due Date", "Priority", "Status"], rows))
        out.append("")
    out.pop()

    section("Lessons Learned")
    add(["### What did we learn?", ""])
    lessons = c.get("lessons", [])
    for category, label in LESSON_LABELS:
        out.append(f"**{label}**:")
        add(_numbered([lesson["text"] for lesson in lessons if lesson["category"] == category]))
        out.append("")
    out.pop()

    section("Supporting Information")
    links = c.get("links", [])
    for kind, heading in LINK_HEADINGS.items():
        of_kind = [link for link in links if link["kind"] == kind]
        if of_kind or kind in (SupportingLink.Kind.DASHBOARD, SupportingLink.Kind.LOGS):
            add([f"### {heading}", ""])
            add(f"- {link['title']}: {link['url']}" for link in of_kind)
            out.append("")
    out.append("### References")
    out.append("")
    related_keys = [key for key in c.get("related_incidents", []) if key not in ctx.hidden]
    for key in related_keys:
        title, on = ctx.related.get(key, ("", None))
        about = ", ".join(x for x in (title, f"{on:%Y-%m-%d}" if on else "") if x)
        out.append(f"- Related Incident: {key}" + (f" ({about})" if about else ""))
    references = _block(c.get("references"))
    if references:
        if related_keys:
            out.append("")
        add(references)

    add(["", "---", ""])
    add(BLAMELESS)

    if meta is not None:
        section("Approvals")
        add(
            table(
                ["Role", "Name", "Date", "Signature"],
                [
                    [encode_cell(role), encode_cell(name), date, sig]
                    for role, name, date, sig in meta.approvals
                ],
            )
        )

    section("Appendix")
    out.append("### Incident Severity Definitions")
    from postmortems.models import severity_definitions

    for label, name, points in severity_definitions():
        add(["", f"**{label} ({name})**:"])
        add(f"- {point}" for point in points)

    if meta is not None:
        add(["", "---", ""])
        out.append(f"**Document Version**: {meta.version_label}")
        out.append(f"**Last Updated**: {meta.last_updated}")
        out.append(f"**Next Review**: {meta.next_review}")
    return "\n".join(out).rstrip("\n") + "\n"


def _points(text) -> list[str]:
    return bullet_lines(text or "")


def _action_cell(action: str, tracker_url: str | None) -> str:
    text = encode_cell(action)
    if tracker_url:
        return "[" + text.replace("[", "\\[").replace("]", "\\]") + f"]({tracker_url})"
    return "\\" + text if text.startswith("[") else text


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
            }
            for a in postmortem.approvals.all()
        ],
        "import_notes": getattr(postmortem, "import_notes", ""),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


MILESTONES = dict(TimelineEvent.Milestone.choices)
