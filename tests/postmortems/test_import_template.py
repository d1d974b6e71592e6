"""The blank template itself imports cleanly: its placeholders are empty values, its guidance is
no content, and its examples come in whole (when asked) or not at all.

These tests read the real template (../shared/postmortem-template.md, beside the clone) and
count what they expect from it, so that they follow the template when it changes.
"""

import datetime
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from postmortems.content import canonical_content
from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import MAX_UPLOAD_BYTES, import_markdown, parse
from postmortems.models import Postmortem
from postmortems.sections import SECTIONS
from tests.factories import PostmortemFactory

TEMPLATE = Path(settings.BASE_DIR).parent / "shared" / "postmortem-template.md"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not TEMPLATE.exists(), reason="../shared/postmortem-template.md is absent"),
]

IMPORT_URL = "/postmortems/import/"
TODAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def section_text(template: str, heading: str) -> str:
    """The template's text from the ## heading to the next one."""
    start = template.index(f"\n## {heading}")
    end = template.find("\n## ", start + 1)
    return template[start : end if end != -1 else None]


def data_rows(text: str) -> list[str]:
    """Table rows that are neither a header nor a separator nor a placeholder row."""
    rows = [line for line in text.split("\n") if line.startswith("|")]
    return [
        row
        for row in rows
        if not re.fullmatch(r"[|\-: ]+", row)
        and not row.startswith(("| Action |", "| Role |", "| Time |"))
        and "[" not in row
    ]


def content_of(pm) -> dict:
    return canonical_content(Postmortem.objects.with_document().get(pk=pm.pk))


# --- without the examples: a blank Draft -------------------------------------------------------

# What a blank Draft holds besides what the import itself sets.
SET_BY_THE_IMPORT = {"key", "title", "incident_date", "severity", "authors", "related_commitments"}


def test_without_examples_no_placeholder_or_example_lands_in_any_field(author, template):
    result = import_markdown(template, by=author, now=TODAY)
    pm = result.postmortem
    content = content_of(pm)
    filled = {
        name: value
        for name, value in content.items()
        if name not in SET_BY_THE_IMPORT and value not in ("", None, [], {})
    }
    assert filled == {}
    assert pm.title == "Imported postmortem" and pm.severity == "sev3"
    assert pm.incident_date == TODAY.date() and list(pm.authors.all()) == [author]
    # Not even the notes: nothing of the template is a line "not imported".
    assert result.problems == [] and pm.import_notes == ""
    # The importer holds the Author slot, as in any new Draft; nobody else is named.
    assert [(a.role, a.assignee) for a in pm.approvals.all() if a.assignee_id] == [
        ("Author", author)
    ]
    # No word of any placeholder or example anywhere in the content.
    texts = [value for value in content.values() if isinstance(value, str)]
    for word in ("[", "YYYY", "VirtEngine", "Alice", "connection pool", "P0-P3", "Example"):
        assert not any(word in text for text in texts), word
    notices = " ".join(result.notices)
    assert "The template's examples were left out (lines 14–15" in notices
    assert "placeholders were read as empty: [INCIDENT-ID]" in notices


def test_without_examples_the_page_says_where_they_were(author_client, template):
    response = author_client.post(IMPORT_URL, {"markdown": template}, follow=True)
    page = response.content.decode()
    assert "was imported as a Draft. Every line was placed." in page
    assert "The template&#x27;s examples were left out" in page
    pm = Postmortem.objects.get()
    assert pm.timeline.count() == 0 and pm.action_items.count() == 0


# --- with the examples: every section gets the example's content ------------------------------


@pytest.fixture
def imported(author, coauthor, template):
    """The template imported with its examples; the related incident it names exists."""
    PostmortemFactory(key="INCIDENT-8901", title="Database slowness", authors=[author])
    result = import_markdown(template, by=author, now=TODAY, examples=True)
    return result, Postmortem.objects.with_document().get(pk=result.postmortem.pk)


def test_with_examples_every_section_is_complete(imported):
    result, pm = imported
    assert result.problems == [] and pm.import_notes == ""
    for section in SECTIONS:
        state = section.completeness(pm)
        assert state.complete, f"{section.slug}: missing {state.missing}"


def test_with_examples_every_table_has_the_examples_rows(imported, template):
    _, pm = imported
    timeline = section_text(template, "Timeline")
    example = timeline.split("### Detailed Timeline Example")[1]
    events = re.findall(r"^(\d{2}:\d{2}) - (.+)$", example, re.MULTILINE)
    assert len(events) == pm.timeline.count() == 24
    assert [e.description for e in pm.timeline.all()] == [text for _, text in events]
    assert {e.occurred_at.strftime("%H:%M") for e in pm.timeline.all()} == {t for t, _ in events}
    assert all(e.occurred_at.date() == TODAY.date() for e in pm.timeline.all())
    # Milestones suggested from the words: the figures can be computed.
    marked = {e.milestone: e.description for e in pm.timeline.all() if e.milestone}
    assert {"started", "detected", "acknowledged", "mitigated", "resolved"} <= set(marked)
    assert marked["resolved"] == "Incident declared resolved"

    actions = data_rows(section_text(template, "Action Items"))
    assert len(actions) == pm.action_items.count() == 16
    assert [i.action for i in pm.action_items.order_by("id")] == [
        row.split("|")[1].strip() for row in actions
    ]
    by_category = {c: pm.action_items.filter(category=c).count() for c in ("prevent", "detection")}
    assert by_category == {"prevent": 7, "detection": 3}

    lessons = section_text(template, "Lessons Learned").split("### Example")[1]
    assert len(re.findall(r"^\d+\. ", lessons, re.MULTILINE)) == pm.lessons.count() == 11
    assert pm.lessons.filter(category="cultural").count() == 3

    factors = section_text(template, "Root Cause").split("### Contributing Factors")[1]
    assert len(re.findall(r"^\d+\. ", factors, re.MULTILINE)) == 6
    assert pm.contributing_factors.count() == 6

    responders = data_rows(section_text(template, "Response").split("### Response Actions")[0])
    assert len(responders) == pm.responders.count() == 4
    assert pm.responders.get(role="On-Call Engineer").joined_at == datetime.datetime.combine(
        TODAY.date(), datetime.time(14, 28), tzinfo=datetime.UTC
    )
    links = re.findall(r"^- .+: https?://", section_text(template, "Supporting Information"), re.M)
    assert len(links) == pm.links.count() == 6
    assert [p.key for p in pm.related_incidents.all()] == ["INCIDENT-8901"]


def test_with_examples_the_text_sections_read_the_examples_values(imported):
    _, pm = imported
    assert pm.executive_summary.startswith("On 2026-01-29 at 14:23 UTC, the VirtEngine API")
    assert (pm.affected_users, pm.affected_users_percent) == (1200, Decimal("15"))
    assert pm.affected_users_basis == "daily active users"
    assert pm.regions == "Global impact (all regions)"
    assert (pm.outage_started_at.time(), pm.outage_ended_at.time()) == (
        datetime.time(14, 23),
        datetime.time(15, 10),
    )
    assert (pm.degraded_minutes, pm.degraded_description) == (20, "slow responses")
    assert pm.revenue_impact == "Estimated revenue impact: $2,500 in failed transactions"
    assert "18 user complaints" in pm.reputation_impact and "2 tweets" in pm.reputation_impact
    assert (pm.slo_name, pm.slo_target, pm.slo_achieved) == (
        "API Availability",
        Decimal("99.9"),
        Decimal("99.73"),
    )
    assert pm.error_budget_consumed_minutes == Decimal("31.2")
    assert pm.root_cause_summary == "Database Connection Pool Exhaustion"
    assert pm.root_cause_component.startswith("The API service's database connection pool")
    assert pm.root_cause_why.startswith("Deployment v1.2.3")
    # Five points for four questions: the fourth point joins the third, the fifth is the fourth.
    assert "No headroom for variance" in pm.root_cause_underlying
    assert "850 RPS spike" in pm.root_cause_underlying
    assert pm.root_cause_safeguards.startswith("Existing safeguards failed")
    assert pm.detection_methods == ["monitoring"]
    assert pm.detection_description == "Automated monitoring alert"
    assert "Improvement Opportunity" in pm.detection_notes
    assert pm.response_actions.startswith("1. Investigation (14:28-14:42)")
    assert pm.went_well.count("\n") == 5 and pm.went_poorly.count("\n") == 4
    assert pm.resolution_summary.startswith("Increased database connection pool size")
    assert pm.fix_type == "permanent"
    assert pm.verification.startswith("1. Health checks passed")
    # A log file is not a link: it is with the references, beside the runbooks.
    assert "/var/log/postgresql" in pm.references and "docs/runbooks" in pm.references
    # Nothing of the guidance: not the four questions' prompt, not the placeholders.
    for text in (pm.references, pm.response_actions, pm.verification, pm.resolution_details):
        assert "[" not in text and "**Template**" not in text and "How did we know" not in text


def test_with_examples_the_page_imports_them_when_ticked(author_client, template):
    page = author_client.get(IMPORT_URL).content.decode()
    assert "Import the template&#x27;s examples as content" in page
    assert (
        'type="checkbox" name="examples"' in page
        and "checked" not in page.split('name="examples"')[1].split(">")[0]
    )
    response = author_client.post(IMPORT_URL, {"markdown": template, "examples": "on"})
    assert response.status_code == 302
    pm = Postmortem.objects.get()
    assert pm.timeline.count() == 24 and pm.action_items.count() == 16


# --- the reasons given are the true ones ------------------------------------------------------


def test_times_without_a_date_line_are_read_on_the_drafts_day(author):
    text = (
        "# Postmortem: INC-2026-0610 No date\n\n## Timeline (all times UTC)\n\n"
        "| Time | Event |\n|---|---|\n| 14:15 | Deploy |\n| 25:99 | Impossible |\n\n"
        "## Response\n\n### Responders\n\n| Role | Name | Joined At |\n|---|---|---|\n"
        "| On-call | Dana | 14:20 |\n"
    )
    result = import_markdown(text, by=author, now=TODAY)
    pm = result.postmortem
    assert pm.incident_date == TODAY.date()
    assert [e.occurred_at for e in pm.timeline.all()] == [
        datetime.datetime.combine(TODAY.date(), datetime.time(14, 15), tzinfo=datetime.UTC)
    ]
    assert pm.responders.get().joined_at.time() == datetime.time(14, 20)
    # The one line not placed says why, truly: its time is not a time.
    assert [p.reason for p in result.problems] == [
        "the time is not like 14:23 or 2026-01-30 00:15 — row not imported"
    ]
    assert "No **Date** line: the incident date is today" in " ".join(result.notices)


def test_timeline_lines_as_the_template_writes_them_are_read(author):
    text = (
        "# Postmortem: INC-2026-0611 Lines\n\n**Date**: 2026-01-29\n\n"
        "## Timeline (all times UTC)\n\n"
        "23:50 - Disk fills up\n00:05 - Alert fires\n- [00:20] On-call engineer paged\n"
        "00:40 - Service restored\nnot a time line\n"
    )
    result = import_markdown(text, by=author, now=TODAY)
    events = list(result.postmortem.timeline.all())
    assert [e.description for e in events] == [
        "Disk fills up",
        "Alert fires",
        "On-call engineer paged",
        "Service restored",
    ]
    # Past midnight is the next day, as the paste box reads it.
    assert events[1].occurred_at == datetime.datetime(2026, 1, 30, 0, 5, tzinfo=datetime.UTC)
    assert [e.milestone for e in events] == ["started", "detected", "alerted", "resolved"]
    assert [(p.text, p.reason) for p in result.problems] == [
        ("not a time line", "not a row of the timeline table")
    ]
    assert "Milestones were suggested for 4 timeline events" in " ".join(result.notices)


def test_a_section_the_author_filled_keeps_its_own_rows(author, template):
    """The template's Response with its actions written: its table is the author's."""
    filled = template.replace(
        "1. [Action 1]\n2. [Action 2]\n3. [Action 3]", "1. Rolled back\n2. Raised the pool"
    ).replace("**What was done to mitigate/resolve?**\n", "")
    result = import_markdown(filled, by=author, now=TODAY)
    pm = result.postmortem
    assert pm.response_actions == "1. Rolled back\n2. Raised the pool"
    assert pm.responders.count() == 4 and "Alerts fired quickly" in pm.went_well
    # The sections left as the template wrote them have nothing of the example.
    assert pm.timeline.count() == 0 and pm.action_items.count() == 0


def test_brackets_in_a_document_that_is_not_the_template_are_kept(author):
    doc = PostmortemFactory(
        key="INC-2026-0612", authors=[author], regions="[REDACTED]", executive_summary="[TBD]"
    )
    markdown = postmortem_markdown(Postmortem.objects.with_document().get(pk=doc.pk))
    result = import_markdown(markdown, by=author, key="INC-2026-0613")
    assert result.problems == []
    assert (result.postmortem.regions, result.postmortem.executive_summary) == (
        "[REDACTED]",
        "[TBD]",
    )


def test_a_severity_placeholder_is_no_severity(author):
    result = import_markdown(
        "# Postmortem: INC-2026-0614 T\n\n**Date**: 2026-01-29\n"
        "**Severity**: SEV-1 | SEV-2 | SEV-3 | SEV-4\n",
        by=author,
    )
    assert result.postmortem.severity == "sev3" and result.problems == []
    assert "The **Severity** line is the template's placeholder" in " ".join(result.notices)


# --- hostile text stays linear ---------------------------------------------------------------

SIZE = MAX_UPLOAD_BYTES - 1024
BOUND = 5.0


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    assert time.perf_counter() - start < BOUND
    return result


@pytest.mark.parametrize(
    "body",
    [
        "**Example**:\n```\n" + ("x" * 999 + "\n") * (SIZE // 1000),  # a code block never closed
        "**Example**:\n" * (SIZE // 14),
        "[" * SIZE,
        "[a] " * (SIZE // 4) + "x",
        "- **Duration**: " + "[x]" * (SIZE // 3),
    ],
    ids=["unclosed-fence", "many-labels", "brackets", "bracket-runs", "bracketed-value"],
)
def test_the_templates_text_is_read_in_linear_time(body):
    text = "# Postmortem: [INCIDENT-ID] Hostile\n\n## Impact\n\n### User Impact\n\n" + body
    timed(parse, text, examples=True)
    timed(parse, text, examples=False)


def test_megabytes_of_timeline_lines_are_read_in_linear_time(author):
    lines = "\n".join(f"14:{n % 60:02d} - Event {n}" for n in range(SIZE // 20))
    text = "# Postmortem: INC-2026-0615 Many\n\n**Date**: 2026-01-29\n\n## Timeline\n\n" + lines
    parsed = timed(parse, text)
    assert len(parsed.rows["timeline"]) == 1000
    assert sum("more than 1,000 rows" in p.reason for p in parsed.problems) > 50_000
