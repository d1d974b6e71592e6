"""PagerDuty: an incident's log entries as the REST API returns them, and webhook bodies of the
three generations PagerDuty has sent.

- REST API: ``GET /incidents/{id}/log_entries`` answers ``{"log_entries": [...]}``; each entry
  has a ``type`` (``trigger_log_entry``, ``acknowledge_log_entry``, ``notify_log_entry`` …; the
  retired v1 API wrote ``trigger``, ``acknowledge`` …), ``created_at``, the ``agent`` who did it
  (a user, or a service / integration when PagerDuty did it itself), ``service`` and
  ``incident`` (https://developer.pagerduty.com/api-reference/, "List log entries for an
  incident"). A bare list of entries, and ``{"log_entry": {...}}``, are read the same way.
- Webhooks v1: ``{"messages": [{"type": "incident.trigger", "created_on": …, "data":
  {"incident": {...}}}]}``.
- Webhooks v2: ``{"messages": [{"event": "incident.trigger", "log_entries": [...],
  "incident": {...}}]}``: the log entries are read as above.
- Webhooks v3: ``{"event": {"event_type": "incident.triggered", "occurred_at": …, "agent":
  {...}, "data": {...}}}``.

Several saved webhook bodies in one JSON list are read one after another. What starts an
incident is its detection, a notification to a person is the page, then acknowledged and
resolved: those four mark milestones. Everything else is kept as a plain event.
"""

from collections import Counter

from postmortems.exchange.sources.base import (
    MAX_CANDIDATES,
    Candidate,
    SourceRefused,
    clip,
    dig,
    moment,
    words,
)
from postmortems.metrics import Milestone

SOURCE = "pagerduty"
LABEL = "PagerDuty incident log or webhooks"

# Items of a list looked at to decide the format: enough to tell, cheap on a huge list.
SNIFF = 5
# Assignees named in one "Escalated to …" line.
MAX_NAMES = 5

# Entry kinds (a log entry's type without "_log_entry", a webhook's event without
# "incident.") that mark a milestone. v3 spells them in the past tense.
MILESTONES = {
    "trigger": Milestone.DETECTED.value,
    "triggered": Milestone.DETECTED.value,
    "notify": Milestone.ALERTED.value,
    "acknowledge": Milestone.ACKNOWLEDGED.value,
    "acknowledged": Milestone.ACKNOWLEDGED.value,
    "resolve": Milestone.RESOLVED.value,
    "resolved": Milestone.RESOLVED.value,
}
# Agents that are people; any other agent type (a service, an integration) is PagerDuty's own.
PEOPLE = {"user", "user_reference"}


def looks_like(value) -> bool:
    if isinstance(value, list):
        items = value[:SNIFF]
        return bool(items) and all(_is_entry(i) or _is_payload(i) for i in items)
    return _is_payload(value)


def _is_payload(value) -> bool:
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("log_entries"), list):
        return all(_is_entry(e) for e in value["log_entries"][:SNIFF])
    if _is_entry(value.get("log_entry")):
        return True
    messages = value.get("messages")
    if isinstance(messages, list) and messages:
        return all(_webhook_kind(m).startswith("incident") for m in messages[:SNIFF])
    event = value.get("event")
    return isinstance(dig(event, "event_type"), str) and "occurred_at" in event


def _is_entry(value) -> bool:
    kind = dig(value, "type")
    return (isinstance(kind, str) and kind.endswith("_log_entry") and "created_at" in value) or (
        isinstance(kind, str) and "created_at" in value and "agent" in value
    )


def _webhook_kind(message) -> str:
    kind = dig(message, "event") or dig(message, "type")
    return kind if isinstance(kind, str) else ""


def read(value, skipped: Counter | None = None) -> list[Candidate]:
    skipped = Counter() if skipped is None else skipped
    found: list[Candidate] = []
    for item in value if isinstance(value, list) else [value]:
        if len(found) >= MAX_CANDIDATES:
            skipped["entries past the first 5,000"] += 1
            continue
        if _is_entry(item):
            _add(found, _entry(item, skipped), skipped)
        elif isinstance(item, dict):
            _payload(item, found, skipped)
        else:
            skipped["items that are not PagerDuty entries"] += 1
    if not found and not skipped:
        raise SourceRefused("This PagerDuty file holds no log entries or webhook messages.")
    return sorted(found[:MAX_CANDIDATES], key=lambda c: c.at)


def _add(found, candidate, skipped) -> None:
    if candidate is None:
        return
    if len(found) >= MAX_CANDIDATES:
        skipped["entries past the first 5,000"] += 1
    else:
        found.append(candidate)


def _payload(payload: dict, found, skipped) -> None:
    entries = payload.get("log_entries")
    if isinstance(entries, list):
        _entries(entries, found, skipped)
    elif isinstance(payload.get("log_entry"), dict):
        _add(found, _entry(payload["log_entry"], skipped), skipped)
    elif isinstance(payload.get("messages"), list):
        for message in payload["messages"]:
            _message(message, found, skipped)
    elif isinstance(payload.get("event"), dict):
        _add(found, _v3(payload["event"], skipped), skipped)
    else:
        skipped["items that are not PagerDuty entries"] += 1


def _entries(entries: list, found, skipped) -> None:
    these = []
    for entry in entries:
        if len(found) + len(these) >= MAX_CANDIDATES:
            skipped["entries past the first 5,000"] += 1
            continue
        _add(these, _entry(entry, skipped), skipped)
    # The API lists the newest first: turned round, entries of the same second (a trigger and
    # its assignment) keep the order they happened in through the sort by time.
    if these and these[0].at > these[-1].at:
        these.reverse()
    found.extend(these)


def _at(value, skipped):
    try:
        return moment(value)
    except SourceRefused:
        skipped["entries without a readable time"] += 1
        return None


def _name(ref) -> str:
    """A reference's display name: REST v2 calls it ``summary``, v1 ``name``."""
    return words(dig(ref, "summary")) or words(dig(ref, "name"))


# -- REST log entries (and webhook v2's) ------------------------------------------------------


def _entry(entry, skipped) -> Candidate | None:
    if not isinstance(entry, dict):
        skipped["entries that are not objects"] += 1
        return None
    at = _at(entry.get("created_at"), skipped)
    if at is None:
        return None
    kind = words(entry.get("type")).removesuffix("_log_entry")
    agent = entry.get("agent")
    # An agent without a type (older entries) is read as a person: PagerDuty types its own.
    person = words(dig(agent, "type")) in PEOPLE or bool(agent and not dig(agent, "type"))
    author = _name(agent) or ("" if person else "PagerDuty")
    service = _name(entry.get("service"))
    return Candidate(
        at=at,
        text=clip(_entry_text(kind, entry, author, service)),
        author=author[:200],
        channel=service[:200],
        milestone=MILESTONES.get(kind, ""),
        bot=not person,
        source=SOURCE,
        ref=words(entry.get("id"))[:40],
    )


def _entry_text(kind: str, entry: dict, author: str, service: str) -> str:
    summary = words(entry.get("summary"))
    if kind == "trigger":
        title = _title(words(dig(entry, "incident", "summary"))) or _description(entry)
        title = title or summary or "incident"
        return f"Triggered: {title}" + (f" (service {service})" if service else "")
    if kind == "acknowledge" and author:
        return f"Acknowledged by {author}"
    if kind == "resolve":
        note = words(entry.get("note"))
        said = f"Resolved by {author}" if author else summary or "Resolved"
        return f"{said}: {note}" if note else said
    if kind == "escalate" and not summary:
        return "Escalated to " + _names(entry.get("assignees"))
    if kind == "annotate":
        note = words(dig(entry, "channel", "summary")) or words(entry.get("note"))
        return f"Note: {note}" if note else summary or "Note added"
    return summary or kind.replace("_", " ").capitalize() or "PagerDuty log entry"


def _description(entry: dict) -> str:
    return words(dig(entry, "channel", "summary")) or words(
        dig(entry, "event_details", "description")
    )


def _title(summary: str) -> str:
    """An incident reference's summary without its "[#12] " number."""
    if summary.startswith("[#") and "] " in summary[:16]:
        return summary.split("] ", 1)[1]
    return summary


def _names(refs) -> str:
    names = [_name(r) for r in refs[:MAX_NAMES]] if isinstance(refs, list) else []
    return ", ".join(n for n in names if n) or "the next level"


# -- Webhooks v1 and v2 -----------------------------------------------------------------------


def _message(message, found, skipped) -> None:
    if not isinstance(message, dict):
        skipped["webhook messages that are not objects"] += 1
        return
    entries = message.get("log_entries")
    if isinstance(entries, list) and entries:
        _entries(entries, found, skipped)
        return
    _add(found, _v1(message, skipped), skipped)


def _v1(message: dict, skipped) -> Candidate | None:
    at = _at(message.get("created_on"), skipped)
    if at is None:
        return None
    kind = _webhook_kind(message).removeprefix("incident.")
    incident = dig(message, "data", "incident") or message.get("incident") or {}
    changed_by = dig(incident, "last_status_change_by") or (
        dig(incident, "assigned_to_user") if kind == "acknowledge" else None
    )
    service = _name(dig(incident, "service"))
    author = _name(changed_by) or service or "PagerDuty"
    title = (
        words(dig(incident, "trigger_summary_data", "subject"))
        or words(dig(incident, "trigger_summary_data", "description"))
        or words(dig(incident, "title"))
        or f"incident #{words(dig(incident, 'incident_number'))}"
    )
    return Candidate(
        at=at,
        text=clip(_v1_text(kind, title, author, service, incident)),
        author=author[:200],
        channel=(service or _name(dig(incident, "escalation_policy")))[:200],
        milestone=MILESTONES.get(kind, ""),
        bot=not _name(changed_by),
        source=SOURCE,
        ref=words(message.get("id"))[:40],
    )


def _v1_text(kind: str, title: str, author: str, service: str, incident) -> str:
    if kind == "trigger":
        return f"Triggered: {title}" + (f" (service {service})" if service else "")
    if kind == "acknowledge":
        return f"Acknowledged by {author}: {title}"
    if kind == "resolve":
        by = _name(dig(incident, "resolved_by_user")) or author
        return f"Resolved by {by}: {title}"
    if kind == "assign":
        return f"Assigned to {_name(dig(incident, 'assigned_to_user')) or author}: {title}"
    return f"{kind.replace('_', ' ').capitalize() or 'Event'}: {title}"


# -- Webhooks v3 ------------------------------------------------------------------------------


def _v3(event: dict, skipped) -> Candidate | None:
    at = _at(event.get("occurred_at"), skipped)
    if at is None:
        return None
    kind = words(event.get("event_type"))
    short = kind.removeprefix("incident.")
    agent = event.get("agent")
    person = words(dig(agent, "type")) in PEOPLE
    author = _name(agent) or "PagerDuty"
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    service = _name(data.get("service"))
    return Candidate(
        at=at,
        text=clip(_v3_text(kind, short, data, author, service)),
        author=author[:200],
        channel=(service or _name(data.get("escalation_policy")))[:200],
        milestone=MILESTONES.get(short, "") if kind.startswith("incident.") else "",
        bot=not person,
        source=SOURCE,
        ref=words(event.get("id"))[:40],
    )


def _v3_text(kind: str, short: str, data: dict, author: str, service: str) -> str:
    title = words(data.get("title")) or _title(words(dig(data, "incident", "summary")))
    if short == "triggered":
        return f"Triggered: {title or 'incident'}" + (f" (service {service})" if service else "")
    if short in ("acknowledged", "resolved", "reopened", "unacknowledged"):
        said = f"{short.capitalize()} by {author}"
        return f"{said}: {title}" if title else said
    if short == "annotated":
        return f"Note: {words(data.get('content')) or title}"
    if short in ("escalated", "reassigned", "delegated"):
        return f"{short.capitalize()} to {_names(data.get('assignees'))}: {title}"
    if short == "priority_updated":
        return f"Priority changed to {_name(data.get('priority')) or 'none'}: {title}"
    if short == "status_update_published":
        return f"Status update: {words(data.get('message')) or title}"
    said = kind.replace(".", " ").replace("_", " ").capitalize() or "PagerDuty event"
    return f"{said}: {title}" if title else said
