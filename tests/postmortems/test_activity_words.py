"""Words people use: the blameless reminder names this organisation, and the activity log says
what happened in the page's words, a burst of row edits as one line, no word cut in half."""

import datetime

import pytest
from django.test import override_settings

from postmortems import activity_feed, workflow
from postmortems.activity import log_action
from postmortems.editing import _log_edit
from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import import_markdown
from postmortems.models import ActionItem, Activity, DocumentVersion, Postmortem
from postmortems.values import clipped
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


def export(pm) -> str:
    return postmortem_markdown(Postmortem.objects.with_document().get(pk=pm.pk))


# --- the organisation --------------------------------------------------------------------------


def test_the_reminder_names_our_organisation_by_default(postmortem):
    markdown = export(postmortem)
    assert "opportunity to make our organisation more reliable." in markdown
    assert "VirtEngine" not in markdown


@override_settings(POSTMORTEM_ORGANISATION="Acme  Cloud\nInc")
def test_the_reminder_names_the_organisation_of_the_setting(author_client, postmortem):
    assert "opportunity to make Acme Cloud Inc more reliable." in export(postmortem)
    page = author_client.get(f"/postmortems/{postmortem.key}/").content.decode()
    assert "opportunity to make Acme Cloud Inc more reliable." in page


@override_settings(POSTMORTEM_ORGANISATION="Acme Cloud")
def test_a_reminder_naming_another_organisation_imports_cleanly(author, postmortem):
    text = export(postmortem).replace("make Acme Cloud more", "make VirtEngine more")
    assert "make VirtEngine more reliable" in text
    result = import_markdown(text, by=author, key="INC-2026-0950")
    assert result.problems == []


# --- the log in words --------------------------------------------------------------------------


def test_the_log_names_sections_and_statuses_as_the_page_does(author_client, author, doc, reviewer):
    item = ActionItem.objects.filter(postmortem=doc).first()
    author_client.post(f"/action-items/{item.pk}/status/", {"status": "in_progress"})
    workflow.submit_for_review(doc, by=author)
    workflow.request_changes(doc, by=reviewer, comment="Explain the threshold.")
    page = author_client.get(f"/postmortems/{doc.key}/").content.decode()
    log = page.split('id="activity"')[1].split("</section>")[0]
    assert "<em>Action Items</em>" in log and "action-items" not in log
    assert "(Draft → Under Review)" in log and "(Under Review → Draft)" in log
    assert "in_review" not in log


def test_a_burst_of_row_edits_is_one_line_keeping_its_entries(author_client, postmortem):
    for n in range(12):
        response = author_client.post(
            f"/postmortems/{postmortem.key}/edit/timeline/rows/",
            {"new-occurred_at": f"14:{n:02d}", "new-description": f"Step {n}"},
        )
        assert response.status_code == 302
    assert Activity.objects.filter(postmortem=postmortem, section="timeline").count() == 12
    page = author_client.get(f"/postmortems/{postmortem.key}/").content.decode()
    log = page.split('id="activity"')[1].split("</section>")[0]
    assert "<strong>Alice Smith</strong> added 12 timeline events" in log
    assert log.count("<details") == 1
    for n in (0, 11):
        assert f"added: 14:{n:02d} Step {n}" in log  # each entry is still listed under it


def entry(actor, minutes, detail, section="timeline", verb=Activity.Verb.EDITED):
    at = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    made = Activity(actor=actor, verb=verb, section=section, detail=detail)
    made.created_at = at + datetime.timedelta(minutes=minutes)
    made.actor_id = actor.pk
    return made


def test_only_close_edits_of_one_person_in_one_section_make_a_burst(author, coauthor):
    entries = [  # newest first, as the page loads them
        entry(author, 30, "added: 14:30 Late"),
        entry(author, 12, "removed: 14:02 Typo"),
        entry(author, 9, "changed: 14:01 Paged"),
        entry(author, 8, "added 3 timeline events"),
        entry(coauthor, 7, "added: 14:05 Bob's"),
        entry(author, 6, "added: 14:00 Start"),
        entry(author, 5, "added: Fix", section="action-items"),
        entry(author, 4, "saved the section", section="impact"),
        entry(author, 3, "saved the section", section="impact"),
    ]
    lines = activity_feed.shown(entries)
    said = [(line.actor.username, line.verb, len(line.entries)) for line in lines]
    assert said == [
        ("alice", "edited", 1),  # 18 minutes after the one before: a burst of its own
        ("alice", "added 3, changed 1 and removed 1 timeline events", 3),
        ("bob", "edited", 1),
        ("alice", "edited", 1),  # Bob's edit came between
        ("alice", "edited", 1),
        ("alice", "edited", 1),  # saving a form is not a row edit
        ("alice", "edited", 1),
    ]
    assert lines[1].section == "Timeline" and lines[6].section == "Impact"


def test_one_added_row_is_named_in_the_singular(author):
    lines = activity_feed.shown([entry(author, 2, "added: 14:01 B"), entry(author, 1, "added: A")])
    assert lines[0].verb == "added 2 timeline events"
    lines = activity_feed.shown(
        [entry(author, 2, "added 1 action item", "action-items"), entry(author, 1, "removed: X",
         "action-items")]
    )  # fmt: skip
    assert lines[0].verb == "added 1 and removed 1 action items"


# --- never a word cut in half -------------------------------------------------------------------

LONG_ACTION = " ".join(["Document the rollback procedures and their limits"] * 6)[:300]


def test_a_long_detail_is_cut_between_words(author, postmortem):
    item = ActionItem.objects.create(postmortem=postmortem, action=LONG_ACTION, owner_name="Dana")
    _log_edit(postmortem, "action-items", author, f"changed: {item}")
    logged = Activity.objects.filter(postmortem=postmortem).first()
    assert len(logged.detail) <= 300 and logged.detail.endswith("…")
    kept = logged.detail.removesuffix("…")
    full = f"changed: {LONG_ACTION}"
    assert full.startswith(kept) and full[len(kept)] == " "
    version = DocumentVersion.objects.filter(postmortem=postmortem).first()
    assert version.detail == logged.detail


def test_the_page_cuts_a_detail_between_words_too(author_client, author, postmortem):
    reason = "Please explain why the connection pool alert threshold was so high " * 5
    log_action(postmortem, author, Activity.Verb.REOPENED, detail=reason)
    assert Activity.objects.get(verb="reopened").detail == reason  # the log keeps it whole
    page = author_client.get(f"/postmortems/{postmortem.key}/").content.decode()
    shown = clipped(reason, activity_feed.SHOWN_DETAIL)
    assert f": {shown}</span>" in page and len(shown) <= activity_feed.SHOWN_DETAIL
    kept = shown.removesuffix("…")
    assert reason.startswith(kept) and reason[len(kept)] == " " and kept[-1] != " "


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("hello world again", 12, "hello world…"),
        ("hello wonderful world", 12, "hello…"),
        ("https://example.com/very/long/path", 21, "https://example.com/…"),
        ("https://example.com/very/long/path", 20, "https://example.…"),
        ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…"),
    ],
)
def test_clipped_never_cuts_a_word_when_it_can_help_it(text, limit, expected):
    assert clipped(text, limit) == expected
    assert len(clipped(text, limit)) <= limit


def test_an_import_logs_in_words_too(author_client, author):
    pm = PostmortemFactory(key="INC-2026-0960", authors=[author])
    log_action(pm, author, Activity.Verb.EDITED, section="import", detail="imported from Markdown")
    page = author_client.get(f"/postmortems/{pm.key}/").content.decode()
    assert "<em>Import</em>" in page
