"""Grafana alerting: the bodies a webhook contact point posts
(https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
Since Grafana 8 ("unified alerting") it is Alertmanager's shape with a few fields more
(``orgId``, ``title``, ``state``, ``message``; per alert ``silenceURL``, ``dashboardURL``,
``values`` …), read by ``alertmanager.read_alerts``: a firing alert is a detection at
``startsAt``, a resolved one a resolution at ``endsAt``.

The legacy alerting of Grafana 7 and before posted ``{"ruleName", "state", "evalMatches",
"title", "message", …}`` with no time at all, so it cannot become a timeline: it is
recognised, and refused with a message that says what to export instead.
"""

from collections import Counter

from postmortems.exchange.sources import alertmanager
from postmortems.exchange.sources.base import Candidate, SourceRefused

SOURCE = "grafana"
LABEL = "Grafana alerting webhooks"

SNIFF = 5
LEGACY_FIELDS = {"ruleName", "ruleId", "evalMatches", "ruleUrl"}


def looks_like(value) -> bool:
    items = value[:SNIFF] if isinstance(value, list) else [value]
    return bool(items) and all(_is_unified(i) or _is_legacy(i) for i in items)


def _is_unified(value) -> bool:
    return alertmanager.is_notification(value) and alertmanager.is_grafanas(value)


def _is_legacy(value) -> bool:
    return (
        isinstance(value, dict)
        and "state" in value
        and "alerts" not in value
        and len(LEGACY_FIELDS & value.keys()) >= 2
    )


def read(value, skipped: Counter | None = None) -> list[Candidate]:
    items = value if isinstance(value, list) else [value]
    if items and all(_is_legacy(i) for i in items[:SNIFF]):
        raise SourceRefused(
            "This is a legacy Grafana alert notification (Grafana 7 or older): it carries no "
            "time, so it cannot become timeline events. Save the bodies of a Grafana alerting "
            "webhook contact point (Grafana 8 and later) instead: they say when each alert "
            "started and ended."
        )
    return alertmanager.read_alerts(value, SOURCE, "Grafana", skipped)
