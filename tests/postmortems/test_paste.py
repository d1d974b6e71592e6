"""Reading a paste of many rows (postmortems/exchange/paste.py), on the template's own example
blocks (docs: /work/shared/postmortem-template.md, copied here as a user pastes them) and on
the other shapes people paste: bracketed times, dashes, spreadsheets, CSV, bullets."""

import contextlib
import datetime
import time

import pytest

from postmortems.exchange import paste
from postmortems.exchange.paste_words import suggest_milestones

DAY = datetime.date(2026, 1, 29)
UTC = datetime.UTC

# The template's "Detailed Timeline Example", as it stands in its code block.
TIMELINE = """\
14:15 - Deployment of API v1.2.3 completes successfully
14:20 - Traffic starts increasing due to scheduled marketing email
14:23 - Database connection pool reaches maximum (100 connections)
14:23 - API requests start failing with "cannot acquire connection" errors
14:24 - Alert: "APIErrorRateHigh" fires (error rate: 45%)
14:24 - Alert: "APIAvailabilityLow" fires (availability: 55%)
14:26 - On-call engineer (Alice) paged via PagerDuty
14:28 - Alice acknowledges page, begins investigation
14:30 - Alice checks recent deployments, notes v1.2.3 deployed 15 min ago
14:32 - Alice reviews metrics, sees connection pool exhaustion
14:35 - Alice joins #incident-response Slack channel
14:35 - Alice declares SEV-2 incident
14:37 - Incident Commander (Bob) joins, takes command
14:38 - Bob requests rollback to v1.2.2
14:42 - Rollback initiated but fails (database migration not reversible)
14:45 - Bob pivots to mitigation: increase connection pool
14:47 - Configuration change prepared (pool: 100 → 500)
14:50 - Configuration deployed, API restarting
14:52 - API health checks pass
14:55 - Error rate dropping (45% → 5%)
15:00 - Error rate back to normal (<0.5%)
15:05 - Monitoring confirms stability
15:10 - Incident declared resolved
15:30 - Incident closed, postmortem scheduled
"""

RESPONDERS = """\
| Role | Name | Joined At |
|------|------|-----------|
| On-Call Engineer | Alice Smith | 14:28 |
| Incident Commander | Bob Jones | 14:37 |
| SME - Database | Carol White | 14:45 |
| Communications Lead | Dave Brown | 14:40 |
"""

FACTORS = """\
```
1. Marketing email was unannounced (no capacity planning)
2. Load testing only tested up to 75% of production capacity
3. Connection pool monitoring alert threshold too high (95% vs 80%)
4. No query count tracking in performance budgets
5. Rollback failed due to irreversible database migration
6. On-call engineer unfamiliar with this specific component
```
"""

# From the template's "### Example" under Action Items to the end of its last table.
ACTION_ITEMS = """\
### Example

| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Implement query count tracking in performance budgets | Alice | 2026-02-05 | P0 | Open |
| Increase load testing to 150% of production capacity | Bob | 2026-02-10 | P0 | Open |
| Add connection pool predictive alerting (trend-based) | Alice | 2026-02-12 | P1 | Open |
| Document rollback procedures and limitations | Carol | 2026-02-08 | P1 | Open |
| Implement automated connection pool scaling | Alice | 2026-02-28 | P2 | Open |
| Establish SRE <> Marketing communication process | Dave | 2026-02-15 | P1 | Open |
| Create runbook for connection pool issues | Bob | 2026-02-07 | P2 | Open |

### Improve Detection

| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Lower connection pool alert threshold (95% → 80%) | Alice | 2026-02-01 | P0 | Open |
| Add predictive alerting for connection pool trend | Alice | 2026-02-12 | P1 | Open |
| Implement query-per-request tracking | Bob | 2026-02-10 | P1 | Open |

### Improve Response

| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Add automated connection pool scaling playbook | Alice | 2026-02-20 | P2 | Open |
| Cross-train on-call engineers on database components | Carol | 2026-02-28 | P2 | Open |
| Improve rollback testing (include DB migrations) | Bob | 2026-02-15 | P1 | Open |

### Process Improvements

| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Require SRE review for marketing campaigns | Dave | 2026-02-05 | P0 | Open |
| Add "queries per request" to performance review checklist | Alice | 2026-02-03 | P1 | Open |
| Expand load testing coverage to include traffic spikes | Bob | 2026-02-10 | P0 | Open |
"""

LESSONS = """\
```
Technical Learnings:
1. Database connection pool sizing must account for queries-per-request, not just request rate
2. Load testing should test 150% of expected peak capacity
3. Irreversible database migrations prevent rollback; need alternative mitigation strategies
4. Connection pool exhaustion can happen within normal traffic variance when headroom is low

Process Learnings:
1. Marketing campaigns create traffic spikes; SRE must be notified in advance
2. Performance review process missed a 3x increase in database queries
3. Load testing coverage was insufficient (only 75% of production capacity)
4. Rollback procedures need to be tested regularly, especially with database migrations

Cultural Learnings:
1. Incident response was calm and effective due to regular gameday practice
2. Cross-team communication (Engineering, SRE, Support) worked well
3. Blameless culture allowed quick root cause identification without fear
```
"""

# The two link blocks, each under its heading as it stands in the template.
LINKS = """\
### Metrics and Graphs
- Error Rate Graph: https://grafana.example.com/d/api-errors?from=1738166580000&to=1738169400000
- Connection Pool Graph: https://grafana.example.com/d/db-pool?from=1738166580000&to=1738169400000
- Latency Distribution: https://grafana.example.com/d/api-latency?from=1738166580000&to=1738169400000
- Alert History: https://pagerduty.com/incidents/INCIDENT-12345

### Logs and Traces
- Error Logs: https://kibana.example.com/app/discover#/?_g=(time:(from:'2026-01-29T14:20:00Z',to:'2026-01-29T15:30:00Z'))
- Trace Example (Failed Request): https://jaeger.example.com/trace/abc123def456
- Database Query Logs: /var/log/postgresql/postgres-2026-01-29.log lines 5432-8901
"""


def rows(slug, text, **kwargs):
    return paste.parse(slug, text, day=DAY, **kwargs).rows


# --- the timeline ------------------------------------------------------------------------------


def test_it_reads_the_templates_timeline_with_its_milestones():
    found = paste.parse("timeline", TIMELINE, day=DAY)
    assert found.shape == "lines"
    assert len(found.rows) == 24
    assert [r.values["time"] for r in found.rows[:3]] == ["14:15", "14:20", "14:23"]
    assert found.rows[0].values["description"] == (
        "Deployment of API v1.2.3 completes successfully"
    )
    assert found.rows[-1].moment == datetime.datetime(2026, 1, 29, 15, 30, tzinfo=UTC)
    marked = {
        r.milestone: (r.values["time"], r.values["description"][:24])
        for r in found.rows
        if r.milestone
    }
    assert marked == {
        "started": ("14:23", "API requests start faili"),
        "detected": ("14:24", 'Alert: "APIErrorRateHigh'),
        "alerted": ("14:26", "On-call engineer (Alice)"),
        "acknowledged": ("14:28", "Alice acknowledges page,"),
        "mitigated": ("14:50", "Configuration deployed, "),
        "resolved": ("15:10", "Incident declared resolv"),
    }
    assert all(r.suggested for r in found.rows if r.milestone)
    assert not any(r.problem or r.shift for r in found.rows)


@pytest.mark.parametrize(
    ("line", "time", "text"),
    [
        ("14:15 - Deployment completes", "14:15", "Deployment completes"),
        ("[13:26] Pool exhausted", "13:26", "Pool exhausted"),
        ("12:17 UTC – Alert fires", "12:17 UTC", "Alert fires"),
        ("12:17 UTC — Alert fires", "12:17 UTC", "Alert fires"),
        ("12:17 — Alert fires", "12:17", "Alert fires"),
        ("2026-01-30 14:15 Cleanup done", "2026-01-30 14:15", "Cleanup done"),
        ("2026-01-30T14:15:05Z Cleanup done", "2026-01-30T14:15:05Z", "Cleanup done"),
        ("- 14:23 - Incident began", "14:23", "Incident began"),
        ("* [14:23]: Incident began", "14:23", "Incident began"),
        ("14:23\tIncident began", "14:23", "Incident began"),
    ],
)
def test_it_reads_the_ways_times_are_written(line, time, text):
    (row,) = rows("timeline", line)
    assert (row.values["time"], row.values["description"], row.problem) == (time, text, "")


def test_a_line_without_a_time_is_a_row_with_a_problem():
    found = rows("timeline", "14:15 - Fine\nPool exhausted")
    assert found[1].line == 2
    assert "no time at the start of the line" in found[1].problem


def test_a_time_going_back_past_midnight_is_on_the_next_day():
    found = rows("timeline", "23:50 - Deploy\n23:58 - Errors start\n00:10 - Paged\n00:05 - Late")
    assert [r.shift for r in found] == [0, 0, 1, 1]
    assert found[2].moment == datetime.datetime(2026, 1, 30, 0, 10, tzinfo=UTC)
    assert paste.when(found[2], shifted=True) == "2026-01-30 00:10"
    assert paste.when(found[2], shifted=False) == "00:10"


def test_times_out_of_order_within_the_day_stay_on_it():
    found = rows("timeline", "14:35 - B\n14:30 - A\n2026-01-31 01:00 - C\n01:05 - D")
    assert [r.shift for r in found] == [0, 0, 0, 2]
    assert found[3].moment == datetime.datetime(2026, 1, 31, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (datetime.date(9999, 12, 31), "23:50 - Deploy\n00:10 - Paged"),
        (datetime.date(1, 1, 1), "01:00 - Deploy\n02:00 - Paged"),
    ],
    ids=["the-last-day", "the-first-day"],
)
def test_times_at_the_ends_of_the_calendar_are_read_not_a_server_error(day, text):
    """A date as far as a date goes (typed as the incident's, or pasted): no next day to move
    a time to, nothing to compare 12 hours before; the rows are read as typed."""
    found = paste.parse("timeline", text, day=day).rows
    assert [r.shift for r in found] == [0, 0]
    assert [r.moment.date() for r in found] == [day, day]


def test_the_exports_table_gives_the_milestones_and_none_is_suggested():
    text = (
        "| Time | Event | Milestone |\n|------|-------|-----------|\n"
        "| 14:23 | Pool reaches maximum | started |\n"
        "| 14:24 | Alert fires |  |\n"
        "| 2026-01-30 00:15 | Cleanup \\| done | Resolved |\n"
    )
    found = paste.parse("timeline", text, day=DAY)
    assert found.shape == "table"
    assert found.columns == [("Time", "time"), ("Event", "description"), ("Milestone", "milestone")]
    assert [(r.values["time"], r.milestone, r.suggested) for r in found.rows] == [
        ("14:23", "started", False),
        ("14:24", "", False),
        ("2026-01-30 00:15", "resolved", False),
    ]
    assert found.rows[2].values["description"] == "Cleanup | done"


def test_a_spreadsheet_with_and_without_a_header():
    found = paste.parse("timeline", "When\tWhat happened\n14:23\tPool maxed out\n", day=DAY)
    assert found.shape == "tsv"
    assert [(r.values["time"], r.values["description"]) for r in found.rows] == [
        ("14:23", "Pool maxed out")
    ]
    (row,) = rows("timeline", "2026-01-29\t14:23\tPool maxed out")
    assert row.values == {"time": "2026-01-29 14:23", "description": "Pool maxed out"}


def test_csv_with_a_header_and_quoted_commas():
    found = paste.parse("timeline", 'Time,Event\n14:15,"Deploy, then errors"\n', day=DAY)
    assert found.shape == "csv"
    assert found.rows[0].values == {"time": "14:15", "description": "Deploy, then errors"}


def test_a_comma_in_a_timeline_line_does_not_make_it_csv():
    found = paste.parse("timeline", "14:30 - Alice checks deployments, notes v1.2.3\n", day=DAY)
    assert found.shape == "lines"
    assert found.rows[0].values["description"] == "Alice checks deployments, notes v1.2.3"


def test_an_unknown_milestone_is_a_note_not_an_error():
    (row,) = rows("timeline", "Time\tEvent\tMilestone\n14:24\tAlert\tsort of detected")
    assert row.milestone == "" and not row.problem
    assert "is not a milestone" in row.notes[0]


def test_milestones_are_suggested_once_each_and_not_twice_for_the_document():
    events = ["Alert fires", "Alert fires again", "Incident declared resolved"]
    # The first event is the alert already: no event is left to offer as the start.
    assert suggest_milestones(events) == {0: "detected", 2: "resolved"}
    assert suggest_milestones(events, existing={"detected"}, empty=False) == {2: "resolved"}


def test_the_first_event_is_the_start_only_when_nothing_says_so():
    events = ["Deploy of v2", "Alert fires", "Fully recovered"]
    assert suggest_milestones(events) == {0: "started", 1: "detected", 2: "resolved"}
    assert suggest_milestones(events, empty=False) == {1: "detected", 2: "resolved"}
    assert suggest_milestones(["Deployment of v2 begins", "Errors start"]) == {1: "started"}
    assert suggest_milestones(["Rollback fails", "Rolled back"], empty=False) == {1: "mitigated"}


# --- the other tables --------------------------------------------------------------------------


def test_it_reads_the_templates_responders():
    found = rows("response", RESPONDERS)
    assert [(r.values["role"], r.values["name"], r.values["joined_at"]) for r in found] == [
        ("On-Call Engineer", "Alice Smith", "14:28"),
        ("Incident Commander", "Bob Jones", "14:37"),
        ("SME - Database", "Carol White", "14:45"),
        ("Communications Lead", "Dave Brown", "14:40"),
    ]


def test_responders_as_lines():
    found = rows("response", "Incident Commander - Bob Jones - 14:37\nComms Lead – Dave Brown")
    assert found[0].values == {
        "role": "Incident Commander",
        "name": "Bob Jones",
        "joined_at": "14:37",
    }
    assert found[1].values == {"role": "Comms Lead", "name": "Dave Brown"}


def test_it_reads_the_templates_contributing_factors():
    found = rows("root-cause", FACTORS)
    assert len(found) == 6
    assert found[0].values == {
        "description": "Marketing email was unannounced (no capacity planning)"
    }
    assert found[0].line == 2


@pytest.mark.parametrize("marker", ["- ", "* ", "1. ", "2) ", "• ", ""])
def test_bullets_of_a_one_column_table(marker):
    (row,) = rows("root-cause", f"{marker}No query count tracking")
    assert row.values == {"description": "No query count tracking"}


def test_an_indented_line_goes_on_with_the_item_above():
    (row,) = rows("root-cause", "1. Load tests stopped at 600 RPS\n   while peak was 850 RPS")
    assert row.values["description"] == "Load tests stopped at 600 RPS\nwhile peak was 850 RPS"
    assert (row.line, row.end) == (1, 2)


def test_it_reads_the_templates_four_action_item_tables():
    found = paste.parse("action-items", ACTION_ITEMS, day=DAY)
    assert found.shape == "table"
    assert len(found.rows) == 16
    categories = [r.values["category"] or "prevent" for r in found.rows]
    assert categories == ["prevent"] * 7 + ["detection"] * 3 + ["response"] * 3 + ["process"] * 3
    first = found.rows[0].values
    assert (first["action"], first["owner"], first["due_date"], first["priority"], first["status"]) == (
        "Implement query count tracking in performance budgets", "Alice", "2026-02-05", "p0", "open",
    )  # fmt: skip
    assert found.rows[5].values["action"] == "Establish SRE <> Marketing communication process"
    assert [s.reason for s in found.skipped] == ["a heading, not a row"]


def test_the_exports_action_link_and_an_empty_owner():
    text = (
        "| Category | Action | Owner | Due Date | Priority | Status |\n|---|---|---|---|---|---|\n"
        "| Improve Detection | [Lower the threshold](https://jira.example.com/browse/OPS-1) | — "
        "| — | High | In Progress |\n"
    )
    (row,) = rows("action-items", text)
    assert row.values == {
        "category": "detection",
        "action": "Lower the threshold",
        "tracker_url": "https://jira.example.com/browse/OPS-1",
        "priority": "p1",
        "status": "in_progress",
    }


def test_action_items_from_a_spreadsheet_with_other_column_names():
    text = "Task\tAssignee\tDeadline\tPrio\nRotate keys\tDana\t2026-03-01\tP3\n"
    (row,) = rows("action-items", text)
    assert row.values == {
        "action": "Rotate keys", "owner": "Dana", "due_date": "2026-03-01", "priority": "p3",
        "category": "",
    }  # fmt: skip


def test_an_action_item_line_is_read_by_what_each_part_looks_like():
    (row,) = rows("action-items", "- Fix the alert — Dana — 2026-02-05 — P0 — Done")
    assert row.values == {
        "action": "Fix the alert", "owner": "Dana", "due_date": "2026-02-05", "priority": "p0",
        "status": "done", "category": "",
    }  # fmt: skip


def test_it_reads_the_templates_lessons_under_their_labels():
    found = rows("lessons", LESSONS)
    assert [r.values["category"] for r in found] == (
        ["technical"] * 4 + ["process"] * 4 + ["cultural"] * 3
    )
    assert found[0].values["text"].startswith("Database connection pool sizing must account")


def test_it_reads_the_templates_links_under_their_headings():
    found = rows("supporting", LINKS)
    assert [(r.values["kind"], r.values["title"]) for r in found] == [
        ("dashboard", "Error Rate Graph"),
        ("dashboard", "Connection Pool Graph"),
        ("dashboard", "Latency Distribution"),
        ("dashboard", "Alert History"),
        ("logs", "Error Logs"),
        ("logs", "Trace Example (Failed Request)"),
        ("logs", "Database Query Logs"),
    ]
    assert found[4].values["url"].endswith("to:'2026-01-29T15:30:00Z'))")
    # Not a web link: the form says so (see test_paste_views).
    assert found[6].values["url"] == "/var/log/postgresql/postgres-2026-01-29.log lines 5432-8901"


def test_a_link_without_a_heading_gets_a_kind_from_its_words():
    (row,) = rows("supporting", "- Pool runbook: https://wiki.example.com/runbooks/pool")
    data = paste.form_data("supporting", row)
    assert data == {
        "kind": "runbook",
        "title": "Pool runbook",
        "url": "https://wiki.example.com/runbooks/pool",
    }


def test_form_data_matches_people_or_keeps_the_name():
    class Alice:
        pk = 7

    found = rows("action-items", "Action\tOwner\nA\tAlice\nB\tDana")
    people = {"Alice": Alice}
    first = paste.form_data("action-items", found[0], find_person=people.get)
    second = paste.form_data("action-items", found[1], find_person=people.get)
    assert (first["owner"], first["owner_name"]) == ("7", "")
    assert (second["owner"], second["owner_name"]) == ("", "Dana")
    assert (second["category"], second["priority"], second["status"]) == ("prevent", "p1", "open")


def test_the_digest_changes_with_the_text_and_the_day():
    one = paste.digest("timeline", "14:15 x", DAY)
    assert one == paste.digest("timeline", "14:15 x", DAY)
    assert one != paste.digest("timeline", "14:15 y", DAY)
    assert one != paste.digest("timeline", "14:15 x", DAY + datetime.timedelta(days=1))
    assert one != paste.digest("lessons", "14:15 x", DAY)


# --- bounds ------------------------------------------------------------------------------------


def test_too_long_a_paste_is_refused_with_its_size():
    with pytest.raises(paste.PasteRefused, match="200,001 characters; the limit is 200,000"):
        paste.parse("root-cause", "x" * 200_001)


def test_too_many_rows_are_refused():
    with pytest.raises(paste.PasteRefused, match="more than 500 rows"):
        paste.parse("root-cause", "- factor\n" * 501)
    assert len(rows("root-cause", "- factor\n" * 500)) == 500


def test_an_empty_paste_is_refused():
    with pytest.raises(paste.PasteRefused, match="Nothing to read"):
        paste.parse("timeline", " \n```\n```\n")


def test_a_very_long_line_is_a_row_with_a_problem():
    (row,) = rows("root-cause", "y" * 10_001)
    assert "10,001 characters; a row is at most 10,000" in row.problem


@pytest.mark.parametrize(
    "text",
    [
        " " * 9_000 + "x\n",
        ("a" + " " * 4_000 + "- ") * 2 + "\n",
        "|" * 9_999 + "\n",
        "\t" * 9_999 + "\n",
        '"' * 9_999 + "\n",
        "14:1" + "4:1" * 3_000 + "\n",
        "[" * 9_000 + "](" * 400 + "\n",
        ("- a: " * 1_900) + "\n",
        "- " + "http://" * 1_400 + "\n",
        "**" + "*" * 9_000 + ":\n",
    ],
    ids=[
        "spaces",
        "dashes",
        "pipes",
        "tabs",
        "quotes",
        "times",
        "links",
        "colons",
        "urls",
        "stars",
    ],
)
@pytest.mark.parametrize("slug", list(paste.words.FIELDS))
def test_reading_is_linear_on_hostile_lines(slug, text):
    big = text * max(1, 190_000 // len(text))  # a paste just under the limit
    started = time.perf_counter()
    with contextlib.suppress(paste.PasteRefused):
        paste.parse(slug, big[: paste.MAX_CHARS], day=DAY)
    assert time.perf_counter() - started < 2.0


def test_lines_that_are_not_rows_are_counted_but_listed_only_so_far():
    found = paste.parse("timeline", "### Heading\n" * 5_000 + "14:15 - One\n", day=DAY)
    assert len(found.rows) == 1
    assert (len(found.skipped), found.skipped_count) == (paste.MAX_SKIPPED, 5_000)
