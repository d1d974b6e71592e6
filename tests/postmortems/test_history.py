"""Version history: who changed which section and when, diffs, frozen Finals, stale signatures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import workflow
from postmortems.models import Approval, DocumentVersion, Postmortem
from tests.factories import PASSWORD, ready_for_review, sign

pytestmark = pytest.mark.django_db

IMPACT = {
    "section_revision": "0",
    "regions": "EU only",
    "affected_users": "5",
    "slo_target": "99.9",
    "slo_window_days": "28",
    "slo_name": "API Availability",
    "reputation_impact": "18 complaints",
}


@pytest.fixture
def draft(author, reviewer, approver):
    return workflow.create_draft(
        by=author, title="Checkout errors", incident_date=__import__("datetime").date(2026, 2, 1),
        severity="sev2", key="INC-2026-0300",
    )  # fmt: skip


def test_creating_a_draft_records_the_first_version(draft, author):
    version = DocumentVersion.objects.get(postmortem=draft)
    assert (version.number, version.changed_by, version.revision) == (1, author, 1)
    assert version.content["title"] == "Checkout errors"


def test_every_save_records_who_changed_which_section(author_client, author, draft):
    response = author_client.post(f"/postmortems/{draft.key}/edit/impact/", IMPACT)
    assert response.status_code == 302
    author_client.post(
        f"/postmortems/{draft.key}/edit/timeline/rows/",
        {"new-occurred_at": "14:30", "new-description": "Alert fired"},
    )
    latest, saved, first = DocumentVersion.objects.filter(postmortem=draft)
    assert (saved.number, saved.section, saved.changed_by) == (2, "impact", author)
    assert saved.content["regions"] == "EU only"
    assert (latest.number, latest.section) == (3, "timeline")
    assert latest.content["timeline"][0]["description"] == "Alert fired"
    assert latest.revision == Postmortem.objects.get(pk=draft.pk).revision


def test_the_history_page_lists_versions_and_shows_a_diff(author_client, draft):
    author_client.post(f"/postmortems/{draft.key}/edit/impact/", IMPACT)
    page = author_client.get(f"/postmortems/{draft.key}/history/").content.decode()
    assert "Version 1 → version 2" in page
    assert "Alice Smith" in page and "Impact" in page
    assert '<tr class="diff-ins">' in page and "<ins>EU only</ins>" in page
    assert '<tr class="diff-del">' in page


def test_any_two_versions_can_be_compared(author_client, draft):
    author_client.post(f"/postmortems/{draft.key}/edit/impact/", IMPACT)
    author_client.post(
        f"/postmortems/{draft.key}/edit/impact/",
        {**IMPACT, "section_revision": "1", "regions": "US"},
    )
    page = author_client.get(f"/postmortems/{draft.key}/history/?a=3&b=1").content.decode()
    assert "Version 1 → version 3" in page and "<ins>US</ins>" in page
    assert "EU only" not in page.split("history-diff")[1].split("</section>")[0]


def test_unknown_or_junk_version_numbers_are_a_message_not_an_error(author_client, draft):
    for query in ("?a=1&b=99", "?a=x&b=", "?since_revision=abc", "?a=-1&b=1"):
        response = author_client.get(f"/postmortems/{draft.key}/history/{query}")
        assert response.status_code == 200, query
    assert (
        "There is no version 99"
        in author_client.get(f"/postmortems/{draft.key}/history/?a=1&b=99").content.decode()
    )


def test_the_diff_escapes_every_line(author_client, draft):
    author_client.post(
        f"/postmortems/{draft.key}/edit/impact/", {**IMPACT, "regions": "<script>alert(1)</script>"}
    )
    page = author_client.get(f"/postmortems/{draft.key}/history/?a=1&b=2").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def final_document(author, reviewer, approver):
    doc = ready_for_review(
        authors=[author],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
    workflow.submit_for_review(doc, by=author)
    for who in (author, reviewer, approver):
        sign(Approval.objects.get(postmortem=doc, assignee=who), by=who, password=PASSWORD)
    return Postmortem.objects.get(pk=doc.pk)


def test_a_final_version_stays_readable_after_a_reopen(client, author, reviewer, approver):
    doc = final_document(author, reviewer, approver)
    # ready_for_review fills the rows directly; the first recorded version is the edit below.
    workflow.reopen(doc, by=author, reason="New findings")
    client.force_login(author)
    client.post(
        f"/postmortems/{doc.key}/edit/impact/", {**IMPACT, "regions": "Changed after Final"}
    )
    snapshot = client.get(f"/postmortems/{doc.key}/versions/1/").content.decode()
    assert "Global" in snapshot and "Changed after Final" not in snapshot
    latest = DocumentVersion.objects.filter(postmortem=doc).first()
    assert latest.content["regions"] == "Changed after Final" and latest.document_version == 2
    assert client.get(f"/postmortems/{doc.key}/history/").status_code == 200


def test_a_reviewer_sees_changed_since_you_signed_with_a_diff(client, author, reviewer, approver):
    doc = ready_for_review(
        authors=[author],
        slots=[("Author", author, True), ("Reviewer (SRE Lead)", reviewer, False)],
    )
    client.force_login(author)
    client.post(f"/postmortems/{doc.key}/edit/impact/", {**IMPACT, "regions": "Global"})
    workflow.submit_for_review(doc, by=author)
    sign(Approval.objects.get(postmortem=doc, assignee=reviewer), by=reviewer, password=PASSWORD)
    workflow.withdraw(doc, by=author)
    client.post(
        f"/postmortems/{doc.key}/edit/impact/",
        {**IMPACT, "section_revision": "1", "regions": "EU and US"},
    )
    workflow.submit_for_review(doc, by=author)

    client.force_login(reviewer)
    page = client.get(f"/postmortems/{doc.key}/").content.decode()
    assert "Changed since you signed" in page
    signed = Approval.objects.get(postmortem=doc, assignee=reviewer).signed_revision
    link = f"/postmortems/{doc.key}/history/?since_revision={signed}"
    assert link in page
    diff = client.get(link).content.decode()
    assert "Changed since you signed" in diff
    assert "<del>Global</del>" in diff and "<ins>EU and US</ins>" in diff
    # The author, who signed nothing stale, sees no such notice.
    client.force_login(author)
    assert "Changed since you signed" not in client.get(f"/postmortems/{doc.key}/").content.decode()


def test_the_history_page_runs_a_fixed_number_of_queries(author_client, draft):
    def edit(n):
        response = author_client.post(
            f"/postmortems/{draft.key}/edit/impact/",
            {**IMPACT, "section_revision": str(n), "regions": f"R{n}"},
        )
        assert response.status_code == 302

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = author_client.get(f"/postmortems/{draft.key}/history/")
        assert response.status_code == 200
        return len(queries)

    edit(0)
    small = count_queries()
    for n in range(1, 30):
        edit(n)
    assert DocumentVersion.objects.filter(postmortem=draft).count() == 31
    assert count_queries() == small
    assert small <= 20
