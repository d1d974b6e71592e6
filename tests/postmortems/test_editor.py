import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from postmortems.models import ActionItem, Postmortem, TimelineEvent
from postmortems.sections import SECTIONS
from tests.factories import ActionItemFactory, PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(postmortem, slug):
    return f"/postmortems/{postmortem.key}/edit/{slug}/"


def impact_data(**overrides):
    data = {
        "section_revision": "0",
        "affected_users": "1200",
        "affected_users_percent": "15",
        "affected_users_basis": "daily active users",
        "regions": "Global",
        "outage_started_at": "14:23",
        "outage_ended_at": "15:10",
        "degraded_minutes": "20",
        "degraded_description": "slow responses",
        "revenue_impact": "$2,500",
        "reputation_impact": "18 complaints",
        "slo_name": "API Availability",
        "slo_target": "99.9",
        "slo_achieved": "99.73",
        "slo_window_days": "28",
        "error_budget_consumed_minutes": "31.2",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("section", [s.slug for s in SECTIONS])
def test_it_shows_every_section_to_an_author(author_client, postmortem, section):
    response = author_client.get(edit_url(postmortem, section))
    assert response.status_code == 200
    assert response.context["section"].slug == section


def test_it_is_404_for_an_unknown_section(author_client, postmortem):
    assert author_client.get(edit_url(postmortem, "nonsense")).status_code == 404


def test_it_refuses_someone_who_is_not_an_author(outsider_client, postmortem):
    response = outsider_client.get(edit_url(postmortem, "impact"))
    assert response.status_code == 403
    assert "Only the authors of INC-2026-0001 can edit it" in response.content.decode()


def test_it_refuses_to_edit_a_final_document(author_client, postmortem):
    postmortem.status = Postmortem.Status.FINAL
    postmortem.save()
    response = author_client.post(edit_url(postmortem, "impact"), impact_data())
    assert response.status_code == 403
    assert "only a Draft can be edited" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.affected_users is None


def test_it_saves_a_section_and_computes_the_figures(author_client, postmortem):
    response = author_client.post(edit_url(postmortem, "impact"), impact_data())
    assert response.status_code == 302
    assert response["Location"] == edit_url(postmortem, "impact")
    postmortem.refresh_from_db()
    assert postmortem.affected_users == 1200
    assert postmortem.outage_started_at == datetime.datetime(
        2026, 1, 29, 14, 23, tzinfo=datetime.UTC
    )
    body = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "47 minutes" in body
    assert "77.4% consumed" in body
    assert "40.32 minutes" in body


def test_save_and_next_goes_to_the_next_section(author_client, postmortem):
    response = author_client.post(edit_url(postmortem, "impact"), impact_data(_next="1"))
    assert response["Location"] == edit_url(postmortem, "timeline")


def test_it_keeps_what_was_typed_when_a_field_is_wrong(author_client, postmortem):
    response = author_client.post(
        edit_url(postmortem, "impact"),
        impact_data(outage_ended_at="14:00", slo_target="150", reputation_impact="My long text"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The outage cannot end before it started." in body
    assert "strictly between 0 and 100" in body
    assert "My long text" in body
    assert 'value="14:00"' in body
    postmortem.refresh_from_db()
    assert postmortem.affected_users is None


def test_it_refuses_a_huge_paste_with_a_message(author_client, postmortem):
    huge = "x" * 200_000
    response = author_client.post(
        edit_url(postmortem, "impact"), impact_data(reputation_impact=huge)
    )
    assert response.status_code == 200
    assert "This is 200,000 characters; the limit is 20,000" in response.content.decode()


def test_it_ignores_forged_fields(author_client, postmortem, author):
    author_client.post(
        edit_url(postmortem, "overview"),
        {
            "section_revision": "0",
            "title": "New title",
            "incident_date": "2026-01-29",
            "severity": "sev2",
            "authors": [author.pk],
            "executive_summary": "Summary",
            "status": "final",
            "key": "HACKED-1",
            "version": "9",
            "revision": "99",
        },
    )
    postmortem.refresh_from_db()
    assert postmortem.title == "New title"
    assert (postmortem.status, postmortem.key, postmortem.version) == ("draft", "INC-2026-0001", 1)


def test_overview_saves_services(author_client, postmortem, author):
    author_client.post(
        edit_url(postmortem, "overview"),
        {
            "section_revision": "0",
            "title": "T",
            "incident_date": "2026-01-29",
            "severity": "sev2",
            "authors": [author.pk],
            "tags": "API, Postgres",
            "executive_summary": "",
        },
    )
    assert [t.name for t in postmortem.tags.all()] == ["api", "postgres"]


def test_preview_renders_markdown_and_saves_nothing(author_client, postmortem):
    response = author_client.post(
        edit_url(postmortem, "impact"),
        impact_data(reputation_impact="**18** complaints", _preview="1"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>18</strong> complaints" in body
    assert "Preview — not saved yet" in body
    postmortem.refresh_from_db()
    assert postmortem.reputation_impact == ""


class TestTwoAuthorsEditingTheSameSection:
    """A second save of the same field is not applied over the first: it shows both."""

    def test_it_never_overwrites_silently(self, postmortem, author, coauthor):
        alice, bob = Client(), Client()
        alice.force_login(author)
        bob.force_login(coauthor)
        alice_form = alice.get(edit_url(postmortem, "impact")).context["form"]
        bob_form = bob.get(edit_url(postmortem, "impact")).context["form"]
        assert alice_form["section_revision"].value() == bob_form["section_revision"].value() == 0

        assert (
            alice.post(edit_url(postmortem, "impact"), impact_data(regions="EU only")).status_code
            == 302
        )
        response = bob.post(edit_url(postmortem, "impact"), impact_data(regions="US and EU"))

        body = response.content.decode()
        assert response.status_code == 409
        assert "Alice Smith saved this section" in body
        # Both changed the same one-line field: the form holds what Alice saved (a save
        # straight away would not revert her), and Bob's own text is beside it, one click away.
        assert 'value="EU only"' in body
        assert '<pre class="conflict-mine" id="mine-regions">US and EU</pre>' in body
        postmortem.refresh_from_db()
        assert postmortem.regions == "EU only"

        # Bob merges and saves again from the form he was given: now it goes through.
        form = response.context["form"]
        merged = impact_data(
            regions="EU and US",
            section_revision=str(form["section_revision"].value()),
            base=form["base"].value(),
        )
        assert bob.post(edit_url(postmortem, "impact"), merged).status_code == 302
        postmortem.refresh_from_db()
        assert postmortem.regions == "EU and US"

    def test_different_sections_do_not_conflict(self, postmortem, author, coauthor):
        alice, bob = Client(), Client()
        alice.force_login(author)
        bob.force_login(coauthor)
        assert alice.post(edit_url(postmortem, "impact"), impact_data()).status_code == 302
        response = bob.post(
            edit_url(postmortem, "resolution"),
            {
                "section_revision": "0",
                "resolution_summary": "Pool 100 → 500",
                "fix_type": "permanent",
            },
        )
        assert response.status_code == 302


class TestRows:
    def test_it_adds_a_timeline_event_without_javascript(self, author_client, postmortem):
        response = author_client.post(
            f"{edit_url(postmortem, 'timeline')}rows/",
            {
                "new-occurred_at": "14:23",
                "new-milestone": "started",
                "new-description": "Pool exhausted",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == edit_url(postmortem, "timeline") + "#add-row-title"
        event = TimelineEvent.objects.get(postmortem=postmortem)
        assert event.occurred_at == datetime.datetime(2026, 1, 29, 14, 23, tzinfo=datetime.UTC)

    def test_it_adds_with_htmx_and_returns_the_table_sorted_by_time(
        self, author_client, postmortem
    ):
        TimelineEventFactory(
            postmortem=postmortem, occurred_at="2026-01-29T15:10Z", description="Resolved"
        )
        response = author_client.post(
            f"{edit_url(postmortem, 'timeline')}rows/",
            {"new-occurred_at": "14:23", "new-description": "Began"},
            **HTMX,
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert body.lstrip().startswith('<div id="rows"')
        assert body.index("Began") < body.index("Resolved")

    def test_it_keeps_a_bad_row_on_screen_with_its_error(self, author_client, postmortem):
        response = author_client.post(
            f"{edit_url(postmortem, 'timeline')}rows/",
            {"new-occurred_at": "quarter past two", "new-description": "Something I typed"},
            **HTMX,
        )
        body = response.content.decode()
        assert "Write a UTC time like 14:23" in body
        assert "Something I typed" in body
        assert not TimelineEvent.objects.exists()

    def test_it_edits_a_row(self, author_client, postmortem):
        item = ActionItemFactory(postmortem=postmortem)
        response = author_client.post(
            f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/",
            {
                "row-revision": "1",
                "row-category": "detection",
                "row-action": "Lower the alert threshold",
                "row-owner_name": "Dana",
                "row-due_date": "2026-02-01",
                "row-priority": "p0",
                "row-status": "in_progress",
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.action, item.status, item.revision) == (
            "Lower the alert threshold",
            "in_progress",
            2,
        )

    def test_it_refuses_an_edit_of_a_row_changed_meanwhile(self, author_client, postmortem):
        item = ActionItemFactory(postmortem=postmortem, action="Original")
        ActionItem.objects.filter(pk=item.pk).update(action="Changed by Bob", revision=2)
        response = author_client.post(
            f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/",
            {
                "row-revision": "1",
                "row-category": "prevent",
                "row-action": "Mine",
                "row-owner_name": "A",
                "row-priority": "p1",
                "row-status": "open",
            },
        )
        body = response.content.decode()
        assert response.status_code == 409
        assert "Someone else changed this action item meanwhile" in body
        # The form holds Bob's saved action (saving it again reverts nothing); mine is beside.
        assert 'value="Changed by Bob"' in body
        assert '<span class="conflict-mine">Mine</span>' in body
        item.refresh_from_db()
        assert item.action == "Changed by Bob"

    def test_it_opens_a_row_for_editing_without_javascript(self, author_client, postmortem):
        item = ActionItemFactory(postmortem=postmortem)
        response = author_client.get(f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/")
        assert response.status_code == 302
        page = author_client.get(response["Location"])
        assert page.context["edit_form"].instance == item

    def test_it_removes_a_row(self, author_client, postmortem):
        item = ActionItemFactory(postmortem=postmortem)
        response = author_client.post(
            f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/delete/", **HTMX
        )
        assert response.status_code == 200
        assert not ActionItem.objects.exists()

    def test_it_does_not_touch_rows_of_another_document(self, author_client, postmortem):
        other = PostmortemFactory()
        item = ActionItemFactory(postmortem=other)
        response = author_client.post(
            f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/delete/", follow=True
        )
        # The same answer as for a row removed meanwhile: nothing about the other document.
        assert "The action item was already removed." in response.content.decode()
        assert ActionItem.objects.filter(pk=item.pk).exists()

    def test_removing_a_row_is_post_only(self, author_client, postmortem):
        item = ActionItemFactory(postmortem=postmortem)
        response = author_client.get(
            f"{edit_url(postmortem, 'action-items')}rows/{item.pk}/delete/"
        )
        assert response.status_code == 405
        assert ActionItem.objects.filter(pk=item.pk).exists()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", ["read", *[s.slug for s in SECTIONS]])
def test_it_runs_a_fixed_number_of_queries_whatever_the_size(author_client, postmortem, slug):
    url = postmortem.get_absolute_url() if slug == "read" else edit_url(postmortem, slug)
    TimelineEventFactory(postmortem=postmortem)
    ActionItemFactory(postmortem=postmortem)
    small = count_queries(author_client, url)

    TimelineEventFactory.create_batch(299, postmortem=postmortem)
    ActionItemFactory.create_batch(99, postmortem=postmortem)
    assert count_queries(author_client, url) == small
    # A Draft's review panel reads the approval policy and who wrote this version: two more;
    # its authors' banner (review_notes) the last request for changes: one more. The
    # blameless-language check (wording.WordingCheck) reads its rules, the accounts' names
    # and the marks: three more. The document page's review meeting card: one more.
    assert small <= 25
