"""The reviewers' words where the authors work: the reason given with "request changes" is a
banner on every editor step (and on the document, for its authors) until the next submit, and
each section's open threads are shown beside that section's editor step."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from postmortems import workflow
from postmortems.models import Comment, Postmortem
from postmortems.review_notes import last_changes_request
from postmortems.sections import SECTIONS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REASON = "The **root cause** stops at the pool: say why it was too small."


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def edit_url(doc, slug):
    return f"/postmortems/{doc.key}/edit/{slug}/"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def panel(body):
    """The open-threads panel beside the editor step, or '' when there is none."""
    found = re.search(r'<aside class="review-notes-panel.*?</aside>', body, re.S)
    return found.group(0) if found else ""


def banner(body):
    found = re.search(r'<section class="review-banner.*?</section>', body, re.S)
    return found.group(0) if found else ""


def thread(doc, who, section, body, **fields):
    return Comment.objects.create(postmortem=doc, section=section, author=who, body=body, **fields)


@pytest.fixture
def sent_back(doc, author, reviewer):
    """Under review, three open threads (two on the timeline, one on the root cause), then
    sent back with a reason."""
    workflow.submit_for_review(doc, by=author)
    thread(doc, reviewer, "timeline", "When was the **page** acknowledged?")
    thread(doc, reviewer, "timeline", "Add the rollback at 14:40.")
    thread(doc, reviewer, "root-cause", "Why was the pool sized at 100?")
    workflow.request_changes(doc, by=reviewer, comment=REASON)
    return Postmortem.objects.get(pk=doc.pk)


class TestTheBanner:
    @pytest.mark.parametrize("slug", [s.slug for s in SECTIONS])
    def test_it_is_on_every_editor_step(self, sent_back, author, slug):
        shown = banner(page(as_user(author), edit_url(sent_back, slug)))
        assert "Changes requested by Carol White" in shown
        # The reason is Markdown, rendered through the one sanitizer.
        assert "<strong>root cause</strong> stops at the pool" in shown
        assert "3 open threads:" in shown
        links = re.findall(r'<a href="([^"]+)">([^<]+)</a> \((\d+)\)', shown)
        assert links == [
            (edit_url(sent_back, "timeline") + "#open-threads", "Timeline", "2"),
            (edit_url(sent_back, "root-cause") + "#open-threads", "Root Cause", "1"),
        ]

    def test_the_document_page_shows_it_to_the_authors(self, sent_back, author, coauthor):
        for person in (author, coauthor):
            shown = banner(page(as_user(person), sent_back.get_absolute_url()))
            assert "Changes requested by Carol White" in shown
            # On the document, the links go to the threads themselves.
            assert 'href="#comments-timeline">Timeline</a> (2)' in shown

    def test_not_to_the_other_readers(self, sent_back, reviewer, outsider):
        for person in (reviewer, outsider):
            assert banner(page(as_user(person), sent_back.get_absolute_url())) == ""

    def test_it_is_gone_after_the_next_submit(self, sent_back, author):
        workflow.submit_for_review(sent_back, by=author)
        # Under review: nobody edits it, and the document page shows no banner.
        assert banner(page(as_user(author), sent_back.get_absolute_url())) == ""
        # Withdrawn to Draft again: the reason was answered by the submit, so it stays gone.
        workflow.withdraw(sent_back, by=author)
        body = page(as_user(author), edit_url(sent_back, "overview"))
        assert "Changes requested" not in body and "stops at the pool" not in body
        # The open threads are still listed, without a reason.
        assert "3 open threads:" in banner(body)

    def test_the_latest_request_is_shown(self, sent_back, author, approver):
        workflow.submit_for_review(sent_back, by=author)
        workflow.request_changes(sent_back, by=approver, comment="Name the *owner* of each item.")
        shown = banner(page(as_user(author), edit_url(sent_back, "action-items")))
        assert "Changes requested by Victor Chen" in shown
        assert "<em>owner</em>" in shown and "stops at the pool" not in shown
        assert last_changes_request(sent_back).actor == approver

    def test_no_banner_without_a_request_or_an_open_thread(self, doc, author):
        assert banner(page(as_user(author), edit_url(doc, "impact"))) == ""
        assert last_changes_request(doc) is None

    def test_the_reason_is_sanitized(self, doc, author, reviewer):
        workflow.submit_for_review(doc, by=author)
        workflow.request_changes(
            doc, by=reviewer, comment="<script>alert(1)</script> [x](javascript:alert(2))"
        )
        shown = banner(page(as_user(author), edit_url(doc, "impact")))
        assert "<script>" not in shown and "javascript:" not in shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


class TestThreadsBesideTheirSection:
    def test_each_step_shows_its_own_open_threads(self, sent_back, author):
        client = as_user(author)
        timeline = panel(page(client, edit_url(sent_back, "timeline")))
        assert "When was the <strong>page</strong> acknowledged?" in timeline
        assert "Add the rollback at 14:40." in timeline
        assert "Why was the pool sized" not in timeline
        root_cause = panel(page(client, edit_url(sent_back, "root-cause")))
        assert "Why was the pool sized at 100?" in root_cause
        assert "Add the rollback" not in root_cause
        assert panel(page(client, edit_url(sent_back, "impact"))) == ""

    def test_read_only_with_a_link_to_the_thread(self, sent_back, author):
        shown = panel(page(as_user(author), edit_url(sent_back, "root-cause")))
        first = Comment.objects.get(section="root-cause")
        assert f'href="/postmortems/{sent_back.key}/#comment-{first.pk}"' in shown
        assert "<form" not in shown and "<textarea" not in shown

    def test_replies_are_shown_with_their_thread(self, sent_back, author):
        first = Comment.objects.get(section="root-cause")
        thread(sent_back, author, "root-cause", "It was the default.", parent=first)
        shown = panel(page(as_user(author), edit_url(sent_back, "root-cause")))
        assert "Why was the pool sized" in shown and "It was the default." in shown

    def test_resolved_threads_are_not_shown(self, sent_back, author):
        first = Comment.objects.get(section="root-cause")
        workflow.toggle_resolved(first, by=author)
        body = page(as_user(author), edit_url(sent_back, "root-cause"))
        assert panel(body) == ""
        assert "2 open threads:" in banner(body) and "Root Cause" not in banner(body)


class TestHiddenComments:
    def test_a_hidden_thread_is_neither_shown_nor_counted(self, sent_back, author):
        first = Comment.objects.get(section="root-cause")
        workflow.hide_comment(first, by=author, reason="Not blameless")
        body = page(as_user(author), edit_url(sent_back, "root-cause"))
        assert "Why was the pool sized" not in body
        assert panel(body) == ""
        assert "2 open threads:" in banner(body)

    def test_a_hidden_reply_shows_who_hid_it_and_why_not_its_text(
        self, sent_back, author, admin_user
    ):
        first = Comment.objects.get(section="root-cause")
        reply = thread(sent_back, author, "root-cause", "Bob's fault, as usual.", parent=first)
        workflow.hide_comment(reply, by=admin_user, reason="Blame")
        for person in (author, admin_user):  # as on the document: nobody sees the text again
            shown = panel(page(as_user(person), edit_url(sent_back, "root-cause")))
            assert "Why was the pool sized" in shown
            assert "Bob&#x27;s fault" not in shown and "Bob's fault" not in shown
            assert "Hidden by Admin" in shown and "Blame" in shown


class TestNothingLeaks:
    def test_someone_who_cannot_read_the_document_gets_nothing(self, sent_back, outsider):
        Postmortem.objects.filter(pk=sent_back.pk).update(restricted=True)
        client = as_user(outsider)
        for url in (sent_back.get_absolute_url(), edit_url(sent_back, "timeline")):
            response = client.get(url)
            assert response.status_code == 404
            body = response.content.decode()
            assert "stops at the pool" not in body and "When was the" not in body

    def test_a_reader_who_may_not_edit_is_refused_the_editor_without_the_reason(
        self, sent_back, reviewer
    ):
        response = as_user(reviewer).get(edit_url(sent_back, "timeline"))
        assert response.status_code == 403
        assert "stops at the pool" not in response.content.decode()

    def test_the_final_snapshot_holds_no_banner(self, sent_back, author):
        html = workflow.snapshot_html(Postmortem.objects.with_document().get(pk=sent_back.pk))
        assert "review-banner" not in html and "stops at the pool" not in html


def test_the_editor_runs_a_fixed_number_of_queries_whatever_the_comments(
    sent_back, author, reviewer, admin_user
):
    client = as_user(author)

    def count(slug):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(edit_url(sent_back, slug)).status_code == 200
        return len(queries)

    small = {slug: count(slug) for slug in ("timeline", "impact")}
    for n in range(25):
        person = UserFactory()
        first = thread(sent_back, person, "timeline", f"Question {n}")
        thread(sent_back, author, "timeline", f"Answer {n}", parent=first)
        hidden = thread(sent_back, reviewer, "timeline", f"Aside {n}", parent=first)
        workflow.hide_comment(hidden, by=admin_user, reason=f"Off topic {n}")
        thread(sent_back, person, "impact", f"Impact {n}")
    assert "Question 24" in panel(page(client, edit_url(sent_back, "timeline")))
    assert {slug: count(slug) for slug in small} == small
