import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from postmortems import search
from postmortems.demo import seed_demo
from postmortems.models import (
    ActionItem,
    Activity,
    Postmortem,
    Tag,
    TimelineEvent,
)
from postmortems.models.document import SearchDocument
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    TimelineEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming and tsvector ranking are PostgreSQL's"
)


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the reindex) at the end of the block, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def keys(response):
    return [p.key for p in response.context["page"].object_list]


def found(client, **params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    return keys(response)


class TestFindingTheDemoIncident:
    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def demo(cls, made_once):
        """Seeded and indexed once for the class; each test rolls back its own changes."""

        def seed():
            with TestCase.captureOnCommitCallbacks(execute=True):  # the reindex, as on commit
                seed_demo()

        yield from made_once(seed)

    @pytest.mark.parametrize(
        "words",
        ["PagerDuty", "enrichment", "runbook", "cross-train"],
        ids=["timeline", "root-cause", "action-item-runbook", "action-item-only"],
    )
    def test_it_finds_incident_12345_by_words_deep_in_the_document(self, author_client, words):
        response = author_client.get("/search/", {"q": words})
        assert keys(response) == ["INCIDENT-12345"]
        snippet = str(response.context["page"].object_list[0].snippet)
        assert "<mark>" in snippet

    def test_it_finds_it_by_its_key(self, author_client):
        assert found(author_client, q="INCIDENT-12345")[0] == "INCIDENT-12345"

    @pytest.mark.parametrize(
        "piece, key",
        [
            ("12345", "INCIDENT-12345"),
            ("incident-1234", "INCIDENT-12345"),
            ("2401", "INCIDENT-12401"),
        ],
    )
    def test_it_finds_it_by_a_piece_of_its_key(self, author_client, piece, key):
        # PostgreSQL's parser splits a key at its hyphens: a piece of one is looked up too.
        assert found(author_client, q=piece)[0] == key

    def test_the_header_search_box_goes_to_search(self, author_client):
        body = author_client.get("/").content.decode()
        assert 'action="/search/"' in body
        assert 'href="/search/"' in body


@pytest.fixture
def three(author, coauthor, reviewer, indexed):
    """Three incidents that all mention an outage, each with different filter values."""
    with indexed():
        api, postgres = Tag.objects.create(name="api"), Tag.objects.create(name="postgres")
        a = PostmortemFactory(
            key="INC-2026-0001",
            title="Gateway outage",
            severity="sev1",
            status="final",
            incident_date=datetime.date(2026, 1, 10),
            authors=[author],
        )
        a.tags.set([api])
        ActionItemFactory(postmortem=a, status=ActionItem.Status.OPEN)
        b = PostmortemFactory(
            key="INC-2025-0002",
            title="Replica outage",
            severity="sev2",
            incident_date=datetime.date(2025, 6, 1),
            authors=[coauthor],
        )
        b.tags.set([postgres])
        ActionItemFactory(postmortem=b, status=ActionItem.Status.DONE)
        PostmortemFactory(
            key="INC-2024-0003",
            title="Scheduler outage",
            severity="sev3",
            status="in_review",
            incident_date=datetime.date(2024, 3, 3),
            authors=[reviewer],
        )


class TestFilters:
    @pytest.mark.parametrize(
        "params, expected",
        [
            ({"severity": "sev1"}, ["INC-2026-0001"]),
            ({"severity": ["sev1", "sev3"]}, ["INC-2026-0001", "INC-2024-0003"]),
            ({"status": "draft"}, ["INC-2025-0002"]),
            ({"status": ["final", "in_review"]}, ["INC-2026-0001", "INC-2024-0003"]),
            ({"since": "2025-01-01"}, ["INC-2026-0001", "INC-2025-0002"]),
            ({"until": "2025-12-31"}, ["INC-2025-0002", "INC-2024-0003"]),
            ({"since": "2025-01-01", "until": "2025-12-31"}, ["INC-2025-0002"]),
            ({"service": "postgres"}, ["INC-2025-0002"]),
            ({"author": "carol"}, ["INC-2024-0003"]),
            ({"open_items": "on"}, ["INC-2026-0001"]),
        ],
        ids=[
            "severity",
            "severities",
            "status",
            "statuses",
            "since",
            "until",
            "range",
            "service",
            "author",
            "open-items",
        ],
    )
    def test_each_filter_alone(self, author_client, three, params, expected):
        assert found(author_client, q="outage", sort="date", **params) == expected
        # Without words, the filters alone list the same documents.
        assert found(author_client, sort="date", **params) == expected

    def test_filters_combine_with_each_other_and_the_text(self, author_client, three):
        every = {
            "severity": ["sev1", "sev2"],
            "status": "final",
            "since": "2026-01-01",
            "until": "2026-01-31",
            "service": "api",
            "author": "alice",
            "open_items": "on",
        }
        assert found(author_client, q="gateway", **every) == ["INC-2026-0001"]
        assert found(author_client, q="replica", **every) == []
        assert found(author_client, q="outage", **{**every, "service": "postgres"}) == []

    def test_the_url_carries_the_whole_query(self, author_client, three):
        body = author_client.get(
            "/search/", {"q": "outage", "severity": "sev1", "service": "api", "sort": "date"}
        ).content.decode()
        assert 'value="outage"' in body
        assert 'value="sev1" id="id_severity_0" checked' in body
        assert '<option value="api" selected>' in body
        assert '<option value="date" selected>' in body

    def test_a_service_or_a_person_called_null_is_a_name(self, author_client, three, indexed):
        # django-filter reads "null" as "is NULL" unless told otherwise.
        with indexed():
            named = PostmortemFactory(key="INC-2026-0009", title="Null outage")
            named.tags.set([Tag.objects.create(name="null")])
            named.authors.add(UserFactory(username="null"))
        assert found(author_client, q="outage", service="null") == ["INC-2026-0009"]
        assert found(author_client, q="outage", author="null") == ["INC-2026-0009"]

    def test_with_nothing_asked_it_lists_nothing_and_says_how(self, author_client, three):
        response = author_client.get("/search/")
        assert response.context["page"] is None
        assert "Type what you remember" in response.content.decode()


class TestSortAndPages:
    def test_it_sorts_by_relevance_or_by_date(self, author_client, indexed):
        with indexed():
            PostmortemFactory(
                key="INC-2020-0001", title="Kafka lag", incident_date=datetime.date(2020, 1, 1)
            )
            newer = PostmortemFactory(
                key="INC-2026-0002", title="Checkout", incident_date=datetime.date(2026, 1, 1)
            )
            TimelineEventFactory(postmortem=newer, description="Kafka consumers restarted")
        assert found(author_client, q="kafka") == ["INC-2020-0001", "INC-2026-0002"]
        assert found(author_client, q="kafka", sort="date") == ["INC-2026-0002", "INC-2020-0001"]

    def test_it_pages_through_results_keeping_the_query(self, author_client, indexed):
        with indexed():
            for n in range(25):
                PostmortemFactory(title=f"Zebra crossing {n}")
        first = author_client.get("/search/", {"q": "zebra", "severity": "sev2"})
        assert len(keys(first)) == 20
        assert first.context["page"].paginator.count == 25
        assert "?q=zebra&amp;severity=sev2&amp;page=2" in first.content.decode()
        second = author_client.get("/search/", {"q": "zebra", "severity": "sev2", "page": 2})
        assert len(keys(second)) == 5
        assert not set(keys(first)) & set(keys(second))

    def test_it_counts_at_most_the_candidates_and_says_so(
        self, author_client, indexed, monkeypatch
    ):
        with indexed():
            PostmortemFactory.create_batch(4, title="Zebra crossing")
        monkeypatch.setattr(search.results, "CANDIDATES", 3)
        response = author_client.get("/search/", {"q": "zebra"})
        assert response.context["page"].paginator.count == 3
        assert "More than 3 postmortems match" in response.content.decode()

    def test_exactly_the_candidates_is_not_more_than_them(
        self, author_client, indexed, monkeypatch
    ):
        with indexed():
            PostmortemFactory.create_batch(3, title="Zebra crossing")
        monkeypatch.setattr(search.results, "CANDIDATES", 3)
        body = author_client.get("/search/", {"q": "zebra"}).content.decode()
        assert "More than" not in body
        assert "3 postmortems match" in body


class TestSyntax:
    @pytest.fixture(autouse=True)
    def documents(self, indexed):
        with indexed():
            PostmortemFactory(key="INC-2026-0001", title="Connection pool exhausted on api")
            PostmortemFactory(key="INC-2026-0002", title="Pool of connection workers on redis")
            PostmortemFactory(key="INC-2026-0003", title="DNS resolution failures")

    def test_a_quoted_phrase_matches_only_those_words_together(self, author_client):
        assert found(author_client, q='"connection pool"') == ["INC-2026-0001"]
        assert sorted(found(author_client, q="connection pool")) == [
            "INC-2026-0001",
            "INC-2026-0002",
        ]

    def test_a_minus_excludes(self, author_client):
        assert found(author_client, q="pool -redis") == ["INC-2026-0001"]
        assert found(author_client, q='pool -"connection workers"') == ["INC-2026-0001"]

    def test_or_offers_alternatives(self, author_client):
        assert sorted(found(author_client, q="redis or dns")) == ["INC-2026-0002", "INC-2026-0003"]

    def test_an_unbalanced_quote_is_a_phrase_to_the_end(self, author_client):
        assert found(author_client, q='"connection pool') == ["INC-2026-0001"]


class TestBadQueries:
    @pytest.fixture(autouse=True)
    def document(self, indexed):
        with indexed():
            PostmortemFactory(key="INC-2026-0001", title="Connection pool exhausted")

    @pytest.mark.parametrize(
        "q",
        [
            '"',
            '""',
            "-",
            "- - -",
            "or",
            "or or or",
            "((",
            ":*",
            "\\",
            "&|!<->",
            "'; DROP TABLE postmortems_postmortem; --",
            "1' OR '1'='1",
            "pool\x00pool",
            "🔥 🚒",
            "%_%",
            "!!! ??? ...",
        ],
    )
    def test_odd_input_never_fails(self, author_client, q):
        response = author_client.get("/search/", {"q": q})
        assert response.status_code == 200
        assert Postmortem.objects.filter(key="INC-2026-0001").exists()

    def test_only_stop_words_is_explained(self, author_client):
        response = author_client.get("/search/", {"q": "the and of"})
        assert response.status_code == 200
        assert response.context["page"] is None
        assert "Only very common words" in response.content.decode()

    def test_punctuation_only_is_explained(self, author_client):
        response = author_client.get("/search/", {"q": "!!! ??? ..."})
        assert "Nothing to search for there" in response.content.decode()

    def test_a_huge_query_is_shortened_with_a_message(self, author_client):
        response = author_client.get("/search/", {"q": "pool " * 2048})  # 10 KB
        body = response.content.decode()
        assert response.status_code == 200
        assert "shortened to its first 500 characters" in body
        assert len(response.context["parsed"].text) <= search.MAX_QUERY_LENGTH
        assert keys(response) == ["INC-2026-0001"]

    def test_unknown_filter_values_are_ignored_with_a_notice(self, author_client):
        response = author_client.get(
            "/search/",
            {
                "q": "pool",
                "severity": "sev9",
                "status": "bogus",
                "service": "no-such-service",
                "author": "nobody",
                "since": "2026-13-45",
                "sort": "sideways",
                "page": "abc",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert keys(response) == ["INC-2026-0001"]
        assert "Ignored what could not be used" in body
        assert "Select a valid choice" in body  # beside the field
        assert "Enter a valid date" in body

    def test_a_range_that_ends_before_it_starts_is_explained(self, author_client):
        response = author_client.get(
            "/search/", {"q": "pool", "since": "2026-02-01", "until": "2026-01-01"}
        )
        assert "The end of the range is before its start" in response.content.decode()
        assert keys(response) == []  # `since` still applies; the document is from 2026-01-29

    def test_a_page_past_the_end_shows_the_last(self, author_client):
        assert found(author_client, q="pool", page="999") == ["INC-2026-0001"]


@on_postgres
class TestPostgresRanking:
    def test_it_stems(self, author_client, indexed):
        with indexed():
            PostmortemFactory(key="INC-2026-0001", title="Connection pool exhaustion")
        assert found(author_client, q="exhausted") == ["INC-2026-0001"]
        assert found(author_client, q="pools") == ["INC-2026-0001"]


class TestRanking:
    def test_a_title_match_ranks_above_a_body_only_match(self, author_client, indexed):
        with indexed():
            body_only = PostmortemFactory(
                key="INC-2026-0001",
                title="Checkout slowness",
                incident_date=datetime.date(2026, 3, 1),
            )
            TimelineEventFactory(postmortem=body_only, description="Redis failover started")
            TimelineEventFactory(postmortem=body_only, description="Redis failover finished")
            PostmortemFactory(
                key="INC-2025-0002", title="Redis failover", incident_date=datetime.date(2025, 1, 1)
            )
        assert found(author_client, q="redis failover") == ["INC-2025-0002", "INC-2026-0001"]

    def test_a_summary_match_ranks_above_a_timeline_match(self, author_client, indexed):
        with indexed():
            timeline = PostmortemFactory(key="INC-2026-0001", title="A", executive_summary="")
            TimelineEventFactory(postmortem=timeline, description="Certificate renewed")
            PostmortemFactory(
                key="INC-2025-0002", title="B", executive_summary="An expired certificate."
            )
        assert found(author_client, q="certificate") == ["INC-2025-0002", "INC-2026-0001"]


class TestKeepingTheIndexCurrent:
    def test_it_follows_a_timeline_row_added_and_deleted_in_the_editor(
        self, author_client, postmortem, indexed
    ):
        url = f"/postmortems/{postmortem.key}/edit/timeline/rows/"
        with indexed():
            response = author_client.post(
                url, {"new-occurred_at": "14:23", "new-description": "Failed over to quokka-2"}
            )
        assert response.status_code == 302
        assert found(author_client, q="quokka") == [postmortem.key]

        row = TimelineEvent.objects.get(postmortem=postmortem)
        with indexed():
            response = author_client.post(f"{url}{row.pk}/delete/")
        assert response.status_code == 302
        assert found(author_client, q="quokka") == []

    def test_it_follows_an_edited_row(self, author_client, postmortem, indexed):
        with indexed():
            item = ActionItemFactory(postmortem=postmortem, action="Add a quokka alert")
        with indexed():
            item.action = "Add a wombat alert"
            item.save()
        assert found(author_client, q="quokka") == []
        assert found(author_client, q="wombat") == [postmortem.key]

    def test_it_follows_the_document_and_its_services(self, author_client, postmortem, indexed):
        with indexed():
            postmortem.root_cause_summary = "A quokka ate the cable"
            postmortem.save()
            postmortem.tags.set([Tag.objects.create(name="wombat-db")])
        assert found(author_client, q="quokka") == [postmortem.key]
        assert found(author_client, q="wombat-db") == [postmortem.key]
        with indexed():
            postmortem.tags.clear()
        assert found(author_client, q="wombat-db") == []

    def test_one_edit_is_one_reindex(self, author_client, postmortem, indexed, monkeypatch):
        calls = []
        real = search.index.reindex
        monkeypatch.setattr(
            search.index, "reindex", lambda pks: (calls.append(list(pks)), real(pks))
        )
        with indexed():
            author_client.post(
                f"/postmortems/{postmortem.key}/edit/timeline/rows/",
                {"new-occurred_at": "14:23", "new-description": "Paged"},
            )
        assert calls == [[postmortem.pk]]

    def test_a_status_change_alone_does_not_reindex(self, postmortem, indexed, monkeypatch):
        item = ActionItemFactory(postmortem=postmortem)
        calls = []
        monkeypatch.setattr(search.index, "reindex", calls.append)
        with indexed():
            item.status = ActionItem.Status.DONE
            item.save(update_fields=["status", "updated_at"])
        assert calls == []

    def test_reindexing_changes_neither_revision_nor_updated_at(self, postmortem):
        before = Postmortem.objects.values("revision", "updated_at").get(pk=postmortem.pk)
        search.reindex([postmortem.pk])
        assert Postmortem.objects.values("revision", "updated_at").get(pk=postmortem.pk) == before

    def test_the_command_fills_what_bulk_loads_skipped(self, author_client, postmortem):
        TimelineEvent.objects.bulk_create(
            [
                TimelineEvent(
                    postmortem=postmortem,
                    occurred_at=datetime.datetime(2026, 1, 29, 14, 0, tzinfo=datetime.UTC),
                    description="Platypus alarm",
                )
            ]
        )
        assert found(author_client, q="platypus") == []
        call_command("reindex_search", verbosity=0)
        assert found(author_client, q="platypus") == [postmortem.key]

    def test_deleting_a_document_deletes_its_search_text(self, postmortem, indexed):
        with indexed():
            TimelineEventFactory(postmortem=postmortem)
        assert SearchDocument.objects.filter(pk=postmortem.pk).exists()
        with indexed():
            postmortem.delete()
        assert not SearchDocument.objects.exists()


class TestSnippets:
    def test_it_escapes_what_people_typed(self, author_client, postmortem, indexed):
        with indexed():
            TimelineEventFactory(
                postmortem=postmortem,
                description='<script>alert("x")</script> quokka <b>bold</b> & more',
            )
        body = author_client.get("/search/", {"q": "quokka"}).content.decode()
        assert "&lt;script&gt;alert(" in body
        assert "<script>alert" not in body
        assert "&lt;b&gt;bold&lt;/b&gt;" in body
        assert "<mark>quokka</mark>" in body

    def test_it_shows_where_each_result_matched(self, author_client, postmortem, indexed):
        with indexed():
            ActionItemFactory(postmortem=postmortem, action="Write the quokka runbook")
        snippet = str(author_client.get("/search/", {"q": "quokka"}).context["page"][0].snippet)
        assert "Write the <mark>quokka</mark> runbook" in snippet


class TestAccess:
    @pytest.fixture
    def secret(self, author, indexed):
        with indexed():
            secret = PostmortemFactory(
                key="INC-2026-0099",
                title="Credential leak quokka",
                restricted=True,
                authors=[author],
            )
            TimelineEventFactory(postmortem=secret, description="Rotated the quokka keys")
        return secret

    def test_a_document_someone_may_not_see_never_appears(self, outsider_client, secret):
        response = outsider_client.get("/search/", {"q": "quokka"})
        body = response.content.decode()
        assert keys(response) == []
        assert "INC-2026-0099" not in body
        assert "Rotated the" not in body
        assert "1 postmortem" not in body
        assert found(outsider_client, author="alice") == []

    def test_its_authors_find_it(self, author_client, secret):
        assert found(author_client, q="quokka") == ["INC-2026-0099"]

    def test_nor_among_similar_incidents(self, client, outsider, author, secret, indexed):
        with indexed():
            public = PostmortemFactory(key="INC-2026-0001", title="Quokka credential rotation")
        client.force_login(outsider)
        response = client.get(f"/postmortems/{public.key}/")
        assert response.context["similar"] == []
        assert "INC-2026-0099" not in response.content.decode()
        client.force_login(author)
        assert [p.key for p in client.get(f"/postmortems/{public.key}/").context["similar"]] == [
            "INC-2026-0099"
        ]

    def test_nor_can_it_be_linked(self, client, outsider, secret, indexed):
        mine = PostmortemFactory(key="INC-2026-0001", authors=[outsider])
        client.force_login(outsider)
        response = client.post(f"/postmortems/{mine.key}/related/", {"related": secret.key})
        assert response.status_code == 404
        assert not mine.related_incidents.exists()

    def test_signing_in_is_required(self, client):
        response = client.get("/search/", {"q": "x"})
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


class TestQueries:
    def test_the_search_page_runs_a_fixed_number_of_queries(self, author_client, indexed):
        users = UserFactory.create_batch(5)
        with indexed():
            for n in range(3):
                pm = PostmortemFactory(title=f"Quokka outage {n}", authors=users[:2])
                pm.tags.set([Tag.objects.get_or_create(name="api")[0]])
        with CaptureQueriesContext(connection) as small:
            response = author_client.get("/search/", {"q": "quokka", "severity": "sev2"})
        assert response.status_code == 200
        assert len(keys(response)) == 3
        with indexed():
            for n in range(30):
                pm = PostmortemFactory(title=f"Quokka outage {n}", authors=users)
                pm.tags.set([Tag.objects.get_or_create(name=f"svc-{n}")[0]])
                TimelineEventFactory.create_batch(3, postmortem=pm)
        with CaptureQueriesContext(connection) as large:
            response = author_client.get("/search/", {"q": "quokka", "severity": "sev2"})
        assert response.status_code == 200
        assert len(keys(response)) == 20
        assert len(large) == len(small)
        # PostgreSQL adds a savepoint, two SET LOCALs and its rollback around the match.
        assert len(large) <= (15 if connection.vendor == "postgresql" else 11)

    @on_postgres
    def test_the_planner_settings_stay_inside_the_search(self, author_client, indexed):
        with indexed():
            PostmortemFactory(title="Quokka outage")
        assert found(author_client, q="quokka", severity="sev2")  # a filter: steered
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SHOW jit")
            jit = cursor.fetchone()[0]
            cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'jit'")
            assert jit == cursor.fetchone()[0]


class TestSimilarIncidents:
    @pytest.fixture
    def pair(self, author, coauthor, indexed):
        with indexed():
            draft = PostmortemFactory(
                key="INC-2026-0001",
                title="Connection pool exhaustion on checkout",
                root_cause_summary="Pool too small",
                authors=[author],
            )
            older = PostmortemFactory(
                key="INC-2025-0007",
                title="Database connection pool exhausted",
                status="final",
                authors=[coauthor],
            )
            PostmortemFactory(key="INC-2025-0008", title="DNS failure")
        return draft, older

    def test_it_shows_similar_incidents_on_the_document(self, author_client, pair):
        draft, older = pair
        response = author_client.get(f"/postmortems/{draft.key}/")
        body = response.content.decode()
        assert [p.key for p in response.context["similar"]] == ["INC-2025-0007"]
        assert "Similar incidents" in body
        assert "Link as related" in body

    def test_an_author_links_one_as_related(self, author_client, author, pair):
        draft, older = pair
        revision = draft.revision
        response = author_client.post(f"/postmortems/{draft.key}/related/", {"related": older.key})
        assert response.status_code == 302
        assert response["Location"] == f"/postmortems/{draft.key}/#similar"
        draft.refresh_from_db()
        assert list(draft.related_incidents.all()) == [older]
        assert draft.revision == revision + 1  # signatures on the earlier content go stale
        assert draft.section_revisions["supporting"]["rev"] == 1
        entry = Activity.objects.get(postmortem=draft, verb=Activity.Verb.EDITED)
        assert entry.section == "supporting" and entry.actor == author
        # Not named in the log everyone reads: it could be restricted.
        assert entry.detail == "linked a related incident"
        # Once related, it is no longer offered.
        assert author_client.get(f"/postmortems/{draft.key}/").context["similar"] == []

    def test_only_the_authors_of_a_draft_link(self, client, coauthor, author, pair):
        draft, older = pair
        client.force_login(coauthor)  # an author of the older one, not of this draft
        assert "Link as related" not in client.get(f"/postmortems/{draft.key}/").content.decode()
        client.post(f"/postmortems/{draft.key}/related/", {"related": older.key})
        assert not draft.related_incidents.exists()
        client.force_login(author)  # alice wrote the draft, but the older one is Final
        client.post(f"/postmortems/{older.key}/related/", {"related": draft.key})
        assert not older.related_incidents.exists()

    def test_linking_is_post_only_and_needs_a_real_key(self, author_client, pair):
        draft, _ = pair
        assert author_client.get(f"/postmortems/{draft.key}/related/").status_code == 405
        for bad in ["", "nope nope", "\x00", "INC-1" * 20]:
            response = author_client.post(f"/postmortems/{draft.key}/related/", {"related": bad})
            assert response.status_code == 404


class TestParsing:
    def test_it_reads_the_web_syntax(self):
        parsed = search.parse('"connection pool" -redis dns or cache the')
        assert parsed.groups == [
            [search.Term("connection pool")],
            [search.Term("redis", exclude=True)],
            [search.Term("dns"), search.Term("cache")],
        ]
        assert parsed.words == ["connection pool", "dns", "cache"]

    def test_it_keeps_at_most_max_terms_and_says_so(self):
        parsed = search.parse(" ".join(f"w{n}" for n in range(100)))
        assert parsed.too_many_terms
        assert len(parsed.words) == search.MAX_TERMS
        assert parsed.text.split() == [f"w{n}" for n in range(search.MAX_TERMS)]

    def test_repeated_words_count_once(self):
        assert search.parse("pool " * 100).words == ["pool"]
