"""Import of hostile text: time linear in the upload, and the forms' length limits.

The timed tests give the importer, at the size of the largest upload, the lines it used to read
in quadratic (or worse) time, minutes to hours each (the comments say how long), and lines of
the same kinds that must still be read. The bound is generous (each takes well under a second
now) so that a busy machine does not fail them.
"""

import datetime
import re
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortems.exchange import blocks, importer
from postmortems.exchange.importer import (
    MAX_UPLOAD_BYTES,
    ImportRefused,
    import_markdown,
    parse,
)
from postmortems.fields import MAX_TAGS_TEXT, UTCDateTimeField
from postmortems.forms.base import MAX_TEXT
from postmortems.sections import impact, overview, supporting
from postmortems.values import _UTC_SUFFIX as _SUFFIX

pytestmark = pytest.mark.django_db

SIZE = MAX_UPLOAD_BYTES - 1024  # room for the lines around the long one
BOUND = 5.0  # seconds
TOP = "# Postmortem: INC-2026-0700 Hostile\n\n**Date**: 2026-01-29\n\n"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND, f"took {elapsed:.1f} s"
    return result


def document(*lines: str) -> str:
    return TOP + "\n".join(lines) + "\n"


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(start))


def run_of(unit: str) -> str:
    """`unit` repeated to SIZE bytes of UTF-8."""
    return unit * (SIZE // len(unit.encode()))


def reasons(parsed) -> dict:
    return {p.line: p.reason for p in parsed.problems}


# --- headings: `(.*?)\s*#*\s*$` tried every split of a run: cubic, a 2 KB run of spaces took
# 14 s; quadratic for `#`, 40 KB took 27 s.


@pytest.mark.parametrize("run", [" ", "\t", "\xa0", "#"], ids=["spaces", "tabs", "nbsp", "hashes"])
def test_a_heading_with_a_long_run_is_read_in_linear_time(run):
    text = document("## Unknown" + run_of(run) + "x", "text")
    parsed = timed(parse, text)
    assert reasons(parsed) == {
        5: "unknown heading — its text is kept in the notes",
        6: f"under the unknown heading “Unknown{run_of(run)}x”",
    }


def test_a_heading_keeps_its_closing_hashes_rule_on_a_long_line():
    pad = " " * (SIZE // 2)
    text = document("## Executive Summary" + pad + "##" + pad, "", "It broke.")
    parsed = timed(parse, text)
    assert parsed.problems == [] and parsed.fields["executive_summary"] == "It broke."


def test_a_title_line_with_a_long_run_of_spaces():
    parsed = timed(parse, "# Postmortem: INC-2026-0701 Disk" + " " * SIZE + "full\n")
    assert parsed.key == "INC-2026-0701"
    assert parsed.title == "Disk" + " " * SIZE + "full"


# --- impact lines ------------------------------------------------------------------------------

IMPACT = ("## Impact", "", "### User Impact", "")


def test_an_slo_line_with_a_long_run_of_spaces_is_a_problem():
    # `(?P<name>.*?)\s*SLO` scanned the run from each of its spaces: 200 KB took 40 s.
    text = document(*IMPACT, "- **SLO Impact**: a" + " " * SIZE + "b")
    parsed = timed(parse, text)
    assert reasons(parsed) == {line_of(text, "- **SLO"): "could not read this value"}
    assert "slo_name" not in parsed.fields


def test_an_slo_line_with_a_long_run_of_spaces_before_slo_is_read():
    text = document(
        *IMPACT, "- **SLO Impact**: API availability" + " " * SIZE + "SLO violated (99.9% → 99.5%)"
    )
    parsed = timed(parse, text)
    assert parsed.problems == []
    assert parsed.fields["slo_name"] == "API availability"
    assert parsed.fields["slo_target"] == Decimal("99.9")
    assert parsed.fields["slo_achieved"] == Decimal("99.5")


def test_an_error_budget_with_a_long_run_of_digits():
    # `(?P<w>\d+)-day` tried every start in the run: 60 KB took 18 s.
    text = document(*IMPACT, "- **Error Budget**: " + "7" * SIZE + " (31.2 minutes, 30-day window)")
    parsed = timed(parse, text)
    assert parsed.problems == []
    assert parsed.fields["slo_window_days"] == 30
    assert parsed.fields["error_budget_consumed_minutes"] == Decimal("31.2")


@pytest.mark.parametrize(
    "line",
    [
        "- **Error Budget**: {digits}-day window",
        "- **Affected Users**: {digits}",
        "- **Degraded Period**: {digits} minutes",
    ],
    ids=["error-budget", "affected-users", "degraded-period"],
)
def test_a_number_too_long_for_python_is_a_problem_not_a_crash(line):
    # int() refuses more than 4,300 digits; the import failed with a server error.
    text = document(*IMPACT, line.format(digits="1" * 5000))
    parsed = parse(text)
    assert reasons(parsed) == {line_of(text, "- **"): "could not read this value"}


def test_a_root_cause_question_numbered_with_too_many_digits():
    text = document("## Root Cause", "", "### What Happened", "", "1" * 5000 + ". It broke.")
    parsed = parse(text)
    assert reasons(parsed) == {
        line_of(text, "111"): "the template asks four questions, numbered 1 to 4"
    }


# --- supporting information --------------------------------------------------------------------

LINKS = ("## Supporting Information", "", "### Metrics and Graphs", "")


def test_a_link_line_with_a_long_run_of_spaces_is_a_problem():
    # `^[-*] +(?:(?P<title>.*?):…` gave spaces back one at a time and rescanned: 40 KB took 10 s.
    text = document(*LINKS, "-" + " " * SIZE + "x")
    parsed = timed(parse, text)
    assert reasons(parsed) == {line_of(text, "- "): "not a “- Title: https://…” link line"}


def test_a_link_line_with_a_long_run_of_spaces_is_read():
    text = document(*LINKS, "-" + " " * (SIZE // 2) + "Errors: https://grafana.example/d/1")
    parsed = timed(parse, text)
    assert parsed.problems == []
    assert [values for _, _, values in parsed.rows["links"]] == [
        {"kind": "dashboard", "title": "Errors", "url": "https://grafana.example/d/1"}
    ]


def test_many_related_incident_lines():
    # Each was taken off the front of the list, moving all the others: quadratic, though at
    # this size only about a second.
    count = SIZE // 30
    text = document(
        "## Supporting Information",
        "",
        "### References",
        "",
        *[f"- Related Incident: INC-{n}" for n in range(count)],
        "See the runbook.",
    )
    parsed = timed(parse, text)
    assert len(parsed.related) == count and parsed.related[-1][2] == f"INC-{count - 1}"
    assert parsed.fields["references"] == "See the runbook."


# --- blank lines and rules around free text: each was taken off the front of the list ---------


@pytest.mark.parametrize("filler", ["\n", "---\n"], ids=["blank-lines", "rules"])
def test_free_text_after_many_blank_lines_or_rules(filler):
    # 600 KB of blank lines took 46 s; 2 MB of `---` lines, 28 s.
    text = TOP + "## Executive Summary\n" + filler * (SIZE // len(filler)) + "It broke.\n"
    parsed = timed(parse, text)
    assert parsed.problems == [] and parsed.fields["executive_summary"] == "It broke."


def test_many_resolution_label_lines():
    # As the related incidents: each taken off the front of the list.
    count = SIZE // 28
    text = document(
        "## Resolution",
        "",
        "### How was service restored?",
        "",
        *["**Resolution**: Rolled back"] * count,
        "**Fix Type**: Permanent fix",
        "Details.",
    )
    parsed = timed(parse, text)
    assert parsed.problems == []
    assert parsed.fields["resolution_summary"] == "Rolled back"
    assert parsed.fields["fix_type"] == "permanent"
    assert parsed.fields["resolution_details"] == "Details."


# --- the form field for UTC times --------------------------------------------------------------


def test_a_utc_time_with_a_long_run_of_spaces():
    # `\s*(?:z|utc|…)$` searched from every space of the run: 60 KB took 60 s.
    field = UTCDateTimeField(base_date=datetime.date(2026, 1, 29))
    with pytest.raises(ValidationError):
        timed(field.clean, "14:23" + " " * SIZE + "x")
    assert timed(field.clean, "2026-01-30 00:15" + " " * SIZE + "UTC") == datetime.datetime(
        2026, 1, 30, 0, 15, tzinfo=datetime.UTC
    )


# --- lines that name many things: each bad name was reported with the whole line ---------------


@pytest.mark.parametrize(
    ("line", "label", "limit"),
    [
        ("**Services**: " + "!," * (SIZE // 2), "Services", MAX_TAGS_TEXT),
        ("**Authors**: " + "x," * (SIZE // 2), "Authors", overview.MAX_AUTHORS_LINE),
    ],
    ids=["services", "authors"],
)
def test_a_header_line_naming_too_much_is_one_problem(author, line, label, limit):
    # A 20 KB Services line of bad names took 7 s and wrote 200 MB of notes; 2 MB, a terabyte.
    text = document(line)
    result = timed(import_markdown, text, by=author)
    value = line.partition(": ")[2]
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            line_of(text, f"**{label}**"),
            f"{label}: This is {len(value):,} characters; the limit is {limit:,}.",
        )
    ]
    assert len(result.postmortem.import_notes) < len(line) + 500
    assert list(result.postmortem.authors.all()) == [author]
    assert not result.postmortem.tags.exists()


def test_a_key_longer_than_the_form_takes_is_refused(author):
    with pytest.raises(ImportRefused, match="The key is 45 characters; the limit is 40"):
        import_markdown("# Postmortem: INC-" + "1" * 41 + " Long key\n", by=author)


# --- the forms' length limits ------------------------------------------------------------------


def test_an_executive_summary_over_the_limit_is_refused_with_its_line(author):
    text = document("## Executive Summary", "", "x" * (MAX_TEXT + 1))
    result = import_markdown(text, by=author)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            line_of(text, "## Executive Summary"),
            "executive summary: This is 20,001 characters; the limit is 20,000.",
        )
    ]
    assert result.postmortem.executive_summary == ""
    assert "This is 20,001 characters; the limit is 20,000." in result.postmortem.import_notes


def test_an_executive_summary_of_exactly_the_limit_is_imported(author):
    text = document("## Executive Summary", "", "x" * MAX_TEXT)
    result = import_markdown(text, by=author)
    assert result.problems == [] and len(result.postmortem.executive_summary) == MAX_TEXT


def test_an_impact_text_over_the_limit_is_refused_with_its_line(author):
    text = document(
        "## Impact", "", "### Business Impact", "", "- **Revenue Impact**: " + "x" * 25_000
    )
    result = import_markdown(text, by=author)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            line_of(text, "- **Revenue"),
            "revenue impact: This is 25,000 characters; the limit is 20,000.",
        )
    ]
    assert result.postmortem.revenue_impact == ""


def test_a_short_text_over_its_own_limit_is_refused_with_its_line(author):
    text = document(
        "## Resolution", "", "### How was service restored?", "", "**Resolution**: " + "x" * 301
    )
    result = import_markdown(text, by=author)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            line_of(text, "**Resolution**"),
            "how was service restored?: This is 301 characters; the limit is 300.",
        )
    ]
    assert result.postmortem.resolution_summary == ""


TIMELINE = ("## Timeline (all times UTC)", "", "| Time | Event |", "|------|-------|")


def test_a_timeline_cell_over_the_limit_is_not_imported(author):
    text = document(*TIMELINE, "| 14:00 | " + "x" * 2001 + " |", "| 14:05 | Paged |")
    result = import_markdown(text, by=author)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            line_of(text, "| 14:00"),
            "description: This is 2,001 characters; the limit is 2,000. — row not imported",
        )
    ]
    assert list(result.postmortem.timeline.values_list("description", flat=True)) == ["Paged"]


def test_a_timeline_cell_of_exactly_the_limit_is_imported(author):
    text = document(*TIMELINE, "| 14:00 | " + "x" * 2000 + " |")
    result = import_markdown(text, by=author)
    assert result.problems == [] and len(result.postmortem.timeline.get().description) == 2000


def test_an_action_over_its_limit_is_not_imported(author):
    text = document(
        "## Action Items",
        "",
        "### Prevent Recurrence",
        "",
        "| Action | Owner | Due Date | Priority | Status |",
        "|---|---|---|---|---|",
        "| " + "x" * 301 + " | — | — | P1 | Open |",
    )
    result = import_markdown(text, by=author)
    assert [p.reason for p in result.problems] == [
        "action: This is 301 characters; the limit is 300. — row not imported"
    ]
    assert not result.postmortem.action_items.exists()


# --- the linear readers read every short line exactly as the old patterns did -------------------

OLD_HEADING = re.compile(r"^(#{1,3}) +(.*?)\s*#*\s*$")
OLD_SLO = re.compile(
    r"(?P<name>.*?)\s*SLO(?: violated| met)?(?: \((?:(?P<t>[\d.]+)%|\?)(?: → (?P<a>[\d.]+)%)?\))?"
)
OLD_LINK = re.compile(r"^[-*] +(?:(?P<title>.*?):\s+)?(?P<url>https?://\S+)$")
OLD_SUFFIX = re.compile(r"\s*(?:z|utc|gmt|\+00:?00)$", re.IGNORECASE)
PIECES = [" ", "\t", "\xa0", "\u2028", "#", "a", "SLO", " (", "99.9", "%", ")", " → ", "?", ":"]
PIECES += ["http://", "https://x", "-", "*", "1", "-day", "z", "UTC", "+00:00", "\n"]
LINES = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


@settings(max_examples=1500, deadline=None)
@given(LINES)
def test_the_readers_agree_with_the_old_patterns(text):
    line = text.replace("\n", "")  # a line of the document
    old = OLD_HEADING.match(line)
    assert blocks.heading(line) == (old and (len(old[1]), old[2]))
    old, new = OLD_LINK.match(line.strip()), supporting.LINK_LINE.match(line.strip())
    assert (old and old.groupdict()) == (new and new.groupdict())
    # A bullet's value may go on over several lines.
    old = OLD_SLO.fullmatch(text.strip())
    new = impact.SLO_LINE.fullmatch(text.strip())
    assert (old and old.groupdict()) == (new and new.groupdict())
    old = re.search(r"(?P<w>\d+)-day", text)
    new = impact.BUDGET_WINDOW.search(text)
    assert (old and (old.span(), old["w"])) == (new and (new.span(), new["w"]))
    assert _SUFFIX.sub("", text.strip()) == OLD_SUFFIX.sub("", text.strip())


# --- what the import creates is bounded and follows the rules of the forms -------------------

DEEP_LIST = "* " * 496 + "x"


def test_an_imported_text_that_cannot_be_formatted_is_a_problem_not_a_field(author):
    text = document(
        "## Executive Summary", "", DEEP_LIST, "", "## Timeline (all times UTC)", "",
        "| Time | Event | Milestone |", "|---|---|---|", f"| 14:00 | {DEEP_LIST} | |",
        "| 14:05 | Fine | |",
    )  # fmt: skip
    result = import_markdown(text, by=author)
    pm = result.postmortem
    assert pm.executive_summary == ""
    assert [e.description for e in pm.timeline.all()] == ["Fine"]
    reasons = [p.reason for p in result.problems]
    assert sum("too deeply to be formatted" in r for r in reasons) == 2


def test_a_hidden_key_gets_the_same_refusal_as_any_taken_key(author, outsider, postmortem):
    from tests.factories import PostmortemFactory

    PostmortemFactory(key="SEC-2026-0007", restricted=True, authors=[author])
    messages = []
    for key in ("SEC-2026-0007", postmortem.key, "SEC-2026-0999"):
        with pytest.raises(ImportRefused) as refused:
            import_markdown(f"# Postmortem: {key} Probe\n", by=outsider)
        messages.append(str(refused.value).replace(key, "KEY"))
    assert len(set(messages)) == 1 and "cannot be used" in messages[0]


def test_an_import_creates_at_most_a_thousand_rows_a_table(author):
    rows = [f"| 14:{n % 60:02d} | Event {n} | |" for n in range(importer.MAX_ROWS + 5)]
    text = document("## Timeline", "", "| Time | Event | Milestone |", "|---|---|---|", *rows)
    result = timed(import_markdown, text, by=author)
    assert result.postmortem.timeline.count() == importer.MAX_ROWS
    assert sum("more than 1,000 rows" in p.reason for p in result.problems) == 5


def test_thousands_of_names_are_looked_up_in_a_few_queries(author, django_assert_max_num_queries):
    rows = [f"| Watch {n} | Person {n} | — |" for n in range(900)]
    text = document(
        "## Response", "", "### Responders", "", "| Role | Name | Joined At |", "|---|---|---|",
        *rows,
    )  # fmt: skip
    parsed = parse(text)
    people = importer.People()
    with django_assert_max_num_queries(2):
        people.load(importer._names(parsed))
    assert people.find("Person 3") is None and people.find("Alice Smith") == author


def test_the_notes_kept_on_the_document_are_bounded(author):
    text = document(*(f"stray line {n} " + "x" * 1000 for n in range(3000)))
    result = import_markdown(text, by=author)
    notes = result.postmortem.import_notes
    assert len(result.problems) == 3000
    assert notes.count("\n") < importer.MAX_NOTES + 5
    assert "2,000 more lines that were not imported" in notes
    assert len(notes) < 400_000
