"""Figures across incidents for /insights/, counted in a fixed, small number of queries.

Each function takes a queryset that already holds only what the person may see within the
date range (`documents_in_range`, `action_items_in_range`) and, where the answer depends on
the day, `today`, so tests pass a fixed day instead of freezing the clock. Time to detect,
acknowledge and resolve are `metrics.response_figures`, the same definitions as a document's
own figures, averaged per month of the incident date.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from postmortems import metrics
from postmortems.models import (
    ActionItem,
    Activity,
    Postmortem,
    Severity,
    Snapshot,
    TimelineEvent,
)

Milestone = TimelineEvent.Milestone
TOP_SERVICES = 10


def add_months(month: datetime.date, n: int) -> datetime.date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DateRange:
    """Incident dates from `start` to `end`, both included."""

    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> list[datetime.date]:
        """The first day of every month the range touches, oldest first."""
        first = self.start.replace(day=1)
        count = (self.end.year - first.year) * 12 + self.end.month - first.month + 1
        return [add_months(first, n) for n in range(count)]


def default_range(today: datetime.date) -> DateRange:
    """From the first of this month a year ago to today: twelve months back, and this one.

    Whole months only, so the oldest bar is never a partial month, and the same month last
    year stands beside this one.
    """
    return DateRange(add_months(today.replace(day=1), -12), today)


def range_ending(end: datetime.date) -> DateRange:
    return DateRange(add_months(end.replace(day=1), -12), end)


def documents_in_range(user, date_range: DateRange):
    return Postmortem.objects.visible_to(user).filter(
        incident_date__gte=date_range.start, incident_date__lte=date_range.end
    )


def action_items_in_range(user, date_range: DateRange):
    """The action items of the documents whose incident date is in the range."""
    return ActionItem.objects.visible_to(user).filter(
        postmortem__incident_date__gte=date_range.start,
        postmortem__incident_date__lte=date_range.end,
    )


# --- Incidents per month by severity: one query ------------------------------------------


@dataclass(frozen=True)
class SeverityCount:
    severity: str
    label: str
    count: int


@dataclass(frozen=True)
class MonthCount:
    month: datetime.date
    counts: tuple[SeverityCount, ...]  # in severity order, zeros included

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)

    def count(self, severity: str) -> int:
        return next(c.count for c in self.counts if c.severity == severity)


def incidents_per_month(documents, date_range: DateRange) -> list[MonthCount]:
    """Every month of the range, oldest first, with a count for every severity (0 included)."""
    rows = (
        documents.annotate(month=TruncMonth("incident_date"))
        .values("month", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(_as_date(row["month"]), row["severity"]): row["n"] for row in rows}
    return [
        MonthCount(
            month,
            tuple(
                SeverityCount(value, label, found.get((month, value), 0))
                for value, label in Severity.choices
            ),
        )
        for month in date_range.months
    ]


def severity_totals(months: list[MonthCount]) -> list[SeverityCount]:
    return [
        SeverityCount(value, label, sum(m.count(value) for m in months))
        for value, label in Severity.choices
    ]


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# --- Mean time to detect, acknowledge, resolve per month: one query ----------------------

# (attribute of metrics.Figures, label, short label)
RESPONSE_MEASURES = (
    ("time_to_detect", "Time to detect", "TTD"),
    ("time_to_acknowledge", "Time to acknowledge", "TTA"),
    ("time_to_resolve", "Time to resolve", "Resolve"),
)
_NEEDED = (Milestone.STARTED, Milestone.DETECTED, Milestone.ACKNOWLEDGED, Milestone.RESOLVED)


class _Event(NamedTuple):
    milestone: str
    occurred_at: datetime.datetime


@dataclass(frozen=True)
class MonthMean:
    month: datetime.date
    minutes: float | None  # None: no incident that month has both milestones — a gap
    count: int  # incidents the mean is taken over


@dataclass(frozen=True)
class ResponseSeries:
    key: str
    label: str
    short_label: str
    points: list[MonthMean]
    mean: float | None  # over every incident of the range, not a mean of the monthly means
    count: int


def response_times_per_month(documents, date_range: DateRange) -> list[ResponseSeries]:
    """Mean TTD, TTA and time to resolve in minutes (one decimal), per incident month.

    The earliest event of each milestone on each document counts, as on the document itself;
    a document without both milestones of a measure, or with them out of order, is left out
    of that measure.
    """
    rows = (
        TimelineEvent.objects.filter(postmortem__in=documents.values("pk"), milestone__in=_NEEDED)
        .values("postmortem_id", "postmortem__incident_date", "milestone")
        .annotate(first=Min("occurred_at"))
        .order_by()
    )
    events = defaultdict(list)
    months = {}
    for row in rows:
        events[row["postmortem_id"]].append(_Event(row["milestone"], row["first"]))
        months[row["postmortem_id"]] = row["postmortem__incident_date"].replace(day=1)
    values = {key: defaultdict(list) for key, _, _ in RESPONSE_MEASURES}
    for pk, document_events in events.items():
        figures = metrics.response_figures(document_events)
        for key, _, _ in RESPONSE_MEASURES:
            value = getattr(figures, key).value
            if value is not None:
                values[key][months[pk]].append(value.total_seconds() / 60)
    series = []
    for key, label, short_label in RESPONSE_MEASURES:
        by_month = values[key]
        everything = [v for month_values in by_month.values() for v in month_values]
        series.append(
            ResponseSeries(
                key,
                label,
                short_label,
                [
                    MonthMean(month, _mean(by_month.get(month, [])), len(by_month.get(month, [])))
                    for month in date_range.months
                ],
                _mean(everything),
                len(everything),
            )
        )
    return series


def _mean(values) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def format_minutes(minutes: float | None) -> str:
    """4 min, 2.5 min, 1 h 5 min, 2 d 3 h: a mean as a person says it."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes:.1f}".removesuffix(".0") + " min"
    return metrics.format_duration(datetime.timedelta(minutes=round(minutes)))


# --- Action items: one query --------------------------------------------------------------


@dataclass(frozen=True)
class PriorityCount:
    priority: str
    label: str
    count: int


@dataclass(frozen=True)
class ActionItemFigures:
    total: int
    done: int
    overdue: int  # not done, due before today
    open_by_priority: list[PriorityCount] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.total - self.done

    @property
    def completion_rate(self) -> int | None:
        """Done as a whole percentage of all items (half rounds up); None without items."""
        if not self.total:
            return None
        return (self.done * 200 + self.total) // (self.total * 2)


def action_item_figures(items, today: datetime.date) -> ActionItemFigures:
    done = Q(status=ActionItem.Status.DONE)
    by_priority = {
        value: Count("id", filter=~done & Q(priority=value))
        for value, _ in ActionItem.Priority.choices
    }
    row = items.order_by().aggregate(
        total=Count("id"),
        done=Count("id", filter=done),
        overdue=Count("id", filter=~done & Q(due_date__lt=today)),
        **by_priority,
    )
    return ActionItemFigures(
        total=row["total"],
        done=row["done"],
        overdue=row["overdue"],
        open_by_priority=[
            PriorityCount(value, label, row[value]) for value, label in ActionItem.Priority.choices
        ],
    )


# --- Incidents by service: one query -------------------------------------------------------


@dataclass(frozen=True)
class ServiceCount:
    name: str
    count: int


def incidents_by_service(documents, limit: int = TOP_SERVICES) -> list[ServiceCount]:
    """The services (tags) with the most incidents, most first, then by name."""
    through = Postmortem.tags.through
    rows = (
        through.objects.filter(postmortem__in=documents.values("pk"))
        .values("tag__name")
        .annotate(n=Count("postmortem_id"))
        .order_by("-n", "tag__name")[:limit]
    )
    return [ServiceCount(row["tag__name"], row["n"]) for row in rows]


# --- Days from the incident to Final: one query --------------------------------------------

DAY_BUCKETS = (
    # (label, most days in the bucket; None: no upper bound)
    ("Within a week", 7),
    ("8–14 days", 14),
    ("15–30 days", 30),
    ("31–60 days", 60),
    ("61–90 days", 90),
    ("Over 90 days", None),
)


@dataclass(frozen=True)
class FinalDocument:
    key: str
    title: str
    incident_date: datetime.date
    finalized_on: datetime.date
    days: int


@dataclass(frozen=True)
class BucketCount:
    label: str
    count: int


@dataclass(frozen=True)
class DaysToFinal:
    documents: list[FinalDocument]  # newest incident first
    mean: float | None
    median: float | None
    buckets: list[BucketCount]


def days_to_final(documents) -> DaysToFinal:
    """For every Final document: days from its incident date to the day it became Final.

    That day is when its latest "finalized" activity was logged (the snapshot's time for a
    document with no such entry), in UTC.
    """
    finalized = (
        Activity.objects.filter(postmortem=OuterRef("pk"), verb=Activity.Verb.FINALIZED)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    snapshot = (
        Snapshot.objects.filter(postmortem=OuterRef("pk"))
        .order_by("-version")
        .values("finalized_at")[:1]
    )
    rows = (
        documents.filter(status=Postmortem.Status.FINAL)
        .annotate(final_at=Coalesce(Subquery(finalized), Subquery(snapshot)))
        .filter(final_at__isnull=False)
        .order_by("-incident_date", "key")
        .values("key", "title", "incident_date", "final_at")
    )
    found = []
    for row in rows:
        finalized_on = row["final_at"].astimezone(datetime.UTC).date()
        found.append(
            FinalDocument(
                row["key"],
                row["title"],
                row["incident_date"],
                finalized_on,
                (finalized_on - row["incident_date"]).days,
            )
        )
    days = [d.days for d in found]
    return DaysToFinal(
        documents=found,
        mean=_mean(days),
        median=statistics.median(days) if days else None,
        buckets=_buckets(days),
    )


def _buckets(days: list[int]) -> list[BucketCount]:
    counts = [0] * len(DAY_BUCKETS)
    for value in days:
        for index, (_, most) in enumerate(DAY_BUCKETS):
            if most is None or value <= most:
                counts[index] += 1
                break
    return [BucketCount(label, n) for (label, _), n in zip(DAY_BUCKETS, counts, strict=True)]


# --- Everything the page shows: five queries ---------------------------------------------


@dataclass(frozen=True)
class Insights:
    date_range: DateRange
    months: list[MonthCount]
    severity_totals: list[SeverityCount]
    response_times: list[ResponseSeries]
    action_items: ActionItemFigures
    services: list[ServiceCount]
    days_to_final: DaysToFinal

    @property
    def incident_count(self) -> int:
        return sum(m.total for m in self.months)


def insights_for(user, date_range: DateRange, today: datetime.date) -> Insights:
    documents = documents_in_range(user, date_range)
    months = incidents_per_month(documents, date_range)
    return Insights(
        date_range=date_range,
        months=months,
        severity_totals=severity_totals(months),
        response_times=response_times_per_month(documents, date_range),
        action_items=action_item_figures(action_items_in_range(user, date_range), today),
        services=incidents_by_service(documents),
        days_to_final=days_to_final(documents),
    )
