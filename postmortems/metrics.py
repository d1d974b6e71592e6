"""Figures computed from what the authors typed: never typed themselves.

All functions take already-loaded objects (the views prefetch them), so computing the
figures costs no query.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import models


class Milestone(models.TextChoices):
    """The moments of a timeline that give the figures (a timeline event may mark one)."""

    STARTED = "started", "Incident started"
    DETECTED = "detected", "Detected (first alert or report)"
    ALERTED = "alerted", "Responder paged"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by a human"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"


@dataclass(frozen=True)
class Figure:
    label: str
    value: timedelta | None
    explanation: str
    # Set when the milestones are out of order, so the figure would be negative.
    problem: str = ""


def first_milestones(events) -> dict[str, datetime]:
    """The earliest time of each milestone on the timeline."""
    found: dict[str, datetime] = {}
    for event in events:
        if event.milestone and (
            event.milestone not in found or event.occurred_at < found[event.milestone]
        ):
            found[event.milestone] = event.occurred_at
    return found


@dataclass(frozen=True)
class Figures:
    time_to_detect: Figure
    time_to_page: Figure
    time_to_acknowledge: Figure
    time_to_mitigate: Figure
    time_to_resolve: Figure

    def __iter__(self):
        yield from (
            self.time_to_detect,
            self.time_to_page,
            self.time_to_acknowledge,
            self.time_to_mitigate,
            self.time_to_resolve,
        )


def response_figures(events) -> Figures:
    """TTD, time to page, TTA, time to mitigate and to resolve, from the timeline's milestones.

    The template's example: started 14:23, alert 14:24 (TTD 1 minute), on-call paged 14:26,
    page acknowledged 14:28 (TTA 4 minutes from the alert), resolved 15:10 (47 minutes).
    """
    m = first_milestones(events)
    return Figures(
        time_to_detect=_figure(
            "Time to detect (TTD)", "From incident start to the first alert or report.",
            m, Milestone.STARTED, Milestone.DETECTED,
        ),
        time_to_page=_figure(
            "Time to page", "From detection to a responder being paged.",
            m, Milestone.DETECTED, Milestone.ALERTED,
        ),
        time_to_acknowledge=_figure(
            "Time to acknowledge (TTA)", "From the alert to a human acknowledging it.",
            m, Milestone.DETECTED, Milestone.ACKNOWLEDGED,
        ),
        time_to_mitigate=_figure(
            "Time to mitigate", "From incident start to mitigation.",
            m, Milestone.STARTED, Milestone.MITIGATED,
        ),
        time_to_resolve=_figure(
            "Time to resolve (duration)", "From incident start to resolution: the total duration.",
            m, Milestone.STARTED, Milestone.RESOLVED,
        ),
    )  # fmt: skip


def _figure(label, explanation, milestones, start, end) -> Figure:
    missing = [Milestone(x).label for x in (start, end) if x not in milestones]
    if missing:
        return Figure(
            label,
            None,
            explanation,
            problem="Mark “" + "” and “".join(missing) + "” on the timeline.",
        )
    value = milestones[end] - milestones[start]
    if value < timedelta(0):
        return Figure(
            label,
            None,
            explanation,
            problem=f"“{Milestone(end).label}” is before “{Milestone(start).label}” on the timeline.",
        )
    return Figure(label, value, explanation)


def outage_duration(postmortem, events) -> timedelta | None:
    """The typed outage period if there is one, else start → resolved from the timeline."""
    if postmortem.outage_started_at and postmortem.outage_ended_at:
        value = postmortem.outage_ended_at - postmortem.outage_started_at
        return value if value >= timedelta(0) else None
    return response_figures(events).time_to_resolve.value


def error_budget_minutes(target_percent: Decimal | None, window_days: int | None) -> Decimal | None:
    """window × (1 − target): 99.9 % over 28 days is 40.32 minutes."""
    if target_percent is None or not window_days:
        return None
    minutes = Decimal(window_days) * 24 * 60
    return (minutes * (Decimal(100) - Decimal(target_percent)) / Decimal(100)).quantize(
        Decimal("0.01")
    )


def error_budget_share(consumed_minutes: Decimal | None, budget: Decimal | None) -> Decimal | None:
    """The share of the budget consumed, in percent (31.2 of 40.32 minutes is 77.4 %)."""
    if consumed_minutes is None or not budget:
        return None
    return (Decimal(consumed_minutes) * 100 / budget).quantize(Decimal("0.1"))


def format_duration(value: timedelta | None) -> str:
    """47 minutes, 1 h 5 min, 2 d 3 h: how a person says a duration."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    seconds = int(value.total_seconds() % 60)
    if minutes == 0:
        return f"{seconds} s" if seconds else "0 minutes"
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
