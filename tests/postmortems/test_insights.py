"""/insights/: every figure computed from known data, the date range, the query count."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import insights
from postmortems.insights import DateRange
from postmortems.models import (
    ActionItem,
    Activity,
    Postmortem,
    Snapshot,
    Tag,
    TimelineEvent,
)
from tests.factories import ActionItemFactory, PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

M = TimelineEvent.Milestone
TODAY = datetime.date(2026, 11, 27)  # passed to the functions; the page uses the real day
REAL_TODAY = timezone.now().date()
DAY = datetime.timedelta(days=1)
Q1 = DateRange(datetime.date(2026, 1, 1), datetime.date(2026, 4, 30))


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def doc(incident_date: str, severity: str = "sev2", **fields) -> Postmortem:
    return PostmortemFactory(incident_date=d(incident_date), severity=severity, **fields)


def documents(user, date_range=Q1):
    return insights.documents_in_range(user, date_range)


def milestones(postmortem, **times):
    """milestones(pm, started="2026-01-05 10:00", detected=…): one event per milestone."""
    for milestone, text in times.items():
        TimelineEventFactory(postmortem=postmortem, milestone=milestone, occurred_at=at(text))


def finalized(postmortem, when: str):
    entry = Activity.objects.create(
        postmortem=postmortem, verb=Activity.Verb.FINALIZED, to_status="final"
    )
    # Activity rows are append-only through save(); the test dates one as if logged then.
    Activity.objects.filter(pk=entry.pk).update(created_at=at(when))


class TestDateRange:
    def test_the_default_is_the_last_twelve_months_and_this_one(self):
        default = insights.default_range(TODAY)
        assert default == DateRange(d("2025-11-01"), TODAY)
        assert len(default.months) == 13
        assert default.months[0] == d("2025-11-01")
        assert default.months[-1] == d("2026-11-01")

    def test_the_demo_incident_dates_are_in_the_default_range(self):
        default = insights.default_range(TODAY)
        for day in ("2025-11-12", "2026-01-29", "2026-03-04"):
            assert default.start <= d(day) <= default.end

    def test_months_span_the_turn_of_the_year(self):
        months = DateRange(d("2025-11-20"), d("2026-02-03")).months
        assert months == [d("2025-11-01"), d("2025-12-01"), d("2026-01-01"), d("2026-02-01")]

    def test_a_range_ending_in_january_starts_the_january_before(self):
        assert insights.range_ending(d("2026-01-15")) == DateRange(d("2025-01-01"), d("2026-01-15"))


class TestIncidentsPerMonth:
    def test_it_counts_every_severity_in_every_month_zeros_included(self, author):
        doc("2026-01-01", "sev1")
        doc("2026-01-31", "sev1")
        doc("2026-01-15", "sev3")
        doc("2026-03-10", "sev2")
        doc("2026-04-30", "sev4")  # the last day is in the range
        doc("2025-12-31", "sev1")  # before the range
        doc("2026-05-01", "sev1")  # after it

        months = insights.incidents_per_month(documents(author), Q1)

        table = {m.month: [c.count for c in m.counts] for m in months}
        assert table == {
            d("2026-01-01"): [2, 0, 1, 0],
            d("2026-02-01"): [0, 0, 0, 0],
            d("2026-03-01"): [0, 1, 0, 0],
            d("2026-04-01"): [0, 0, 0, 1],
        }
        assert [m.total for m in months] == [3, 0, 1, 1]
        assert [c.label for c in months[0].counts] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
        assert [(s.label, s.count) for s in insights.severity_totals(months)] == [
            ("SEV-1", 2),
            ("SEV-2", 1),
            ("SEV-3", 1),
            ("SEV-4", 1),
        ]

    def test_an_empty_range_still_has_every_month(self, author):
        months = insights.incidents_per_month(documents(author), Q1)
        assert [m.total for m in months] == [0, 0, 0, 0]

    def test_a_restricted_incident_counts_only_for_those_who_may_read_it(self, author, outsider):
        secret = doc("2026-01-10", "sev1", restricted=True, authors=[author])
        secret.tags.add(Tag.objects.create(name="vault"))
        ActionItemFactory(postmortem=secret)
        doc("2026-01-11", "sev3")
        mine = insights.insights_for(author, Q1, TODAY)
        theirs = insights.insights_for(outsider, Q1, TODAY)
        assert (mine.incident_count, theirs.incident_count) == (2, 1)
        assert (mine.action_items.total, theirs.action_items.total) == (1, 0)
        assert [s.name for s in mine.services] == ["vault"]
        assert theirs.services == []

    def test_nobody_signed_out_sees_anything(self, author):
        doc("2026-01-10")
        result = insights.insights_for(AnonymousUser(), Q1, TODAY)
        assert result.incident_count == 0


class TestResponseTimes:
    @pytest.fixture
    def series(self, author):
        january_a = doc("2026-01-05")
        milestones(
            january_a,
            started="2026-01-05 10:00",
            detected="2026-01-05 10:04",
            acknowledged="2026-01-05 10:10",
            resolved="2026-01-05 11:00",
        )
        january_b = doc("2026-01-20")
        milestones(
            january_b,
            started="2026-01-20 12:00",
            detected="2026-01-20 12:02",
            acknowledged="2026-01-20 12:03",
            resolved="2026-01-20 12:30",
        )
        # A second "detected" later on: the earliest of each milestone counts.
        milestones(january_b, detected="2026-01-20 12:25")
        # An event without a milestone changes nothing.
        TimelineEventFactory(postmortem=january_b, occurred_at=at("2026-01-20 11:00"))
        march = doc("2026-03-02")
        milestones(march, started="2026-03-02 08:00", detected="2026-03-02 08:07")
        # Detected before started: no TTD for it, but the resolve time still counts.
        march_odd = doc("2026-03-30")
        milestones(
            march_odd,
            started="2026-03-30 09:00",
            detected="2026-03-30 08:50",
            resolved="2026-03-30 09:15",
        )
        outside = doc("2025-12-30")
        milestones(outside, started="2025-12-30 10:00", detected="2025-12-30 13:00")
        result = insights.response_times_per_month(documents(author), Q1)
        return {s.key: s for s in result}

    def test_time_to_detect_per_month(self, series):
        ttd = series["time_to_detect"]
        assert [(p.month, p.minutes, p.count) for p in ttd.points] == [
            (d("2026-01-01"), 3.0, 2),  # (4 + 2) / 2
            (d("2026-02-01"), None, 0),  # no incident: a gap, not zero
            (d("2026-03-01"), 7.0, 1),
            (d("2026-04-01"), None, 0),
        ]
        assert (ttd.mean, ttd.count) == (4.3, 3)  # (4 + 2 + 7) / 3

    def test_time_to_acknowledge_per_month(self, series):
        tta = series["time_to_acknowledge"]
        assert [p.minutes for p in tta.points] == [3.5, None, None, None]  # (6 + 1) / 2
        assert (tta.mean, tta.count) == (3.5, 2)

    def test_time_to_resolve_per_month(self, series):
        resolve = series["time_to_resolve"]
        assert [p.minutes for p in resolve.points] == [45.0, None, 15.0, None]  # (60 + 30) / 2
        assert (resolve.mean, resolve.count) == (35.0, 3)

    def test_the_labels(self, series):
        assert [s.label for s in series.values()] == [
            "Time to detect",
            "Time to acknowledge",
            "Time to resolve",
        ]

    def test_means_read_as_a_person_says_them(self):
        assert insights.format_minutes(None) == "—"
        assert insights.format_minutes(4.0) == "4 min"
        assert insights.format_minutes(2.5) == "2.5 min"
        assert insights.format_minutes(65) == "1 h 5 min"
        assert insights.format_minutes(3 * 24 * 60 + 180) == "3 d 3 h"


class TestActionItems:
    def test_it_counts_done_overdue_and_open_by_priority(self, author):
        pm = doc("2026-01-10")
        make = ActionItemFactory
        make(postmortem=pm, status="done", due_date=TODAY - 30 * DAY, priority="p0")
        make(postmortem=pm, status="done", due_date=None, priority="p1")
        make(postmortem=pm, status="open", due_date=TODAY - DAY, priority="p0")  # overdue
        make(
            postmortem=pm, status="in_progress", due_date=TODAY - 9 * DAY, priority="p1"
        )  # overdue
        make(postmortem=pm, status="open", due_date=TODAY, priority="p1")  # due today: not late
        make(postmortem=pm, status="open", due_date=None, priority="p3")  # no date: never late
        make(postmortem=pm, status="in_progress", due_date=TODAY + DAY, priority="p1")
        make(postmortem=doc("2025-12-01"), status="open", due_date=TODAY - DAY)  # outside

        figures = insights.action_item_figures(
            insights.action_items_in_range(author, Q1), today=TODAY
        )

        assert (figures.total, figures.done, figures.open, figures.overdue) == (7, 2, 5, 2)
        assert figures.completion_rate == 29  # 2 / 7 = 28.6 %
        assert [(p.label, p.count) for p in figures.open_by_priority] == [
            ("P0", 1),
            ("P1", 3),
            ("P2", 0),
            ("P3", 1),
        ]

    def test_overdue_depends_on_the_day_given(self, author):
        ActionItemFactory(postmortem=doc("2026-01-10"), due_date=d("2026-02-05"))
        items = insights.action_items_in_range(author, Q1)
        assert insights.action_item_figures(items, today=d("2026-02-05")).overdue == 0
        assert insights.action_item_figures(items, today=d("2026-02-06")).overdue == 1

    def test_without_items_there_is_no_rate(self, author):
        figures = insights.action_item_figures(
            insights.action_items_in_range(author, Q1), today=TODAY
        )
        assert (figures.total, figures.completion_rate, figures.overdue) == (0, None, 0)

    @pytest.mark.parametrize(
        ("done", "total", "rate"), [(1, 3, 33), (2, 3, 67), (1, 8, 13), (19, 19, 100), (0, 5, 0)]
    )
    def test_the_rate_is_a_whole_percentage_rounded_half_up(self, done, total, rate):
        assert insights.ActionItemFigures(total=total, done=done, overdue=0).completion_rate == rate


class TestServices:
    def test_the_top_ten_services_by_incidents(self, author):
        tags = {name: Tag.objects.create(name=name) for name in "abcdefghijkl"}
        for n in range(5):
            doc(f"2026-02-{n + 1:02d}").tags.add(tags["k"])
        for n in range(3):
            doc(f"2026-03-{n + 1:02d}").tags.add(tags["b"], tags["c"])
        for name in "adefghijl":  # one incident each: ties go by name
            doc("2026-04-01").tags.add(tags[name])
        doc("2025-12-01").tags.add(tags["l"], tags["l"])  # outside the range

        services = insights.incidents_by_service(documents(author))

        assert [(s.name, s.count) for s in services] == [
            ("k", 5),
            ("b", 3),
            ("c", 3),
            ("a", 1),
            ("d", 1),
            ("e", 1),
            ("f", 1),
            ("g", 1),
            ("h", 1),
            ("i", 1),
        ]


class TestDaysToFinal:
    def test_days_from_the_incident_to_its_latest_finalization(self, author):
        quick = doc("2026-01-10", key="FIN-0010", status="final")
        finalized(quick, "2026-01-15 09:00")  # 5 days
        reopened = doc("2026-02-01", key="FIN-0011", status="final")
        finalized(reopened, "2026-02-10 09:00")
        finalized(reopened, "2026-03-13 23:59")  # the latest counts: 40 days
        slow = doc("2026-03-01", key="FIN-0012", status="final")
        finalized(slow, "2026-06-29 00:30")  # 120 days
        # Only a snapshot says when it became Final: 12 days.
        imported = doc("2026-04-01", key="FIN-0013", status="final")
        snapshot = Snapshot.objects.create(
            postmortem=imported, version=1, content={}, content_hash="x", html=""
        )
        Snapshot.objects.filter(pk=snapshot.pk).update(finalized_at=at("2026-04-13 10:00"))
        draft_again = doc("2026-01-20", status="draft")  # reopened since: not Final now
        finalized(draft_again, "2026-01-25 09:00")
        doc("2026-02-20", status="in_review")
        outside = doc("2025-12-20", status="final")
        finalized(outside, "2026-01-02 09:00")

        result = insights.days_to_final(documents(author))

        assert [(f.key, f.incident_date, f.finalized_on, f.days) for f in result.documents] == [
            ("FIN-0013", d("2026-04-01"), d("2026-04-13"), 12),
            ("FIN-0012", d("2026-03-01"), d("2026-06-29"), 120),
            ("FIN-0011", d("2026-02-01"), d("2026-03-13"), 40),
            ("FIN-0010", d("2026-01-10"), d("2026-01-15"), 5),
        ]
        assert result.mean == 44.2  # (12 + 120 + 40 + 5) / 4 = 44.25
        assert result.median == 26  # (12 + 40) / 2
        assert [(b.label, b.count) for b in result.buckets] == [
            ("Within a week", 1),
            ("8–14 days", 1),
            ("15–30 days", 0),
            ("31–60 days", 1),
            ("61–90 days", 0),
            ("Over 90 days", 1),
        ]

    def test_bucket_edges(self):
        counts = [b.count for b in insights._buckets([0, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91])]
        assert counts == [2, 2, 2, 2, 2, 1]

    def test_nothing_final(self, author):
        doc("2026-01-10", status="draft")
        result = insights.days_to_final(documents(author))
        assert (result.documents, result.mean, result.median) == ([], None, None)


class TestCharts:
    """The view hands the figures to `postmortems.charts` (tested on its own in test_charts)."""

    def test_the_stacked_bars_are_as_tall_as_their_counts(self, author_client):
        doc("2026-01-05", "sev1")
        doc("2026-01-06", "sev2")
        doc("2026-01-07", "sev2")
        response = author_client.get("/insights/", {"start": "2026-01-01", "end": "2026-04-30"})
        chart = response.context["incidents_chart"]
        plot_height = chart.baseline - chart.top
        bars = {(b.month, b.severity): b for b in chart.bars}
        assert set(bars) == {("2026-01", "sev1"), ("2026-01", "sev2")}
        assert bars["2026-01", "sev1"].height == pytest.approx(plot_height / 4, abs=0.1)
        assert bars["2026-01", "sev2"].height == pytest.approx(plot_height / 2, abs=0.1)
        assert bars["2026-01", "sev2"].title == "Jan 2026 · SEV-2: 2"
        assert [t.text for t in chart.totals] == ["3"]
        assert [(label.month, label.year) for label in chart.labels] == [
            ("Jan", "2026"),
            ("Feb", ""),
            ("Mar", ""),
            ("Apr", ""),
        ]
        assert chart.summary.startswith("Stacked bar chart: 3 incidents from January 2026 to")

    def test_each_measure_has_its_figures_its_mean_and_its_line(self, author_client):
        pm = doc("2026-01-05")
        milestones(pm, started="2026-01-05 10:00", detected="2026-01-05 15:00")
        response = author_client.get("/insights/", {"start": "2026-01-01", "end": "2026-02-28"})
        ttd = response.context["response_charts"][0]
        assert ttd["series"].key == "time_to_detect"
        assert ttd["mean_label"] == "5 h"
        assert ttd["chart"].unit_label == "hours"
        assert [d.text for d in ttd["chart"].dots] == ["Jan 2026: 5 h (1 incident)"]
        rows = response.context["response_rows"]
        assert [(month, [p.minutes for p in points]) for month, points in rows] == [
            (d("2026-01-01"), [300.0, None, None]),
            (d("2026-02-01"), [None, None, None]),
        ]


@pytest.fixture
def demo_like(author, coauthor):
    """Three incidents as in the demo, one outside the default range."""
    jan = doc("2026-01-29", "sev2", key="DEMO-0101", status="final", authors=[author])
    jan.tags.add(Tag.objects.create(name="api"), Tag.objects.create(name="postgres"))
    milestones(
        jan,
        started="2026-01-29 14:23",
        detected="2026-01-29 14:24",
        acknowledged="2026-01-29 14:28",
        resolved="2026-01-29 15:10",
    )
    finalized(jan, "2026-02-12 10:00")  # 14 days
    ActionItemFactory(postmortem=jan, due_date=d("2026-02-05"), priority="p0")
    ActionItemFactory(postmortem=jan, due_date=d("2026-02-05"), status="done")
    nov = doc("2025-11-12", "sev3", key="DEMO-0901")
    nov.tags.add(Tag.objects.get(name="postgres"))
    ActionItemFactory(postmortem=nov, due_date=REAL_TODAY + 10 * DAY, priority="p2")
    doc("2024-06-01", "sev1", key="DEMO-0001")
    return jan


DEMO_RANGE = {"start": "2025-11-01", "end": "2026-11-27"}


class TestPage:
    def test_it_shows_every_figure(self, author_client, demo_like):
        response = author_client.get("/insights/", DEMO_RANGE)
        assert response.status_code == 200
        html = response.content.decode()
        data = response.context["insights"]
        assert data.incident_count == 2
        assert 'data-figure="incidents">2<' in html
        assert 'data-figure="severity-sev2">SEV-2&nbsp;1<' in html
        assert 'data-figure="severity-sev3">SEV-3&nbsp;1<' in html
        assert 'data-figure="completion-rate">33%<' in html
        assert 'data-figure="done-of-total">1 of 3 done<' in html
        assert 'data-figure="overdue">1<' in html  # due 2026-02-05, open
        assert 'data-figure="open">2<' in html
        assert 'data-figure="open-p0">P0&nbsp;1<' in html
        assert 'data-figure="open-p2">P2&nbsp;1<' in html
        assert 'data-figure="mean-time_to_detect">1 min<' in html
        assert 'data-figure="mean-time_to_acknowledge">4 min<' in html
        assert 'data-figure="mean-time_to_resolve">47 min<' in html
        assert 'data-figure="median-days">14<' in html
        assert 'data-figure="mean-days">14<' in html
        assert 'data-days="DEMO-0101">14<' in html
        assert 'data-month="2026-01" data-severity="sev2"' in html
        assert 'data-month="2025-11" data-severity="sev3"' in html
        assert "<title>postgres: 2 incidents</title>" in html
        assert "<title>api: 1 incident</title>" in html
        assert 'role="img"' in html
        assert "style=" not in html.split("<main", 1)[1]
        assert "<script" not in html.split("<main", 1)[1]

    def test_the_default_range_is_the_last_twelve_months_and_this_one(self, author_client):
        response = author_client.get("/insights/")
        today = response.context["today"]
        assert response.context["insights"].date_range == insights.default_range(today)
        assert len(response.context["insights"].months) == 13
        assert response.context["form"].errors == {}

    def test_the_nav_links_to_it(self, author_client, demo_like):
        html = author_client.get("/insights/").content.decode()
        assert 'class="nav-link active" aria-current="page" href="/insights/">Insights</a>' in html

    def test_a_date_range_filters_everything(self, author_client, demo_like):
        response = author_client.get("/insights/", {"start": "2026-01-01", "end": "2026-01-31"})
        data = response.context["insights"]
        assert data.date_range == DateRange(d("2026-01-01"), d("2026-01-31"))
        assert [m.month for m in data.months] == [d("2026-01-01")]
        assert data.incident_count == 1
        assert data.action_items.total == 2
        assert [s.name for s in data.services] == ["api", "postgres"]
        assert response.context["form"].errors == {}

    def test_an_old_range_finds_the_old_incident(self, author_client, demo_like):
        response = author_client.get("/insights/", {"start": "2024-01-01", "end": "2024-12-31"})
        data = response.context["insights"]
        assert len(data.months) == 12
        assert data.incident_count == 1
        assert data.months[5].count("sev1") == 1

    def test_only_an_end_takes_the_year_before_it(self, author_client, demo_like):
        response = author_client.get("/insights/", {"start": "", "end": "2026-02-10"})
        assert response.context["insights"].date_range == DateRange(
            d("2025-02-01"), d("2026-02-10")
        )

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ({"start": "2026-13-01"}, "start", "Enter a date as YYYY-MM-DD"),
            ({"start": "yesterday", "end": "2026-02-01"}, "start", "Enter a date as YYYY-MM-DD"),
            ({"end": "2026/01/31"}, "end", "Enter a date as YYYY-MM-DD"),
            ({"start": "2026-03-01", "end": "2026-01-01"}, "end", "on or before the end"),
            ({"start": "2099-01-01"}, "start", "on or before the end"),
            ({"start": "1990-01-01", "end": "2026-01-01"}, "start", "at most 10 years"),
        ],
        ids=["bad-month", "words", "slashes", "start-after-end", "future-start", "too-long"],
    )
    def test_bad_input_shows_an_error_by_the_field_and_the_default_range(
        self, author_client, demo_like, query, field, message
    ):
        response = author_client.get("/insights/", query)
        assert response.status_code == 200
        form = response.context["form"]
        assert message in form.errors[field][0]
        assert response.context["insights"].date_range == insights.default_range(
            response.context["today"]
        )
        html = response.content.decode()
        assert f'id="id_{field}_error"' in html
        assert 'aria-invalid="true"' in html
        assert "Showing the default range" in html

    def test_what_was_typed_stays_in_the_field(self, author_client, demo_like):
        html = author_client.get("/insights/", {"start": "2026-03-01", "end": "2026-01-01"})
        assert 'value="2026-03-01"' in html.content.decode()


def test_the_figures_take_five_queries(author, demo_like, django_assert_num_queries):
    with django_assert_num_queries(5):
        small = insights.insights_for(author, insights.default_range(TODAY), TODAY)
    _bulk(200, 5, [author], today=TODAY)
    with django_assert_num_queries(5):
        large = insights.insights_for(author, insights.default_range(TODAY), TODAY)
    assert large.incident_count == small.incident_count + 200  # every one of them in range
    assert large.action_items.total == small.action_items.total + 1000


def _bulk(count, items_per_document, authors, today=REAL_TODAY):
    tags = [Tag.objects.get_or_create(name=f"svc-{n}")[0] for n in range(15)]
    severities = ["sev1", "sev2", "sev3", "sev4"]
    docs = Postmortem.objects.bulk_create(
        Postmortem(
            key=f"BULK-{n:05d}",
            title=f"Bulk incident {n}",
            incident_date=today - (n % 360) * DAY,
            severity=severities[n % 4],
            status="final" if n % 2 else "draft",
        )
        for n in range(count)
    )
    for pm in docs:
        pm.authors.add(*authors)
    Postmortem.tags.through.objects.bulk_create(
        Postmortem.tags.through(postmortem=pm, tag=tags[n % 15]) for n, pm in enumerate(docs)
    )
    events = []
    for pm in docs:
        start = datetime.datetime.combine(pm.incident_date, datetime.time(10), datetime.UTC)
        for minutes, milestone in [(0, "started"), (3, "detected"), (8, "acknowledged")]:
            events.append(
                TimelineEvent(
                    postmortem=pm,
                    occurred_at=start + datetime.timedelta(minutes=minutes),
                    description=milestone,
                    milestone=milestone,
                )
            )
        events.append(
            TimelineEvent(
                postmortem=pm,
                occurred_at=start + datetime.timedelta(minutes=50),
                description="resolved",
                milestone="resolved",
            )
        )
    TimelineEvent.objects.bulk_create(events)
    Activity.objects.bulk_create(
        Activity(postmortem=pm, verb="finalized", to_status="final")
        for pm in docs
        if pm.status == "final"
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=docs[n % count],
            action=f"a{n}",
            due_date=today + (n % 40 - 20) * DAY,
            priority=f"p{n % 4}",
            status=["open", "in_progress", "done"][n % 3],
        )
        for n in range(count * items_per_document)
    )


def test_the_page_runs_a_fixed_number_of_queries(author_client, author):
    _bulk(10, 2, [author])
    with CaptureQueriesContext(connection) as small:
        small_page = author_client.get("/insights/")
    Postmortem.objects.all().delete()
    _bulk(300, 10, [author])
    with CaptureQueriesContext(connection) as large:
        large_page = author_client.get("/insights/")
    assert small_page.status_code == 200 and large_page.status_code == 200
    assert small_page.context["insights"].incident_count == 10
    assert large_page.context["insights"].action_items.total == 3000
    assert large_page.context["insights"].incident_count == 300
    assert len(large) == len(small), [q["sql"] for q in large]
