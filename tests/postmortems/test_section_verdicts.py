"""Per-section verdicts: a reviewer marks a section "looks good" or "needs work"; a section
changed since shows so; the review panel and /review/ show sections × reviewers."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from postmortems import workflow
from postmortems.content import canonical_content
from postmortems.models import (
    Activity,
    Approval,
    Postmortem,
    SectionVerdict,
    TimelineEvent,
)
from postmortems.section_review import NOT_A_SECTION, section_contents, section_hashes
from postmortems.sections import SECTIONS
from tests.factories import TimelineEventFactory, UserFactory, ready_for_review, sign

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def verdict_url(doc, slug):
    return f"/postmortems/{doc.key}/verdicts/{slug}/"


def block(body, slug):
    """The verdicts shown under one section of the document page."""
    found = re.search(
        rf'<div class="section-verdicts[^"]*" id="verdicts-{slug}">.*?</form>|'
        rf'<div class="section-verdicts[^"]*" id="verdicts-{slug}">.*?</ul>',
        body,
        re.S,
    )
    return found.group(0) if found else ""


def grid_cells(body):
    """{(section title, reviewer name): the cell's label} of the first verdict grid."""
    table = re.search(r'<table class="table table-sm verdict-grid.*?</table>', body, re.S)
    assert table, "no verdict grid on the page"
    cells = {}
    for row in re.findall(r"<tr><th scope=\"row\".*?</tr>", table.group(0), re.S):
        title = re.search(r'#[a-z-]+">([^<]+)</a>', row).group(1)
        for name, label in re.findall(r'title="([^":]+): ([^"]+)"', row):
            cells[(title, name)] = label
    return cells


def hashes(doc):
    return section_hashes(canonical_content(Postmortem.objects.with_document().get(pk=doc.pk)))


@pytest.fixture
def reviewing(doc, author):
    workflow.submit_for_review(doc, by=author)
    return Postmortem.objects.get(pk=doc.pk)


class TestWhoMayGiveOne:
    @pytest.mark.parametrize("who", ["reviewer", "approver"])
    def test_a_reviewer_or_approver_may(self, reviewing, request, who):
        person = request.getfixturevalue(who)
        response = as_user(person).post(
            verdict_url(reviewing, "impact"), {"verdict": "good", "comment": "Clear."}
        )
        assert response.status_code == 302
        assert response["Location"].endswith("#verdicts-impact")
        verdict = SectionVerdict.objects.get()
        assert (verdict.reviewer, verdict.section, verdict.verdict) == (person, "impact", "good")
        assert verdict.section_hash == hashes(reviewing)["impact"]

    @pytest.mark.parametrize("who", ["author", "coauthor", "outsider", "admin_user"])
    def test_nobody_else_may(self, reviewing, request, who):
        response = as_user(request.getfixturevalue(who)).post(
            verdict_url(reviewing, "impact"), {"verdict": "good"}
        )
        assert response.status_code == 403
        assert not SectionVerdict.objects.exists()

    def test_a_restricted_document_does_not_exist_for_an_outsider(self, reviewing, outsider):
        Postmortem.objects.filter(pk=reviewing.pk).update(restricted=True)
        response = as_user(outsider).post(verdict_url(reviewing, "impact"), {"verdict": "good"})
        assert response.status_code == 404

    def test_only_under_review(self, doc, reviewer):
        response = as_user(reviewer).post(verdict_url(doc, "impact"), {"verdict": "good"})
        assert response.status_code == 403
        with pytest.raises(workflow.TransitionError, match="Under Review"):
            workflow.give_verdict(doc, by=reviewer, section="impact", verdict="good")

    def test_an_unknown_section_is_not_found(self, reviewing, reviewer):
        response = as_user(reviewer).post(verdict_url(reviewing, "nowhere"), {"verdict": "good"})
        assert response.status_code == 404

    def test_get_is_not_allowed(self, reviewing, reviewer):
        assert as_user(reviewer).get(verdict_url(reviewing, "impact")).status_code == 405

    def test_the_form_is_shown_only_to_who_may(self, reviewing, reviewer, author, outsider):
        assert "Looks good" in as_user(reviewer).get(reviewing.get_absolute_url()).content.decode()
        for person in (author, outsider):
            body = as_user(person).get(reviewing.get_absolute_url()).content.decode()
            assert 'class="verdict-form"' not in body


class TestAVerdict:
    def test_a_later_verdict_replaces_the_earlier_and_both_are_logged(self, reviewing, reviewer):
        client = as_user(reviewer)
        client.post(verdict_url(reviewing, "timeline"), {"verdict": "needs_work", "comment": "?"})
        client.post(verdict_url(reviewing, "timeline"), {"verdict": "good", "comment": ""})
        verdict = SectionVerdict.objects.get()
        assert (verdict.verdict, verdict.comment) == ("good", "")
        logged = Activity.objects.filter(postmortem=reviewing, verb="section_verdict")
        assert sorted(logged.values_list("section", "detail")) == [
            ("timeline", "looks good"),
            ("timeline", "needs work"),
        ]
        body = client.get(reviewing.get_absolute_url()).content.decode()
        assert "gave a verdict on" in body

    def test_the_comment_is_markdown_through_the_sanitizer(self, reviewing, reviewer, author):
        as_user(reviewer).post(
            verdict_url(reviewing, "impact"),
            {"verdict": "needs_work", "comment": "Say **which** users. <script>alert(1)</script>"},
        )
        body = as_user(author).get(reviewing.get_absolute_url()).content.decode()
        shown = block(body, "impact")
        assert "<strong>which</strong>" in shown
        assert "<script>alert(1)" not in body
        assert "Carol White</strong>: Needs work" in shown

    def test_a_bad_comment_is_said_beside_it_and_kept(self, reviewing, reviewer):
        long = "x" * 5001
        response = as_user(reviewer).post(
            verdict_url(reviewing, "impact"), {"verdict": "good", "comment": long}
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Your verdict was not saved" in body
        assert f">{long}</textarea>" in body and "is-invalid" in block(body, "impact")
        assert not SectionVerdict.objects.exists()

    def test_htmx_gets_the_section_and_the_panel_back(self, reviewing, reviewer):
        response = as_user(reviewer).post(
            verdict_url(reviewing, "impact"), {"verdict": "good"}, **HTMX
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert 'id="verdicts-impact"' in body and "Saved" in body
        assert 'id="verdict-panel" hx-swap-oob="true"' in body
        assert grid_cells(body)[("Impact", "Carol White")] == "looks good"

    def test_htmx_gets_the_error_in_place(self, reviewing, reviewer):
        response = as_user(reviewer).post(
            verdict_url(reviewing, "impact"), {"verdict": "maybe", "comment": "kept"}, **HTMX
        )
        body = response.content.decode()
        assert "is-invalid" in body and ">kept</textarea>" in body
        assert not SectionVerdict.objects.exists()

    def test_verdicts_are_not_content_and_leave_signatures_current(
        self, reviewing, author, reviewer
    ):
        sign(Approval.objects.get(postmortem=reviewing, role="Author"), by=author)
        before = hashes(reviewing)
        workflow.give_verdict(reviewing, by=reviewer, section="impact", verdict="needs_work")
        assert hashes(reviewing) == before
        body = as_user(author).get(reviewing.get_absolute_url()).content.decode()
        assert "Signed an earlier version" not in body


class TestChangedSince:
    def test_a_row_added_after_looks_good_shows_changed_since(
        self, reviewing, author, reviewer, approver
    ):
        for slug in ("timeline", "impact"):
            workflow.give_verdict(reviewing, by=reviewer, section=slug, verdict="good")
        workflow.give_verdict(reviewing, by=approver, section="root-cause", verdict="needs_work")
        # Sent back, a timeline row added (the section's own revision does not move), and a
        # field changed behind the editor's back.
        workflow.withdraw(reviewing, by=author)
        TimelineEventFactory(postmortem=reviewing, description="14:40 rollback")
        assert "timeline" not in Postmortem.objects.get(pk=reviewing.pk).section_revisions
        workflow.submit_for_review(reviewing, by=author)
        body = as_user(author).get(reviewing.get_absolute_url()).content.decode()
        cells = grid_cells(body)
        assert cells[("Timeline", "Carol White")] == "looks good, changed since"
        assert cells[("Impact", "Carol White")] == "looks good"
        assert cells[("Root Cause", "Victor Chen")] == "needs work"
        assert cells[("Detection", "Carol White")] == "no verdict yet"
        assert "changed since</a>" in block(body, "timeline")
        assert "changed since" not in block(body, "impact")
        # The link shows what changed since the verdict.
        verdict = SectionVerdict.objects.get(section="timeline")
        assert f"/history/?since_revision={verdict.revision}" in block(body, "timeline")

    def test_a_change_behind_the_editors_back_shows_too(self, reviewing, reviewer, author):
        workflow.give_verdict(reviewing, by=reviewer, section="resolution", verdict="good")
        Postmortem.objects.filter(pk=reviewing.pk).update(verification="Changed in a shell")
        body = as_user(reviewer).get(reviewing.get_absolute_url()).content.decode()
        assert grid_cells(body)[("Resolution", "Carol White")] == "looks good, changed since"

    def test_every_part_of_the_signed_content_belongs_to_one_section(self, reviewing):
        content = canonical_content(Postmortem.objects.with_document().get(pk=reviewing.pk))
        content["attachments"] = []
        parts = section_contents(content)
        claimed = [name for part in parts.values() for name in part]
        assert len(claimed) == len(set(claimed))
        assert set(content) - set(claimed) == NOT_A_SECTION
        assert set(parts) == {s.slug for s in SECTIONS}


class TestTheGrids:
    def test_the_review_panel_shows_sections_by_reviewers(self, reviewing, reviewer, approver):
        workflow.give_verdict(reviewing, by=reviewer, section="overview", verdict="good")
        body = as_user(approver).get(reviewing.get_absolute_url()).content.decode()
        panel = body.split('id="workflow"')[1].split("</section>")[0]
        assert "Sections reviewed" in panel
        cells = grid_cells(panel)
        assert len(cells) == len(SECTIONS) * 2  # Carol and Victor
        assert cells[("Overview", "Carol White")] == "looks good"
        assert cells[("Overview", "Victor Chen")] == "no verdict yet"

    def test_no_grid_without_reviewers(self, postmortem, author):
        body = as_user(author).get(postmortem.get_absolute_url()).content.decode()
        assert "verdict-grid" not in body

    def test_the_review_page_shows_them(self, reviewing, reviewer, author, approver):
        workflow.give_verdict(reviewing, by=reviewer, section="lessons", verdict="needs_work")
        for person in (approver, author):  # waiting for their signature / their document
            body = as_user(person).get("/review/").content.decode()
            assert "Where the reviews stand" in body
            assert grid_cells(body)[("Lessons Learned", "Carol White")] == "needs work"


def many_verdicts(doc, people):
    for person in people:
        Approval.objects.create(postmortem=doc, role=f"Reviewer {person.pk}", assignee=person)
        for section in SECTIONS:
            SectionVerdict.objects.create(
                postmortem=doc,
                section=section.slug,
                reviewer=person,
                verdict="good",
                comment="Fine **here**",
                section_hash="0" * 64,
            )


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_document_page_runs_a_fixed_number_of_queries(reviewing, reviewer, approver):
    client = as_user(reviewer)
    workflow.give_verdict(reviewing, by=approver, section="impact", verdict="good")
    small = count(client, reviewing.get_absolute_url())
    many_verdicts(reviewing, UserFactory.create_batch(12))
    assert count(client, reviewing.get_absolute_url()) == small


def test_the_review_page_runs_a_fixed_number_of_queries(author, reviewer, approver):
    def document(n):
        doc = ready_for_review(
            key=f"INC-2026-{200 + n:04d}",
            authors=[author],
            slots=[
                ("Author", author, True),
                ("Reviewer (SRE Lead)", reviewer, False),
                ("Approver (VP Eng)", approver, False),
            ],
        )
        workflow.submit_for_review(doc, by=author)
        return doc

    client = as_user(reviewer)
    first = document(0)
    workflow.give_verdict(first, by=reviewer, section="impact", verdict="good")
    small = count(client, "/review/")
    for n in range(1, 6):
        many_verdicts(document(n), UserFactory.create_batch(3))
    TimelineEvent.objects.filter(postmortem=first).update(description="changed")
    assert count(client, "/review/") == small
