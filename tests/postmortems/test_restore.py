"""History you can use: the history page is paged, and a section of an earlier version can be
restored by the authors of a Draft, as a new version, without revealing or dropping anything
the restorer may not see."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import editing, workflow
from postmortems.activity import log_action
from postmortems.content import canonical_content
from postmortems.editing import EditRefused
from postmortems.models import (
    ActionItem,
    Activity,
    Approval,
    DocumentVersion,
    Postmortem,
    TimelineEvent,
)
from postmortems.restore import RestoreRefused, restore_section
from tests.factories import PostmortemFactory, ready_for_review

pytestmark = pytest.mark.django_db

IMPACT = {
    "regions": "EU only",
    "affected_users": "5",
    "slo_target": "99.9",
    "slo_window_days": "28",
    "slo_name": "API Availability",
    "reputation_impact": "18 complaints",
}


@pytest.fixture
def draft(author, coauthor):
    return workflow.create_draft(
        by=author,
        title="Checkout errors",
        incident_date=datetime.date(2026, 2, 1),
        severity="sev2",
        key="INC-2026-0300",
        authors=[coauthor],
    )


def save_impact(client, pm, revision, **values):
    response = client.post(
        f"/postmortems/{pm.key}/edit/impact/",
        {**IMPACT, "section_revision": str(revision), **values},
    )
    assert response.status_code == 302


def add_event(client, pm, at, text):
    response = client.post(
        f"/postmortems/{pm.key}/edit/timeline/rows/",
        {"new-occurred_at": at, "new-description": text},
    )
    assert response.status_code == 302


def restore_url(pm, number):
    return f"/postmortems/{pm.key}/history/{number}/restore/"


def latest(pm):
    return DocumentVersion.objects.filter(postmortem=pm).first()


# --- restoring --------------------------------------------------------------------------------


def test_a_text_section_is_restored_as_a_new_version(author_client, author, draft):
    save_impact(author_client, draft, 0, regions="EU only")  # version 2
    save_impact(author_client, draft, 1, regions="US", affected_users="9")  # version 3
    response = author_client.post(restore_url(draft, 2), {"section": "impact"})
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{draft.key}/history/?a=2&b=4"
    pm = Postmortem.objects.get(pk=draft.pk)
    assert (pm.regions, pm.affected_users) == ("EU only", 5)
    version = latest(pm)
    assert (version.number, version.section, version.changed_by) == (4, "impact", author)
    assert version.detail == "restored Impact from version 2"
    assert version.content["regions"] == "EU only"
    assert Activity.objects.filter(postmortem=pm, detail="restored Impact from version 2").exists()
    # As any save: the section's revision moved, so a form opened before is stale.
    assert editing.section_revision(pm, "impact") == 3
    stale = author_client.post(
        f"/postmortems/{pm.key}/edit/impact/",
        {**IMPACT, "section_revision": "2", "regions": "US", "affected_users": "7"},
    )
    assert stale.status_code == 409
    assert Postmortem.objects.get(pk=pm.pk).regions == "EU only"
    # The diff shown after it: the document is again as it was in version 2.
    page = author_client.get(response["Location"]).content.decode()
    assert "Version 2 → version 4" in page and "No differences" in page


def test_a_table_section_is_restored_with_its_rows(author_client, draft):
    add_event(author_client, draft, "14:23", "Errors start")  # version 2
    add_event(author_client, draft, "14:30", "Paged")  # version 3
    kept = latest(draft)
    first, second = TimelineEvent.objects.filter(postmortem=draft)
    author_client.post(f"/postmortems/{draft.key}/edit/timeline/rows/{first.pk}/delete/")
    author_client.post(
        f"/postmortems/{draft.key}/edit/timeline/rows/{second.pk}/",
        {"row-revision": "1", "row-occurred_at": "15:00", "row-description": "Rewritten"},
    )
    add_event(author_client, draft, "16:00", "Extra")
    assert [e.description for e in draft.timeline.all()] == ["Rewritten", "Extra"]

    assert restore_section(draft, kept.number, "timeline", by=draft.authors.first()) is True
    events = list(TimelineEvent.objects.filter(postmortem=draft))
    assert [(e.occurred_at.strftime("%H:%M"), e.description) for e in events] == [
        ("14:23", "Errors start"),
        ("14:30", "Paged"),
    ]
    assert {e.pk for e in events}.isdisjoint({first.pk, second.pk})  # rows made anew
    pm = Postmortem.objects.with_document().get(pk=draft.pk)
    assert canonical_content(pm)["timeline"] == kept.content["timeline"]
    assert latest(pm).detail == f"restored Timeline from version {kept.number}"


def test_restoring_action_items_keeps_each_items_progress(author, draft):
    ActionItem.objects.create(postmortem=draft, action="Add canary", owner_name="Dana")
    log_action(draft, author, Activity.Verb.EDITED, section="action-items", detail="added")
    kept = latest(draft)
    item = ActionItem.objects.get(postmortem=draft)
    item.status, item.action = "done", "Add canary"
    item.save()
    ActionItem.objects.create(postmortem=draft, action="Later item", owner_name="Eve")
    assert restore_section(draft, kept.number, "action-items", by=author) is True
    (restored,) = ActionItem.objects.filter(postmortem=draft)
    assert (restored.action, restored.owner_name, restored.status) == ("Add canary", "Dana", "done")


def test_a_restore_that_changes_nothing_is_not_a_version(author_client, draft):
    save_impact(author_client, draft, 0)
    count = DocumentVersion.objects.filter(postmortem=draft).count()
    response = author_client.post(restore_url(draft, 2), {"section": "impact"}, follow=True)
    assert "Impact is already as it was in version 2: nothing changed." in (
        response.content.decode()
    )
    assert DocumentVersion.objects.filter(postmortem=draft).count() == count


def test_the_overview_comes_back_with_its_authors_and_the_restorer(
    author, coauthor, reviewer, draft
):
    first = latest(draft)  # Alice and Bob wrote it, as "Checkout errors"
    Postmortem.objects.filter(pk=draft.pk).update(title="Renamed", severity="sev1")
    draft.authors.set([coauthor, reviewer])
    # Carol, an author now, restores the Overview of version 1: its authors, and Carol still.
    assert restore_section(draft, first.number, "overview", by=reviewer) is True
    pm = Postmortem.objects.get(pk=draft.pk)
    assert (pm.title, pm.severity) == ("Checkout errors", "sev2")
    assert set(pm.authors.all()) == {author, coauthor, reviewer}


def test_related_incidents_the_restorer_cannot_see_are_neither_shown_nor_dropped(
    author, coauthor, draft
):
    seen = PostmortemFactory(key="INC-2025-0001", title="Seen", authors=[author])
    also = PostmortemFactory(key="INC-2025-0002", title="Also seen", authors=[author])
    hidden = PostmortemFactory(key="SEC-2025-0001", restricted=True, authors=[coauthor])
    gone = PostmortemFactory(key="SEC-2025-0002", restricted=True, authors=[coauthor])
    draft.related_incidents.set([seen, also, gone])
    log_action(draft, coauthor, Activity.Verb.EDITED, section="supporting", detail="linked")
    then = latest(draft)
    draft.related_incidents.set([hidden])  # linked by Bob, who may read it
    log_action(draft, coauthor, Activity.Verb.EDITED, section="supporting", detail="linked")

    assert restore_section(draft, then.number, "supporting", by=author) is True
    keys = set(Postmortem.objects.get(pk=draft.pk).related_incidents.values_list("key", flat=True))
    # Alice's restore: what she can see as it was, Bob's hidden link kept, the hidden one the
    # version had not linked again (she could not have chosen it).
    assert keys == {"INC-2025-0001", "INC-2025-0002", "SEC-2025-0001"}
    entry = Activity.objects.filter(postmortem=draft).first()
    assert entry.detail == f"restored Supporting Information from version {then.number}"
    assert "SEC-2025" not in entry.detail


# --- refusals ---------------------------------------------------------------------------------


def test_only_a_drafts_authors_may_restore(client, author_client, reviewer, draft):
    save_impact(author_client, draft, 0, regions="EU only")
    save_impact(author_client, draft, 1, regions="US")
    client.force_login(reviewer)
    assert client.post(restore_url(draft, 2), {"section": "impact"}).status_code == 403
    assert Postmortem.objects.get(pk=draft.pk).regions == "US"
    with pytest.raises(EditRefused):
        restore_section(draft, 2, "impact", by=reviewer)


def test_under_review_and_final_refuse(author, coauthor, reviewer, approver, client):
    doc = ready_for_review(
        authors=[author],
        slots=[("Author", author, True), ("Reviewer (SRE Lead)", reviewer, False)],
    )
    log_action(doc, author, Activity.Verb.EDITED, section="impact", detail="saved")
    workflow.submit_for_review(doc, by=author)
    client.force_login(author)
    response = client.post(restore_url(doc, 1), {"section": "impact"})
    assert response.status_code == 403
    with pytest.raises(EditRefused, match="Under Review: only a Draft can be edited"):
        restore_section(doc, 1, "impact", by=author)
    page = client.get(f"/postmortems/{doc.key}/history/").content.decode()
    assert "Restore" not in page
    Postmortem.objects.filter(pk=doc.pk).update(status=Postmortem.Status.FINAL)
    with pytest.raises(EditRefused, match="Final: only a Draft can be edited"):
        restore_section(doc, 1, "impact", by=author)
    assert Approval.objects.filter(postmortem=doc).exists()


def test_a_version_of_another_document_cannot_be_restored(author_client, author, draft):
    other = workflow.create_draft(
        by=author, title="Other", incident_date=datetime.date(2026, 2, 2), severity="sev3",
        key="INC-2026-0301", regions="Other regions",
    )  # fmt: skip
    for n in range(4):  # the other document has versions 2 to 5; this one only 1
        log_action(other, author, Activity.Verb.EDITED, section="impact", detail=f"{n}")
    response = author_client.post(restore_url(draft, 5), {"section": "impact"}, follow=True)
    assert f"There is no version 5 of {draft.key}." in response.content.decode()
    assert Postmortem.objects.get(pk=draft.pk).regions == ""
    assert DocumentVersion.objects.filter(postmortem=draft).count() == 1
    with pytest.raises(RestoreRefused):
        restore_section(draft, 5, "impact", by=author)


def test_an_unknown_section_is_refused(author_client, draft):
    response = author_client.post(restore_url(draft, 1), {"section": "approvals"}, follow=True)
    assert "There is no such section." in response.content.decode()
    assert author_client.get(restore_url(draft, 1)).status_code == 405


# --- the page ----------------------------------------------------------------------------------


def many_versions(pm, author, count):
    for n in range(count):
        log_action(pm, author, Activity.Verb.EDITED, section="impact", detail=f"edit {n}")


def test_the_history_is_paged_twenty_versions_a_page(author_client, author, draft):
    many_versions(draft, author, 44)  # 45 versions with the first
    page = author_client.get(f"/postmortems/{draft.key}/history/").content.decode()
    assert "Page 1 of 3 (1–20 of 45 versions)" in page
    assert page.count('name="a" value=') == 20
    assert 'value="45"' in page and 'value="26"' in page and 'value="25"' not in page
    page = author_client.get(f"/postmortems/{draft.key}/history/?page=3&a=2&b=3").content.decode()
    assert "Page 3 of 3 (41–45 of 45 versions)" in page and page.count('name="a" value=') == 5
    assert "Version 2 → version 3" in page
    assert 'href="?page=2&amp;a=2&amp;b=3" rel="prev"' in page
    page = author_client.get(f"/postmortems/{draft.key}/history/?page=99").content.decode()
    assert "Page 3 of 3" in page  # past the last page: the last page
    for junk in ("abc", "-1", "99999999999999999999"):
        assert (
            author_client.get(f"/postmortems/{draft.key}/history/?page={junk}").status_code == 200
        )


def test_a_last_page_of_one_version_compares_it_with_the_next(author_client, author, draft):
    many_versions(draft, author, 40)  # 41 versions: the third page lists version 1 alone
    page = author_client.get(f"/postmortems/{draft.key}/history/?page=3").content.decode()
    assert "Page 3 of 3 (41–41 of 41 versions)" in page
    assert "Version 1 → version 2" in page and "Only one version so far" not in page


def test_the_history_page_runs_a_fixed_number_of_queries(author_client, author, draft):
    def count_queries(query=""):
        with CaptureQueriesContext(connection) as queries:
            response = author_client.get(f"/postmortems/{draft.key}/history/{query}")
        assert response.status_code == 200
        return len(queries)

    many_versions(draft, author, 3)
    small = count_queries()
    many_versions(draft, author, 90)
    assert DocumentVersion.objects.filter(postmortem=draft).count() == 94
    assert count_queries() == small
    assert count_queries("?page=3") == small
    assert count_queries("?page=2&a=3&b=70") == small
    assert small <= 20


def test_the_diff_offers_to_restore_each_changed_section(author_client, draft):
    save_impact(author_client, draft, 0, regions="EU only")
    page = author_client.get(f"/postmortems/{draft.key}/history/?a=1&b=2").content.decode()
    assert f'action="/postmortems/{draft.key}/history/1/restore/"' in page
    assert "Restore Impact from version 1" in page
    assert "Restore any section as it was in version 1" in page
