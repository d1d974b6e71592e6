"""Opsgenie: the bodies its Webhook integration posts, one per alert action
(https://support.atlassian.com/opsgenie/docs/opsgenie-webhook-integration/):
``{"action": "Create" | "Acknowledge" | "Close" | "AddNote" …, "alert": {...}, "source":
{...}, "integrationName": …}``. Saved one after another, several bodies make a JSON list.

The alert's ``createdAt`` is milliseconds since 1970 and its ``updatedAt`` nanoseconds (the
moment of the action): a created alert is dated by the first, every other action by the second.
``username`` did it; an action from the API or an integration is a bot's. Create marks the
detection, Acknowledge the acknowledgement, Close the resolution. An action without any time
(Escalate sends none) is skipped and counted.
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

SOURCE = "opsgenie"
LABEL = "Opsgenie webhooks"

SNIFF = 5
MILESTONES = {
    "Create": Milestone.DETECTED.value,
    "Acknowledge": Milestone.ACKNOWLEDGED.value,
    "Close": Milestone.RESOLVED.value,
}
# Where an action came from when no person did it (``source.type``), and the names Opsgenie
# gives itself.
MACHINE_SOURCES = {"api", "integration", "system", "heartbeat"}
MACHINE_USERS = {"system", "alert api"}


def looks_like(value) -> bool:
    if isinstance(value, list):
        items = value[:SNIFF]
        return bool(items) and all(_is_payload(i) for i in items)
    return _is_payload(value)


def _is_payload(value) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("action"), str)
        and isinstance(value.get("alert"), dict)
    )


def read(value, skipped: Counter | None = None) -> list[Candidate]:
    skipped = Counter() if skipped is None else skipped
    found: list[Candidate] = []
    for payload in value if isinstance(value, list) else [value]:
        if len(found) >= MAX_CANDIDATES:
            skipped["actions past the first 5,000"] += 1
        elif not _is_payload(payload):
            skipped["items that are not Opsgenie webhook bodies"] += 1
        else:
            candidate = _candidate(payload, skipped)
            if candidate is not None:
                found.append(candidate)
    if not found and not skipped:
        raise SourceRefused("This Opsgenie file holds no webhook bodies.")
    return sorted(found, key=lambda c: c.at)


def _candidate(payload: dict, skipped) -> Candidate | None:
    action = words(payload["action"])
    alert = payload["alert"]
    stamps = ("createdAt", "updatedAt") if action == "Create" else ("updatedAt", "createdAt")
    at = _first_time([alert.get(key) for key in stamps])
    if at is None:
        skipped["actions without a time (Opsgenie sends none with Escalate)"] += 1
        return None
    user = words(alert.get("username")) or words(payload.get("username"))
    origin = words(dig(payload, "source", "type")).lower()
    bot = not user or user.lower() in MACHINE_USERS or origin in MACHINE_SOURCES
    return Candidate(
        at=at,
        text=clip(_text(action, alert, user, payload)),
        author=(user or words(payload.get("integrationName")) or "Opsgenie")[:200],
        channel=_channel(alert, payload)[:200],
        milestone=MILESTONES.get(action, ""),
        bot=bot,
        source=SOURCE,
        ref=words(dig(payload, "alertFlowContext", "requestId"))[:40],
    )


def _first_time(values):
    for value in values:
        if value in (None, "", 0):
            continue
        try:
            return moment(value)
        except SourceRefused:
            continue
    return None


def _text(action: str, alert: dict, user: str, payload: dict) -> str:
    message = words(alert.get("message")) or f"alert {words(alert.get('tinyId'))}".strip()
    by = f" by {user}" if user else ""
    if action == "Create":
        entity = words(alert.get("entity"))
        return f"Alert created: {message}" + (f" (entity {entity})" if entity else "")
    if action == "Acknowledge":
        return f"Acknowledged{by} (alert: {message})"
    if action == "Close":
        return f"Closed{by} (alert: {message})"
    if action == "AddNote":
        return f"Note{by}: {words(alert.get('note'))} (alert: {message})"
    if action == "AssignOwnership":
        return f"Assigned to {words(alert.get('owner')) or 'someone'}{by} (alert: {message})"
    if action == "Escalate":
        return f"Escalated to {words(payload.get('escalationName'))} (alert: {message})"
    said = "".join(f" {c.lower()}" if c.isupper() else c for c in action).strip().capitalize()
    return f"{said or 'Action'}{by} (alert: {message})"


def _channel(alert: dict, payload: dict) -> str:
    teams = alert.get("teams")
    team = teams[0] if isinstance(teams, list) and teams else None
    return (
        words(team)
        or words(dig(team, "name"))
        or words(payload.get("integrationName"))
        or words(alert.get("entity"))
    )
