"""Rows in bulk in the guided editor (postmortems/views/paste.py): the preview, adding, what
happens to bad rows and to the pasted text, who may do it, and its bounds."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from postmortems import workflow
from postmortems.exchange import paste
from postmortems.models import (
    ActionItem,
    Activity,
    DocumentVersion,
    Postmortem,
    Responder,
    SupportingLink,
    TimelineEvent,
)
from tests.factories import TimelineEventFactory, UserFactory
from tests.postmortems.test_paste import ACTION_ITEMS, LINKS, RESPONDERS, TIMELINE

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(postmortem, slug):
    return f"/postmortems/{postmortem.key}/edit/{slug}/paste/"


def add_data(postmortem, slug, text, *, rows, **extra):
    """What "Add N rows" posts after a preview that ticked `rows` rows."""
    data = {
        "paste": text,
        "digest": paste.digest(slug, text, postmortem.incident_date),
        "revision": str(postmortem.revision),
        "_add": "1",
        **{f"take-{i}": "1" for i in range(rows)},
    }
    data.update(extra)
    return data


def textarea(response):
    match = re.search(
        r'<textarea id="paste-text"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    assert match, "the paste box is on the page"
    return match[1]


def test_the_editor_shows_the_paste_box_on_table_sections_only(author_client, postmortem):
    timeline = author_client.get(f"/postmortems/{postmortem.key}/edit/timeline/").content.decode()
    impact = author_client.get(f"/postmortems/{postmortem.key}/edit/impact/").content.decode()
    assert 'action="/postmortems/INC-2026-0001/edit/timeline/paste/"' in timeline
    assert "Paste many rows at once" in timeline and "js/paste.js" in timeline
    assert "Paste many rows" not in impact


def test_the_live_preview_shows_the_rows_and_saves_nothing(author_client, postmortem):
    response = author_client.post(url(postmortem, "timeline"), {"paste": TIMELINE}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="paste-preview"' in page
    assert "24 rows" in page and "24 ready" in page
    assert "Add 24 rows" in page
    # The suggested milestones are preselected in each row's select.
    assert len(re.findall(r'<option value="(\w+)" selected>', page)) == 6
    assert '<option value="resolved" selected>' in page
    assert TimelineEvent.objects.count() == 0
    assert not Activity.objects.filter(postmortem=postmortem).exists()


def test_without_javascript_the_preview_is_the_editor_page(author_client, postmortem):
    response = author_client.post(url(postmortem, "timeline"), {"paste": TIMELINE, "_preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and 'id="editor-form"' in page or "section-form" in page
    assert '<details class="paste-box mt-4" id="paste" open>' in page
    assert textarea(response).startswith("14:15 - Deployment of API v1.2.3")
    assert TimelineEvent.objects.count() == 0


def test_adding_saves_every_row_as_one_change(author_client, postmortem, author):
    before = Postmortem.objects.get(pk=postmortem.pk).revision
    response = author_client.post(
        url(postmortem, "timeline"), add_data(postmortem, "timeline", TIMELINE, rows=24)
    )
    assert response.status_code == 302, re.findall(r"<li>Line .*?</li>", response.content.decode())
    assert response["Location"] == f"/postmortems/{postmortem.key}/edit/timeline/#rows"
    events = list(TimelineEvent.objects.filter(postmortem=postmortem))
    assert len(events) == 24
    assert {e.milestone: e.occurred_at.strftime("%H:%M") for e in events if e.milestone} == {
        "started": "14:23", "detected": "14:24", "alerted": "14:26", "acknowledged": "14:28",
        "mitigated": "14:50", "resolved": "15:10",
    }  # fmt: skip
    assert Postmortem.objects.get(pk=postmortem.pk).revision == before + 1
    entries = Activity.objects.filter(postmortem=postmortem)
    assert [(a.actor, a.section, a.detail) for a in entries] == [
        (author, "timeline", "added 24 timeline events")
    ]
    assert DocumentVersion.objects.filter(postmortem=postmortem).count() == 1
    page = author_client.get(response["Location"]).content.decode()
    assert "24 timeline events added." in page


def test_unticked_rows_and_changed_choices(author_client, postmortem):
    text = "23:50 - Deploy begins\n23:58 - Errors start\n00:10 - Alice paged\n00:20 - Resolved"
    data = add_data(postmortem, "timeline", text, rows=4)
    del data["take-1"]  # not this one
    data["milestone-2"] = "acknowledged"  # instead of the suggested "alerted"
    data["nextday-3"] = "1"  # kept on the next day; line 3 (no nextday-2) is moved back
    response = author_client.post(url(postmortem, "timeline"), data)
    assert response.status_code == 302
    events = TimelineEvent.objects.filter(postmortem=postmortem).order_by("occurred_at")
    assert [(e.occurred_at.strftime("%d %H:%M"), e.description, e.milestone) for e in events] == [
        ("29 00:10", "Alice paged", "acknowledged"),
        ("29 23:50", "Deploy begins", ""),
        ("30 00:20", "Resolved", "resolved"),
    ]


def test_the_preview_offers_the_next_day_and_keeps_the_choices_made(author_client, postmortem):
    text = "23:50 - Errors start\n00:10 - Alice paged"
    first = author_client.post(
        url(postmortem, "timeline"), {"paste": text}, **HTMX
    ).content.decode()
    assert 'name="nextday-1" value="1" id="nextday-1" checked' in first
    assert "2026-01-30 00:10" in first
    again = {"paste": text, "digest": paste.digest("timeline", text, postmortem.incident_date)}
    again |= {"take-0": "1", "milestone-0": "detected", "_preview": "1"}
    page = author_client.post(url(postmortem, "timeline"), again).content.decode()
    assert 'name="take-1" value="1" aria-label' in page  # unticked now
    assert 'name="nextday-1" value="1" id="nextday-1">' in page  # moved back
    assert '<option value="detected" selected>' in page
    assert "Add 1 row" in page


def test_bad_rows_are_listed_not_added_and_stay_in_the_box(author_client, postmortem):
    preview = author_client.post(url(postmortem, "supporting"), {"paste": LINKS}, **HTMX)
    page = preview.content.decode()
    assert "1 with a problem" in page
    assert "Line 10: Link: Enter a web link that starts with http:// or https://." in page
    assert "Add 6 rows" in page
    response = author_client.post(
        url(postmortem, "supporting"), add_data(postmortem, "supporting", LINKS, rows=7)
    )
    assert response.status_code == 200
    links = SupportingLink.objects.filter(postmortem=postmortem)
    assert sorted(links.values_list("kind", flat=True)) == ["dashboard"] * 4 + ["logs"] * 2
    assert "6 supporting links added." in response.content.decode()
    left = textarea(response)
    assert "Database Query Logs: /var/log/postgresql" in left and "Error Rate Graph" not in left
    assert "### Logs and Traces" in left  # the heading that gives the row its kind
    assert "were not added: they are still in the box" in response.content.decode()


def test_people_are_matched_to_accounts_or_kept_as_names(
    author_client, postmortem, author, coauthor
):
    response = author_client.post(
        url(postmortem, "response"), add_data(postmortem, "response", RESPONDERS, rows=4)
    )
    assert response.status_code == 302
    found = {r.role: (r.user, r.name) for r in Responder.objects.filter(postmortem=postmortem)}
    assert found["On-Call Engineer"] == (author, "")
    assert found["Incident Commander"] == (coauthor, "")
    assert found["Communications Lead"] == (None, "Dave Brown")


def test_the_templates_action_items_in_one_submission(author_client, postmortem, author, coauthor):
    response = author_client.post(
        url(postmortem, "action-items"), add_data(postmortem, "action-items", ACTION_ITEMS, rows=16)
    )
    assert response.status_code == 302
    items = list(ActionItem.objects.filter(postmortem=postmortem))
    assert len(items) == 16
    assert [i.category for i in items].count("detection") == 3
    alice = [i for i in items if i.owner == author]
    assert len(alice) == 7 and all(i.owner_name == "" for i in alice)
    assert {i.owner_name for i in items if i.owner is None} == {"Carol", "Dave"}
    assert {i.priority for i in items} == {"p0", "p1", "p2"}


def test_a_text_changed_after_the_preview_is_not_added(author_client, postmortem):
    data = add_data(postmortem, "timeline", "14:15 - One", rows=1)
    data["paste"] = "14:15 - One\n14:16 - Two"
    response = author_client.post(url(postmortem, "timeline"), data)
    assert response.status_code == 200
    assert "The text changed after the preview" in response.content.decode()
    assert textarea(response) == "14:15 - One\n14:16 - Two"
    assert TimelineEvent.objects.count() == 0


def test_a_second_submission_of_the_same_preview_adds_nothing(author_client, postmortem):
    data = add_data(postmortem, "timeline", "14:15 - One\n14:16 - Two", rows=2)
    assert author_client.post(url(postmortem, "timeline"), data).status_code == 302
    again = author_client.post(url(postmortem, "timeline"), data)
    assert again.status_code == 409
    assert "Nothing was added: the document changed since this preview" in again.content.decode()
    assert textarea(again) == "14:15 - One\n14:16 - Two"
    assert TimelineEvent.objects.count() == 2


def test_nothing_ticked_adds_nothing(author_client, postmortem):
    data = add_data(postmortem, "timeline", "14:15 - One", rows=0)
    response = author_client.post(url(postmortem, "timeline"), data)
    assert "Nothing to add: tick at least one row" in response.content.decode()
    assert TimelineEvent.objects.count() == 0


def test_too_big_a_paste_says_so_and_keeps_the_text(author_client, postmortem):
    text = "14:15 - x\n" * 20_001
    response = author_client.post(
        url(postmortem, "timeline"), add_data(postmortem, "timeline", text, rows=1)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The paste is 200,010 characters; the limit is 200,000" in page
    assert len(textarea(response)) == len(text)
    assert TimelineEvent.objects.count() == 0


def test_too_many_rows_say_so(author_client, postmortem):
    response = author_client.post(url(postmortem, "root-cause"), {"paste": "- f\n" * 501}, **HTMX)
    assert "more than 500 rows" in response.content.decode()


def test_milestones_the_timeline_has_are_not_suggested_again(author_client, postmortem):
    TimelineEventFactory(postmortem=postmortem, milestone="resolved", description="Done")
    page = author_client.post(
        url(postmortem, "timeline"), {"paste": TIMELINE}, **HTMX
    ).content.decode()
    assert '<option value="resolved" selected>' not in page
    assert '<option value="detected" selected>' in page


def test_a_row_text_that_cannot_be_formatted_is_a_bad_row(author_client, postmortem):
    text = "- fine\n- " + "> " * 200 + "deep"
    page = author_client.post(
        url(postmortem, "root-cause"), {"paste": text}, **HTMX
    ).content.decode()
    assert "1 with a problem" in page and "Add 1 row" in page


def test_only_an_author_of_a_draft_may_paste(client, postmortem, outsider, reviewer):
    data = add_data(postmortem, "timeline", "14:15 - One", rows=1)
    assert client.post(url(postmortem, "timeline"), data).status_code == 302  # to sign in
    client.force_login(outsider)
    assert client.post(url(postmortem, "timeline"), data).status_code == 403
    assert (
        client.post(url(postmortem, "timeline"), {"paste": "14:15 - x"}, **HTMX).status_code == 403
    )
    assert TimelineEvent.objects.count() == 0


def test_not_once_the_document_is_under_review(author_client, doc):
    workflow.submit_for_review(doc, by=doc.authors.first())
    doc.refresh_from_db()
    data = add_data(doc, "timeline", "14:15 - One", rows=1)
    before = TimelineEvent.objects.filter(postmortem=doc).count()
    assert author_client.post(url(doc, "timeline"), data).status_code == 403
    assert TimelineEvent.objects.filter(postmortem=doc).count() == before


def test_a_section_without_a_table_and_get_are_refused(author_client, postmortem):
    assert author_client.post(url(postmortem, "impact"), {"paste": "x"}).status_code == 404
    assert author_client.post(url(postmortem, "nonsense"), {"paste": "x"}).status_code == 404
    assert author_client.get(url(postmortem, "timeline")).status_code == 405


def test_csrf_is_required(postmortem, author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    data = add_data(postmortem, "timeline", "14:15 - One", rows=1)
    assert client.post(url(postmortem, "timeline"), data).status_code == 403
    assert TimelineEvent.objects.count() == 0


def test_previewing_many_rows_costs_a_bounded_number_of_queries(author_client, postmortem):
    UserFactory(username="dana", display_name="Dana Reyes")
    few = "Action\tOwner\n" + "Do it\tDana\n" * 5
    many = "Action\tOwner\n" + "Do it\tDana\n" * 200
    with CaptureQueriesContext(connection) as small:
        author_client.post(url(postmortem, "action-items"), {"paste": few}, **HTMX)
    with CaptureQueriesContext(connection) as large:
        response = author_client.post(url(postmortem, "action-items"), {"paste": many}, **HTMX)
    assert "200 ready" in response.content.decode()
    # Each owner picked is checked by its form (the choice, and the model's foreign key: two
    # queries a row); nothing else grows with the rows.
    assert len(large) - len(small) <= 2 * 195


def test_a_flood_of_headings_makes_a_small_preview(author_client, postmortem):
    text = "### Heading\n" * 15_000 + "14:15 - One\n"
    response = author_client.post(url(postmortem, "timeline"), {"paste": text}, **HTMX)
    page = response.content.decode()
    assert "15000 lines not read as rows" in page and "the first 50 are listed" in page
    assert len(page) < 40_000
