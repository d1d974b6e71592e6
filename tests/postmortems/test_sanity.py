"""Sanity warnings: what looks wrong is said beside it, and never stops a save or a submit."""

import datetime
from decimal import Decimal

import pytest

from postmortems import metrics
from postmortems.models import ActionItem, Postmortem
from postmortems.sanity import FAR_DAYS, warnings_for
from tests.factories import ActionItemFactory, PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 29)
TODAY = datetime.date(2026, 2, 10)
HTMX = {"HTTP_HX_REQUEST": "true"}


def at(text):
    """'14:23' on the incident's day, or '2026-01-30 00:20'."""
    if len(text) == 5:
        text = f"{DAY:%Y-%m-%d} {text}"
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def document(**fields):
    return PostmortemFactory(incident_date=DAY, **fields)


def timeline(pm, *events):
    """(time, milestone, description) → the events, in the order given."""
    return [
        TimelineEventFactory(postmortem=pm, occurred_at=at(time), milestone=mark, description=text)
        for time, mark, text in events
    ]


def warned(pm, today=TODAY):
    """The warnings of the document as the pages load it."""
    return warnings_for(Postmortem.objects.with_document().get(pk=pm.pk), today=today)


def only(warnings, section):
    return [w for w in warnings if w.section == section]


# --- the incident date ---------------------------------------------------------------------------


def test_it_warns_of_an_incident_date_in_the_future():
    [warning] = warned(document(), today=DAY - datetime.timedelta(days=1))
    assert (warning.section, warning.field, warning.rows) == ("overview", "incident_date", ())
    assert "2026-01-29, is in the future (today is 2026-01-28" in warning.message


@pytest.mark.parametrize("today", [DAY, TODAY], ids=["the-same-day", "later"])
def test_an_incident_date_of_today_or_before_is_fine(today):
    assert warned(document(), today=today) == []


# --- timeline events far from the incident date --------------------------------------------------


@pytest.mark.parametrize(
    ("time", "words"),
    [("2026-02-01 09:00", "3 days after"), ("2026-01-20 14:00", "9 days before")],
    ids=["after", "before"],
)
def test_it_warns_of_an_event_days_away_from_the_incident(time, words):
    pm = document()
    [event] = timeline(pm, (time, "", "Typed on the wrong day?"))
    [warning] = warned(pm)
    assert (warning.section, warning.field, warning.rows) == (
        "timeline",
        "occurred_at",
        (event.pk,),
    )
    assert f"{words} the incident date (2026-01-29): more than {FAR_DAYS} days" in warning.message
    assert warning.where == f"Event at {time}"
    assert warning.short == f"{words} the incident date: is the date right?"  # beside the row


def test_events_within_two_days_of_the_incident_are_fine():
    pm = document()
    timeline(
        pm,
        ("2026-01-27 00:00", "", "The deploy that led to it"),
        ("2026-01-31 23:59", "", "Monitoring ends"),
    )
    assert warned(pm) == []


def test_an_incident_crossing_midnight_is_not_warned_of():
    pm = document(
        outage_started_at=at("23:50"),
        outage_ended_at=at("2026-01-30 00:20"),
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("30"),
    )
    timeline(
        pm,
        ("23:50", "started", "Errors begin"),
        ("23:52", "detected", "Alert fires"),
        ("23:58", "acknowledged", "On-call acknowledges"),
        ("2026-01-30 00:10", "mitigated", "Traffic drained"),
        ("2026-01-30 00:20", "resolved", "Service restored"),
    )
    ActionItemFactory(postmortem=pm, priority="p0", due_date=datetime.date(2026, 1, 30))
    assert warned(pm) == []


# --- milestones out of order ---------------------------------------------------------------------


def test_it_warns_of_a_milestone_before_one_that_comes_first():
    pm = document()
    started, detected, _ = timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:20", "detected", "Alert fires"),
        ("15:10", "resolved", "Restored"),
    )
    [warning] = warned(pm)
    assert (warning.section, warning.field) == ("timeline", "milestone")
    assert warning.message == (
        "“Detected (first alert or report)” (14:20) is before “Incident started” (14:23), "
        "which comes first in an incident: the time to detect cannot be computed."
    )
    assert set(warning.rows) == {detected.pk, started.pk}
    # …as the figures say: no time to detect.
    figures = metrics.response_figures(
        Postmortem.objects.with_document().get(pk=pm.pk).timeline.all()
    )
    assert figures.time_to_detect.value is None


def test_it_names_every_milestone_a_late_one_should_follow():
    pm = document()
    timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:30", "acknowledged", "Acknowledged"),
        ("14:25", "mitigated", "Pool raised"),
    )
    [warning] = warned(pm)
    assert warning.message == (
        "“Mitigated” (14:25) is before “Acknowledged by a human” (14:30), which comes first "
        "in an incident."  # no figure is taken between those two: none is said to be lost
    )
    # 14:25 is after 14:23: in order with the start, and time to mitigate is there.
    figures = metrics.response_figures(
        Postmortem.objects.with_document().get(pk=pm.pk).timeline.all()
    )
    assert figures.time_to_mitigate.value == datetime.timedelta(minutes=2)


def test_a_milestone_before_two_names_both_and_every_figure_lost():
    pm = document()
    timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:30", "detected", "Alert fires"),
        ("14:20", "acknowledged", "Acknowledged"),
    )
    [warning] = warned(pm)
    assert warning.message == (
        "“Acknowledged by a human” (14:20) is before “Incident started” (14:23) and "
        "“Detected (first alert or report)” (14:30), which come first in an incident: the "
        "time to acknowledge cannot be computed."
    )


def test_resolved_before_acknowledged_is_out_of_order():
    pm = document()
    timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:40", "acknowledged", "Acknowledged"),
        ("14:35", "resolved", "Restored"),
    )
    [warning] = warned(pm)
    assert warning.message.startswith("“Resolved” (14:35) is before “Acknowledged by a human”")


def test_an_end_typed_without_its_date_after_midnight_is_named():
    pm = document()
    timeline(pm, ("23:50", "started", "Errors begin"), ("00:20", "resolved", "Restored"))
    [warning] = warned(pm)
    assert "“Resolved” (00:20) is before “Incident started” (23:50)" in warning.message
    assert "If it happened after midnight, write its date: 2026-01-30 00:20." in warning.message


def test_a_milestone_out_of_order_by_many_hours_is_not_taken_for_midnight():
    pm = document()
    timeline(pm, ("15:00", "started", "Errors begin"), ("09:00", "resolved", "Restored"))
    [warning] = warned(pm)
    assert "midnight" not in warning.message


def test_milestones_in_order_or_at_the_same_minute_are_fine():
    pm = document()
    timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:23", "detected", "Alert fires at once"),
        ("14:26", "alerted", "Paged"),
        ("14:28", "acknowledged", "Acknowledged"),
        ("14:50", "mitigated", "Pool raised"),
        ("15:10", "resolved", "Restored"),
    )
    assert warned(pm) == []


# --- a milestone marked twice --------------------------------------------------------------------


def test_it_says_which_milestone_is_doubled_and_which_event_the_figures_use():
    pm = document()
    first, second, _ = timeline(
        pm,
        ("13:19", "started", "Deploy of v1.2.3 completes"),
        ("14:23", "started", "Pool exhausted"),
        ("14:24", "detected", "Alert fires"),
    )
    [warning] = warned(pm)
    assert (warning.section, warning.field) == ("timeline", "milestone")
    assert warning.rows == (first.pk, second.pk)
    assert warning.message == (
        "“Incident started” is marked on 2 events (13:19, 14:23). The figures use the "
        "earliest, at 13:19 (“Deploy of v1.2.3 completes”); keep the mark on one event."
    )
    # …and that is true: time to detect is counted from 13:19.
    loaded = Postmortem.objects.with_document().get(pk=pm.pk)
    figures = metrics.response_figures(loaded.timeline.all())
    assert metrics.format_duration(figures.time_to_detect.value) == "1 h 5 min"


def test_a_doubled_milestone_at_the_same_time_names_the_first_listed():
    pm = document()
    timeline(pm, ("14:23", "started", "Pool exhausted"), ("14:23", "started", "Errors begin"))
    [warning] = warned(pm)
    assert "(14:23, 14:23)" in warning.message
    assert "at 14:23 (“Pool exhausted”)" in warning.message


def test_each_milestone_once_is_fine():
    pm = document()
    timeline(
        pm,
        ("14:23", "started", "Errors begin"),
        ("14:24", "detected", "Alert fires"),
        ("14:30", "", "Checks the deploys"),
        ("14:35", "", "Joins the channel"),
    )
    assert warned(pm) == []


# --- the error budget ----------------------------------------------------------------------------


def test_it_warns_of_more_than_the_whole_error_budget():
    pm = document(
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("45"),
    )
    [warning] = warned(pm)
    assert (warning.section, warning.field) == ("impact", "error_budget_consumed_minutes")
    assert warning.message.startswith(
        "45 minutes consumed is 111.6 % of the error budget, 40.32 minutes "
        "(99.9 % over 28 days): more than all of it."
    )


@pytest.mark.parametrize(
    ("target", "window", "consumed"),
    [
        (Decimal("99.9"), 28, Decimal("40.32")),  # all of it, not more
        (Decimal("99.9"), 28, Decimal("31.2")),
        (Decimal("99.9"), 28, None),
        (None, None, Decimal("500")),
    ],
    ids=["exactly-all", "some", "not-given", "no-slo"],
)
def test_an_error_budget_within_bounds_or_unknown_is_fine(target, window, consumed):
    pm = document(slo_target=target, slo_window_days=window, error_budget_consumed_minutes=consumed)
    assert warned(pm) == []


# --- action items --------------------------------------------------------------------------------


def test_it_warns_of_an_action_item_due_before_the_incident():
    pm = document()
    item = ActionItemFactory(
        postmortem=pm, action="Lower the alert threshold", due_date=datetime.date(2026, 1, 20)
    )
    [warning] = warned(pm)
    assert (warning.section, warning.field, warning.rows) == (
        "action-items",
        "due_date",
        (item.pk,),
    )
    assert warning.message.startswith("Due 2026-01-20, before the incident (2026-01-29).")
    assert warning.where == "Action item “Lower the alert threshold”"


def test_an_action_item_due_on_the_incident_date_or_later_is_fine():
    pm = document()
    ActionItemFactory(postmortem=pm, due_date=DAY)
    ActionItemFactory(postmortem=pm, due_date=datetime.date(2026, 2, 5))
    assert warned(pm) == []


@pytest.mark.parametrize(
    ("priority", "owner_name", "due_date", "missing", "field"),
    [
        ("p0", "", None, "without an owner or a due date", "owner"),
        ("p1", "Dana", None, "without a due date", "due_date"),
        ("p0", "  ", DAY, "without an owner:", "owner"),
    ],
    ids=["p0-neither", "p1-no-date", "p0-blank-owner"],
)
def test_it_warns_of_an_urgent_item_nobody_owns_or_with_no_date(
    priority, owner_name, due_date, missing, field
):
    pm = document()
    item = ActionItemFactory(
        postmortem=pm, priority=priority, owner_name=owner_name, due_date=due_date
    )
    [warning] = warned(pm)
    assert (warning.section, warning.field, warning.rows) == ("action-items", field, (item.pk,))
    assert f"A {priority.upper()} action item {missing}" in warning.message


def test_urgent_items_with_an_owner_and_a_date_and_others_are_fine(author):
    pm = document()
    ActionItemFactory(postmortem=pm, priority="p0", owner=author, owner_name="", due_date=DAY)
    ActionItemFactory(postmortem=pm, priority="p2", owner_name="", due_date=None)
    ActionItemFactory(
        postmortem=pm, priority="p0", owner_name="", due_date=None, status=ActionItem.Status.DONE
    )
    assert warned(pm) == []


# --- no query, in the sections' order ------------------------------------------------------------


def test_it_reads_the_loaded_document_without_a_query(django_assert_num_queries):
    pm = document(
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("45"),
    )
    TimelineEventFactory.create_batch(50, postmortem=pm, milestone="started")
    ActionItemFactory.create_batch(30, postmortem=pm, priority="p0", owner_name="", due_date=None)
    loaded = Postmortem.objects.with_document().get(pk=pm.pk)
    with django_assert_num_queries(0):
        warnings = warnings_for(loaded, today=DAY - datetime.timedelta(days=1))
    assert [w.section for w in warnings] == [
        "overview",
        "impact",
        "timeline",
        *["action-items"] * 30,
    ]


# --- on the pages: beside the field or row, in the sidebar, never in the way ---------------------


def edit_url(pm, slug):
    return f"/postmortems/{pm.key}/edit/{slug}/"


def test_a_warning_shows_beside_its_field_and_the_save_still_succeeds(author_client, author):
    pm = PostmortemFactory(authors=[author], incident_date=DAY)
    future = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=30)
    response = author_client.post(
        edit_url(pm, "overview"),
        {
            "section_revision": "0",
            "title": pm.title,
            "incident_date": f"{future:%Y-%m-%d}",
            "severity": "sev2",
            "authors": [author.pk],
            "executive_summary": "The API was down.",
        },
    )
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.incident_date == future  # saved, warning or not

    page = author_client.get(edit_url(pm, "overview")).content.decode()
    message = f"The incident date, {future:%Y-%m-%d}, is in the future"
    # Beside the field, which it describes…
    beside = page.index('id="id_incident_date_warning"')
    assert message in page[beside : beside + 600]
    assert 'aria-describedby="id_incident_date_helptext id_incident_date_warning"' in page
    # …listed at the top of the step, and counted in the sidebar with its text.
    assert "1 thing to check — saving is not blocked" in page
    assert '<span class="visually-hidden"> warning,</span>' in page
    assert page.count(message) == 3


def test_the_read_view_shows_a_warning_under_its_section(author_client, author):
    pm = PostmortemFactory(
        authors=[author],
        incident_date=DAY,
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("45"),
    )
    page = author_client.get(pm.get_absolute_url()).content.decode()
    impact = page.index('id="impact"')
    assert "<strong>Error budget consumed</strong>: 45 minutes consumed is 111.6 %" in page[impact:]
    assert "1 thing to check" in page  # the sidebar


def test_a_row_shows_its_warning_and_the_htmx_answer_updates_the_list(author_client, author):
    pm = PostmortemFactory(authors=[author], incident_date=DAY)
    timeline(pm, ("14:23", "started", "Errors begin"))
    response = author_client.post(
        f"{edit_url(pm, 'timeline')}rows/",
        {"new-occurred_at": "15:28", "new-milestone": "started", "new-description": "Again"},
        **HTMX,
    )
    assert response.status_code == 200  # added, warning or not
    body = response.content.decode()
    assert pm.timeline.count() == 2
    message = "“Incident started” is marked on 2 events (14:23, 15:28)"
    brief = "“Incident started” marked 2 times: the figures use 14:23."
    marker = '<span class="visually-hidden">Warning:</span> '
    assert body.count(f"{marker}{brief}</p>") == 2  # beside each of the two rows
    assert '<div id="section-warnings" hx-swap-oob="true">' in body
    assert '<div id="section-nav" hx-swap-oob="true">' in body
    assert body.count(message) == 2  # in full: the step's list, and the sidebar


def test_the_read_view_marks_the_rows_and_lists_the_sections_warnings(author_client, author):
    pm = PostmortemFactory(authors=[author], incident_date=DAY)
    ActionItemFactory(postmortem=pm, action="Raise the pool", priority="p0", owner_name="")
    page = author_client.get(pm.get_absolute_url()).content.decode()
    section = page[page.index('id="action-items"') :]
    assert "Raise the pool" in section
    assert (
        "<strong>Action item “Raise the pool”</strong>: A P0 action item without an owner"
        in section
    )
    row = section.index("Raise the pool")
    assert "P0 without an owner." in section[row : row + 600]


def test_a_final_snapshot_keeps_no_warning():
    from postmortems.workflow.transitions import snapshot_html

    pm = document(
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("45"),
    )
    timeline(pm, ("14:23", "started", "A"), ("14:24", "started", "B"))
    html = snapshot_html(Postmortem.objects.with_document().get(pk=pm.pk))
    assert "111.6 %" not in html and "marked on 2 events" not in html
    assert "Error Budget" in html  # the section itself is there


def test_the_last_day_of_the_calendar_is_warned_about_not_a_server_error(client, author):
    """Out of order on 9999-12-31: there is no next day to suggest; the warning still says
    what is out of order, and every page that shows warnings answers."""
    last = datetime.date(9999, 12, 31)
    pm = PostmortemFactory(incident_date=last, authors=[author])
    for moment, mark in [("00:10", "resolved"), ("23:50", "started")]:
        TimelineEventFactory(
            postmortem=pm,
            occurred_at=datetime.datetime.fromisoformat(f"9999-12-31 {moment}").replace(
                tzinfo=datetime.UTC
            ),
            milestone=mark,
        )
    [warning] = only(warned(pm), "timeline")
    assert "“Resolved” (00:10) is before “Incident started” (23:50)" in warning.message
    assert "write its date" not in warning.message
    client.force_login(author)
    for page in (f"/postmortems/{pm.key}/", f"/postmortems/{pm.key}/edit/timeline/"):
        assert client.get(page).status_code == 200
