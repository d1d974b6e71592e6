"""Prometheus Alertmanager: the bodies its webhook receiver posts
(https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): ``{"receiver",
"status", "alerts": [{"status", "labels", "annotations", "startsAt", "endsAt", "fingerprint",
…}], "groupLabels", "commonLabels", "groupKey", "version": "4", …}``. Saved one after another,
several bodies make a JSON list.

Each alert is a detection at ``startsAt``; a resolved alert is also a resolution at
``endsAt`` ("0001-01-01T00:00:00Z", Go's zero time, means the end is not set). The same alert
repeats in every notification of its group, so an event already read is not read twice.
Grafana's unified alerting posts the same shape with a few fields more: ``grafana.py`` reads
it through ``read_alerts`` here.
"""

from collections import Counter
from itertools import islice

from postmortems.exchange.sources.base import (
    MAX_CANDIDATES,
    Candidate,
    SourceRefused,
    clip,
    dig,
    from_iso,
    words,
)
from postmortems.metrics import Milestone

SOURCE = "alertmanager"
LABEL = "Prometheus Alertmanager webhooks"

SNIFF = 5
# Go's zero time: Alertmanager's "not set".
UNSET_YEAR = 1
# Labels listed after an alert's name, at most; the name and what the summary says already
# are not repeated.
MAX_LABELS = 6
# Fields only Grafana adds to a notification or to an alert in it.
GRAFANA_FIELDS = {"orgId", "title", "state", "message"}
GRAFANA_ALERT_FIELDS = {"silenceURL", "dashboardURL", "panelURL", "values", "valueString"}


def is_notification(value) -> bool:
    """The webhook shape both Alertmanager and Grafana post."""
    alerts = dig(value, "alerts")
    return (
        isinstance(alerts, list)
        and "receiver" in value
        and ("groupKey" in value or "commonLabels" in value)
        and all(isinstance(a, dict) and "startsAt" in a for a in alerts[:SNIFF])
    )


def is_grafanas(value) -> bool:
    alerts = value["alerts"][:SNIFF]
    return bool(GRAFANA_FIELDS & value.keys()) or any(
        GRAFANA_ALERT_FIELDS & a.keys() for a in alerts
    )


def looks_like(value) -> bool:
    items = value[:SNIFF] if isinstance(value, list) else [value]
    return bool(items) and all(is_notification(i) and not is_grafanas(i) for i in items)


def read(value, skipped: Counter | None = None) -> list[Candidate]:
    return read_alerts(value, SOURCE, "Alertmanager", skipped)


def read_alerts(value, source: str, tool: str, skipped: Counter | None) -> list[Candidate]:
    skipped = Counter() if skipped is None else skipped
    found: dict[tuple, Candidate] = {}
    for payload in value if isinstance(value, list) else [value]:
        if not is_notification(payload):
            skipped[f"items that are not {tool} notifications"] += 1
            continue
        receiver = words(payload.get("receiver"))
        for alert in payload["alerts"]:
            if len(found) >= MAX_CANDIDATES:
                skipped["alerts past the first 5,000"] += 1
                continue
            for candidate in _alert(alert, receiver, source, tool, skipped):
                found.setdefault((candidate.at, candidate.ref, candidate.text), candidate)
    if not found and not skipped:
        raise SourceRefused(f"This {tool} notification holds no alerts.")
    return sorted(list(found.values())[:MAX_CANDIDATES], key=lambda c: c.at)


def _time(value):
    try:
        at = from_iso(value)
    except SourceRefused:
        return None
    return None if at.year <= UNSET_YEAR else at


def _alert(alert, receiver: str, source: str, tool: str, skipped) -> list[Candidate]:
    if not isinstance(alert, dict):
        skipped["alerts that are not objects"] += 1
        return []
    labels = alert.get("labels") if isinstance(alert.get("labels"), dict) else {}
    name = words(labels.get("alertname")) or "alert"
    about = describe(alert, labels)
    fingerprint = words(alert.get("fingerprint"))[:32]
    common = {
        "author": tool,
        "channel": (receiver or name)[:200],
        "bot": True,
        "source": source,
    }
    found = []
    started = _time(alert.get("startsAt"))
    if started is None:
        skipped["alerts without a start time"] += 1
    else:
        found.append(
            Candidate(
                at=started,
                text=clip(f"Firing: {name}{about}"),
                milestone=Milestone.DETECTED.value,
                ref=f"{fingerprint}:firing" if fingerprint else "",
                **common,
            )
        )
    if words(alert.get("status")) == "resolved":
        ended = _time(alert.get("endsAt"))
        if ended is None:
            skipped["resolved alerts without an end time"] += 1
        else:
            found.append(
                Candidate(
                    at=ended,
                    text=clip(f"Resolved: {name}{about}"),
                    milestone=Milestone.RESOLVED.value,
                    ref=f"{fingerprint}:resolved" if fingerprint else "",
                    **common,
                )
            )
    return found


def describe(alert: dict, labels: dict) -> str:
    """ " — summary. description [label=value, …]": what the alert's annotations say, then the
    labels that tell one alert of a rule from another."""
    annotations = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
    said = [words(annotations.get(key)) for key in ("summary", "description", "message")]
    said = [s for s in said if s]
    pairs = [
        f"{words(key)}={words(value)}"
        for key, value in islice(labels.items(), MAX_LABELS + 1)
        if key != "alertname" and words(value)
    ][:MAX_LABELS]
    text = (" — " + ". ".join(said)) if said else ""
    return text + (f" [{', '.join(pairs)}]" if pairs else "")
