"""The computed figures, checked against the template's own VirtEngine example."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from postmortems.demo import seed_demo
from postmortems.metrics import (
    error_budget_minutes,
    error_budget_share,
    format_duration,
    outage_duration,
    response_figures,
)
from postmortems.models import Postmortem, TimelineEvent

M = TimelineEvent.Milestone
DAY = datetime.date(2026, 1, 29)


def at(hhmm: str, day: datetime.date = DAY) -> datetime.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def event(hhmm: str, milestone: str = "", description: str = "Something happened"):
    return TimelineEvent(occurred_at=at(hhmm), milestone=milestone, description=description)


def virtengine_timeline():
    """The template's example: only the milestone rows, plus an unmarked one in between."""
    return [
        event("14:15", description="Deployment of API v1.2.3 completes successfully"),
        event("14:23", M.STARTED, "Database connection pool reaches maximum"),
        event("14:24", M.DETECTED, 'Alert: "APIErrorRateHigh" fires'),
        event("14:26", M.ALERTED, "On-call engineer (Alice) paged via PagerDuty"),
        event("14:28", M.ACKNOWLEDGED, "Alice acknowledges page"),
        event("14:50", M.MITIGATED, "Configuration deployed, API restarting"),
        event("15:10", M.RESOLVED, "Incident declared resolved"),
        event("15:30", description="Incident closed, postmortem scheduled"),
    ]


EXAMPLE_FIGURES = {
    "time_to_detect": minutes(1),
    "time_to_page": minutes(2),
    "time_to_acknowledge": minutes(4),
    "time_to_mitigate": minutes(27),
    "time_to_resolve": minutes(47),
}


def figure_values(figures) -> dict[str, datetime.timedelta | None]:
    return {name: getattr(figures, name).value for name in EXAMPLE_FIGURES}


# --- response figures ---------------------------------------------------------------------


def test_it_computes_the_template_example_figures():
    assert figure_values(response_figures(virtengine_timeline())) == EXAMPLE_FIGURES


def test_it_reports_no_problem_when_every_milestone_is_there_in_order():
    assert [figure.problem for figure in response_figures(virtengine_timeline())] == [""] * 5


def test_it_iterates_the_figures_in_the_template_order():
    labels = [figure.label for figure in response_figures(virtengine_timeline())]
    assert labels == [
        "Time to detect (TTD)",
        "Time to page",
        "Time to acknowledge (TTA)",
        "Time to mitigate",
        "Time to resolve (duration)",
    ]


def test_it_does_not_depend_on_the_order_of_the_rows():
    assert figure_values(response_figures(reversed(virtengine_timeline()))) == EXAMPLE_FIGURES


def test_it_counts_the_earliest_event_when_several_share_a_milestone():
    events = [
        *virtengine_timeline(),
        # A second alert after the first, and a relapse that is put first in the list below.
        event("14:40", M.DETECTED, "Second alert fires"),
        event("15:40", M.RESOLVED, "Declared resolved again after a relapse"),
    ]
    later_first = [events[-1], *events[:-1]]
    figures = response_figures(later_first)
    assert figures.time_to_detect.value == minutes(1)
    assert figures.time_to_resolve.value == minutes(47)


def test_it_ignores_the_unmarked_rows():
    only_unmarked = [event("14:00"), event("16:00")]
    figures = response_figures(only_unmarked)
    assert [figure.value for figure in figures] == [None] * 5


def test_it_names_the_missing_milestone():
    events = [e for e in virtengine_timeline() if e.milestone != M.RESOLVED]
    figures = response_figures(events)
    assert figures.time_to_resolve.value is None
    assert "Resolved" in figures.time_to_resolve.problem
    assert "Incident started" not in figures.time_to_resolve.problem
    # The others are still computed.
    assert figures.time_to_detect.value == minutes(1)
    assert figures.time_to_mitigate.value == minutes(27)


def test_it_names_both_milestones_when_both_are_missing():
    events = [event("14:28", M.ACKNOWLEDGED), event("14:50", M.MITIGATED)]
    problem = response_figures(events).time_to_detect.problem
    assert "Incident started" in problem
    assert "Detected" in problem


def test_it_refuses_a_milestone_out_of_order():
    events = [event("15:10", M.STARTED), event("14:23", M.RESOLVED)]
    figure = response_figures(events).time_to_resolve
    assert figure.value is None
    assert "Resolved" in figure.problem
    assert "before" in figure.problem
    assert "Incident started" in figure.problem


def test_it_accepts_two_milestones_at_the_same_minute():
    events = [event("14:23", M.STARTED), event("14:23", M.DETECTED)]
    figure = response_figures(events).time_to_detect
    assert figure.value == datetime.timedelta(0)
    assert figure.problem == ""


def test_it_computes_across_midnight():
    events = [
        TimelineEvent(occurred_at=at("23:50"), milestone=M.STARTED, description="x"),
        TimelineEvent(
            occurred_at=at("00:15", DAY + datetime.timedelta(days=1)),
            milestone=M.RESOLVED,
            description="y",
        ),
    ]
    assert response_figures(events).time_to_resolve.value == minutes(25)


# --- format_duration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (datetime.timedelta(0), "0 minutes"),
        (datetime.timedelta(seconds=30), "30 s"),
        (minutes(1), "1 minute"),
        (datetime.timedelta(minutes=1, seconds=59), "1 minute"),
        (minutes(2), "2 minutes"),
        (minutes(47), "47 minutes"),
        (minutes(59), "59 minutes"),
        (minutes(60), "1 h"),
        (minutes(65), "1 h 5 min"),
        (datetime.timedelta(hours=47, minutes=59), "47 h 59 min"),
        (datetime.timedelta(hours=48), "2 d"),
        (datetime.timedelta(days=2, hours=3), "2 d 3 h"),
        (datetime.timedelta(days=2, hours=3, minutes=40), "2 d 3 h"),
    ],
    ids=lambda v: str(v),
)
def test_it_formats_a_duration_as_a_person_says_it(value, shown):
    assert format_duration(value) == shown


# --- error budget -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "window", "budget"),
    [
        (Decimal("99.9"), 28, Decimal("40.32")),
        (Decimal("99.9"), 30, Decimal("43.2")),
        (Decimal("99.90"), 28, Decimal("40.32")),
        (Decimal("99.9000"), 28, Decimal("40.32")),
        (Decimal("99.95"), 30, Decimal("21.6")),
        (Decimal("99"), 7, Decimal("100.8")),
    ],
    ids=["99.9-28d", "99.9-30d", "two-places", "four-places", "99.95-30d", "99-7d"],
)
def test_it_computes_the_error_budget_in_minutes(target, window, budget):
    assert error_budget_minutes(target, window) == budget


@pytest.mark.parametrize(
    ("target", "window"),
    [(None, 28), (Decimal("99.9"), None), (Decimal("99.9"), 0), (None, None)],
    ids=["no-target", "no-window", "zero-window", "neither"],
)
def test_it_gives_no_error_budget_without_target_and_window(target, window):
    assert error_budget_minutes(target, window) is None


def test_it_computes_the_share_of_the_budget_consumed():
    assert error_budget_share(Decimal("31.2"), Decimal("40.32")) == Decimal("77.4")


def test_it_can_report_more_than_the_whole_budget():
    assert error_budget_share(Decimal("80.64"), Decimal("40.32")) == Decimal("200.0")


@pytest.mark.parametrize(
    ("consumed", "budget"),
    [(None, Decimal("40.32")), (Decimal("31.2"), None), (Decimal("31.2"), Decimal("0"))],
    ids=["no-consumption", "no-budget", "zero-budget"],
)
def test_it_gives_no_share_without_consumption_or_budget(consumed, budget):
    assert error_budget_share(consumed, budget) is None


# --- outage duration --------------------------------------------------------------------------


def test_it_prefers_the_typed_outage_period_over_the_timeline():
    postmortem = Postmortem(outage_started_at=at("14:30"), outage_ended_at=at("15:00"))
    assert outage_duration(postmortem, virtengine_timeline()) == minutes(30)


def test_it_falls_back_to_the_timeline_for_the_outage():
    assert outage_duration(Postmortem(), virtengine_timeline()) == minutes(47)


def test_it_falls_back_to_the_timeline_when_only_the_outage_start_is_typed():
    postmortem = Postmortem(outage_started_at=at("14:30"))
    assert outage_duration(postmortem, virtengine_timeline()) == minutes(47)


def test_it_has_no_outage_duration_without_period_or_milestones():
    assert outage_duration(Postmortem(), [event("14:00"), event("15:00")]) is None


def test_it_has_no_outage_duration_when_the_typed_period_is_reversed():
    postmortem = Postmortem(outage_started_at=at("15:10"), outage_ended_at=at("14:23"))
    assert outage_duration(postmortem, []) is None


# --- the demo document ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(made_once):
    """Seeded once for the module (its only tests that use the database); read-only here."""

    def seed():
        with override_settings(DEBUG=False):  # unusable passwords: no hashing, a faster seed
            seed_demo()
        return Postmortem.objects.get(key="INCIDENT-12345")

    yield from made_once(seed)


@pytest.mark.django_db
def test_it_computes_the_template_figures_from_the_demo_timeline(demo):
    figures = response_figures(demo.timeline.all())
    assert figure_values(figures) == EXAMPLE_FIGURES
    assert [figure.problem for figure in figures] == [""] * 5


@pytest.mark.django_db
def test_it_formats_the_demo_figures(demo):
    shown = [format_duration(figure.value) for figure in response_figures(demo.timeline.all())]
    assert shown == ["1 minute", "2 minutes", "4 minutes", "27 minutes", "47 minutes"]


@pytest.mark.django_db
def test_it_computes_the_demo_outage_duration(demo):
    assert outage_duration(demo, demo.timeline.all()) == minutes(47)


@pytest.mark.django_db
def test_it_computes_the_demo_error_budget(demo):
    budget = error_budget_minutes(demo.slo_target, demo.slo_window_days)
    assert budget == Decimal("40.32")
    assert error_budget_share(demo.error_budget_consumed_minutes, budget) == Decimal("77.4")
