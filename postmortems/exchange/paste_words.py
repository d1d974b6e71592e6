"""The words a paste is read by: what each table's columns may be called, how each choice may
be written, the headings that group rows, and the words of an event that suggest a timeline
milestone, with the look-ups by them (dictionaries and sets: linear in what is looked up).
Nothing here reads a paste's structure: ``postmortems.exchange.paste`` does."""

import re

from postmortems.metrics import Milestone
from postmortems.sections.action_items import ActionItem
from postmortems.sections.lessons import Lesson
from postmortems.sections.supporting import SupportingLink

# --- what each table holds, and the names its columns go by ----------------------------------

FIELDS = {
    "timeline": ("time", "description", "milestone"),
    "response": ("role", "name", "joined_at"),
    "root-cause": ("description",),
    "action-items": (
        "category", "action", "owner", "due_date", "priority", "status", "tracker_url",
    ),
    "lessons": ("category", "text"),
    "supporting": ("kind", "title", "url"),
}  # fmt: skip

_HEADERS = {
    "timeline": {
        "time": "time, time (utc), timestamp, when, at, utc, datetime, date/time, date time",
        "date": "date, day",
        "description": "event, events, description, what, what happened, details, detail, "
        "text, summary, message, activity",
        "milestone": "milestone, milestones, mark, marker, phase",
    },
    "response": {
        "role": "role, roles, position, function, responsibility, job",
        "name": "name, person, who, responder, responders, people, user, engineer",
        "joined_at": "joined at, joined, join time, time joined, time, when, at, since",
    },
    "root-cause": {
        "description": "contributing factor, contributing factors, factor, factors, "
        "description, text, cause, causes, what, item",
        "": "#, no, no., number, n",
    },
    "action-items": {
        "category": "category, type, group, kind, area",
        "action": "action, actions, action item, action items, item, task, todo, to do, "
        "description, title, summary, what",
        "owner": "owner, owners, assignee, assigned to, who, responsible, name, person",
        "due_date": "due date, due, deadline, due by, target date, date, eta",
        "priority": "priority, prio, pri, p",
        "status": "status, state",
        "tracker_url": "tracker link, tracker, tracker url, link, url, ticket, issue, jira",
    },
    "lessons": {
        "category": "kind, category, type, area",
        "text": "lesson, lessons, text, learning, learnings, description, "
        "what did we learn, what we learned, takeaway",
    },
    "supporting": {
        "kind": "kind, type, category, group",
        "title": "title, name, description, label, what, text",
        "url": "link, links, url, address, href, uri",
    },
}
HEADERS = {
    slug: {name.strip(): f for f, names in columns.items() for name in names.split(",")}
    for slug, columns in _HEADERS.items()
}


def _choices(choices, extra: str) -> dict[str, str]:
    """{how it may be written: value}: the value, the label, and the synonyms in `extra`
    ("value: one, two; value: three")."""
    found = {}
    for value, label in choices:
        found[value.lower()] = value
        found[str(label).lower()] = value
    for part in extra.split(";"):
        value, _, names = part.partition(":")
        found |= {name.strip(): value.strip() for name in names.split(",") if name.strip()}
    return found


MILESTONES = _choices(
    Milestone.choices,
    "started: start, incident start, began; detected: detect, detection, alert, alert fired; "
    "alerted: paged, page, responder paged; acknowledged: ack, acked, acknowledge; "
    "mitigated: mitigation, mitigate; resolved: resolve, resolution, recovered",
)
CATEGORIES = _choices(
    ActionItem.Category.choices,
    "prevent: prevention, recurrence; detection: detect; response: respond; "
    "process: process improvement",
)
PRIORITIES = _choices(
    ActionItem.Priority.choices,
    "p0: 0, critical, urgent, highest; p1: 1, high; p2: 2, medium, normal; p3: 3, low, lowest",
)
STATUSES = _choices(
    ActionItem.Status.choices,
    "open: todo, to do, new, not started; in_progress: in-progress, doing, started, wip, "
    "ongoing; done: closed, complete, completed, fixed, resolved",
)
LESSON_KINDS = _choices(
    Lesson.Category.choices,
    "technical: technical learnings, tech; process: process learnings; "
    "cultural: cultural learnings, culture",
)
LINK_KINDS = _choices(
    SupportingLink.Kind.choices,
    "dashboard: metrics and graphs, metrics, graphs, graph, dashboards; "
    "logs: logs and traces, log, traces, trace; runbook: runbooks and documentation, "
    "runbooks, documentation, docs, doc; other: other links, links",
)
# The field a heading line sets for the rows under it, and the names it may have.
GROUPS = {
    "action-items": ("category", CATEGORIES),
    "lessons": ("category", LESSON_KINDS),
    "supporting": ("kind", LINK_KINDS),
}
CHOICES = {
    "milestone": MILESTONES,
    "priority": PRIORITIES,
    "status": STATUSES,
}

# Words that mark a milestone (looked up in a set: linear in the description's length).
_START_VERBS = {"begins", "began", "begin", "start", "starts", "started", "starting"}
_TROUBLE = {
    "incident", "outage", "failing", "failures", "failure", "errors", "error", "erroring",
    "symptoms", "degradation", "degraded", "impact", "timeouts", "timing", "down", "latency",
}  # fmt: skip
_CHANGES = {"deployment", "deploy", "rollout", "release", "migration", "upgrade"}
_FIRES = {"fires", "fired", "firing", "fire", "triggered", "triggers", "trigger", "raised"}
_FAILED = {"fail", "fails", "failed", "unsuccessful", "aborted", "partially"}
_APPLIED = {"applied", "deployed", "rolled", "reverted", "complete", "completed", "succeeded"}
_FIXES = {"fix", "hotfix", "patch", "workaround", "configuration", "config", "change", "mitigation"}


def cues(description: str) -> dict[str, int]:
    """{milestone: strength} the words of one event suggest (a higher strength wins)."""
    words = re.findall(r"[a-z0-9]+", description.lower())
    seen, pairs = set(words), set(zip(words, words[1:], strict=False))
    cues = {}
    if seen & _START_VERBS and seen & _TROUBLE or ("first", "symptoms") in pairs:
        cues["started"] = 2
    elif seen & _START_VERBS and seen & _CHANGES:
        cues["started"] = 1
    if seen & {"alert", "alerts", "alarm", "alarms"} and seen & _FIRES or seen & {
        "detected", "detects", "noticed", "notices", "reported",
    }:  # fmt: skip
        cues["detected"] = 1
    if seen & {"paged", "paging"} or ("page", "sent") in pairs:
        cues["alerted"] = 1
    if seen & {"acknowledges", "acknowledged", "acknowledge", "acks", "acked", "ack"}:
        cues["acknowledged"] = 1
    if not seen & _FAILED:
        if (
            seen & {"mitigated", "mitigates"}
            or ("rolled", "back") in pairs
            or any(a in _FIXES and b in _APPLIED for a, b in pairs)
        ):
            cues["mitigated"] = 1
        fully = {"recovered", "restored", "resolved", "operational"}
        if "resolved" in seen or any(a == "fully" and b in fully for a, b in pairs) or (
            "service", "restored",
        ) in pairs:  # fmt: skip
            cues["resolved"] = 1
    return cues


def suggest_milestones(descriptions, existing=frozenset(), empty=True) -> dict[int, str]:
    """{index: milestone}: at most one event per milestone, the first whose words say it
    (the start: the first that says trouble began, else a change that began), none for a
    milestone the timeline has already. With nothing saying when it started, an empty
    timeline's first event is offered as the start once another milestone was found."""
    best: dict[str, tuple[int, int]] = {}  # milestone → (strength, index)
    for index, description in enumerate(descriptions):
        for milestone, strength in cues(description).items():
            if milestone in existing:
                continue
            if milestone not in best or strength > best[milestone][0]:
                best[milestone] = (strength, index)
    taken = {}
    for milestone in Milestone.values:  # one milestone per event: the earlier in the list
        if milestone in best and best[milestone][1] not in taken:
            taken[best[milestone][1]] = milestone
    if "started" not in best and "started" not in existing and empty and best:
        first = next((i for i, d in enumerate(descriptions) if d), None)
        if first is not None and first not in taken:
            taken[first] = "started"
    return taken


_KIND_WORDS = {
    "logs": {"log", "logs", "trace", "traces", "kibana", "jaeger", "loki", "splunk"},
    "runbook": {"runbook", "runbooks", "doc", "docs", "documentation", "wiki", "readme"},
    "dashboard": {"graph", "graphs", "dashboard", "grafana", "metrics", "latency", "chart"},
}


def guess_kind(title: str, url: str) -> str:
    words = set(re.findall(r"[a-z]+", f"{title} {url[:200]}".lower()))
    kind = next((k for k, known in _KIND_WORDS.items() if words & known), None)
    return kind or SupportingLink._meta.get_field("kind").default


# --- headings and header rows ----------------------------------------------------------------

# A heading or a header cell is a name: longer is a value.
MAX_NAME = 60


def squash(text: str) -> str:
    return " ".join(text.split())


def norm(text: str) -> str:
    """A heading or a header cell, compared: lower case, no emphasis, no trailing colon."""
    text = squash(text.replace("*", "").replace("`", "").replace("_", " ")).lower()
    return text.rstrip(":").strip()


def group(slug: str, line: str) -> str | None:
    """The value a heading line (`### Improve Detection`, `**Technical Learnings**:`,
    `Logs and Traces`) sets for the rows under it, or None."""
    if slug not in GROUPS or len(line) > MAX_NAME:
        return None
    return GROUPS[slug][1].get(norm(line.lstrip("#")))


def header(slug: str, cells: list[str], *, sure: bool) -> list[tuple[str, str]] | None:
    """[(cell, field)] when the cells name the table's columns (`sure`: the row is followed
    by a Markdown separator row, so a header whatever it says); else None."""
    if any(len(c) > MAX_NAME for c in cells):
        return None
    names = HEADERS[slug]
    mapped = [(c, names.get(norm(c).removesuffix(" (utc)"), "")) for c in cells]
    known = sum(1 for c, f in mapped if f or norm(c) in names)
    if sure or (known and known * 2 >= len([c for c in cells if c.strip()])):
        return mapped
    return None
