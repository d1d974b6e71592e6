"""A restricted document leaves no trace for who may not read it: not its services in a filter,
not its key in a refusal or a numbering gap, not its link when someone else saves the section.

Each test is a reproduction of the trust issue, done as an ordinary account would."""

import datetime

import pytest
from django.test import Client

from postmortems import workflow
from postmortems.models import KeySequence, Postmortem, Tag
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db

HIDDEN_SERVICE = "zanzibarquux-svc"


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secret(author):
    pm = PostmortemFactory(key="SEC-2026-0007", restricted=True, authors=[author])
    pm.tags.set([Tag.objects.create(name=HIDDEN_SERVICE)])
    return pm


class TestLists:
    def test_the_service_filter_names_only_services_of_readable_documents(
        self, secret, postmortem, outsider, author
    ):
        postmortem.tags.set([Tag.objects.create(name="api")])
        body = as_user(outsider).get("/search/").content.decode()
        assert ">api<" in body
        assert HIDDEN_SERVICE not in body
        assert HIDDEN_SERVICE in as_user(author).get("/search/").content.decode()

    def test_choosing_the_hidden_service_anyway_is_ignored(self, secret, outsider):
        response = as_user(outsider).get("/search/", {"service": HIDDEN_SERVICE})
        body = response.content.decode()
        assert secret.key not in body
        assert "Ignored what could not be used: Service" in body


class TestSavingKeepsWhatTheEditorCannotSee:
    def test_a_coauthor_saving_supporting_keeps_the_hidden_link(self, author, coauthor, secret):
        document = PostmortemFactory(key="INC-2026-0042", authors=[author, coauthor])
        visible = PostmortemFactory(key="INC-2026-0041", authors=[author])
        document.related_incidents.set([secret, visible])
        response = as_user(coauthor).post(
            f"/postmortems/{document.key}/edit/supporting/",
            {"section_revision": "0", "related_incidents": [visible.pk], "references": "Logs"},
        )
        assert response.status_code == 302
        assert set(document.related_incidents.values_list("key", flat=True)) == {
            secret.key,
            visible.key,
        }
        # …nor does the page that edits it name the hidden one.
        page = as_user(coauthor).get(f"/postmortems/{document.key}/edit/supporting/")
        assert secret.key not in page.content.decode()

    def test_the_coauthor_can_still_unlink_what_they_see(self, author, coauthor, secret):
        document = PostmortemFactory(key="INC-2026-0042", authors=[author, coauthor])
        visible = PostmortemFactory(key="INC-2026-0041", authors=[author])
        document.related_incidents.set([secret, visible])
        as_user(coauthor).post(
            f"/postmortems/{document.key}/edit/supporting/",
            {"section_revision": "0", "references": ""},
        )
        assert list(document.related_incidents.values_list("key", flat=True)) == [secret.key]


class TestKeys:
    def new(self, client, **data):
        return client.post(
            "/postmortems/new/",
            {"title": "T", "incident_date": "2026-03-01", "severity": "sev3", **data},
        )

    def test_a_hidden_key_typed_gets_the_same_answer_as_any_taken_key(
        self, secret, postmortem, outsider
    ):
        client = as_user(outsider)
        hidden = self.new(client, key=secret.key).context["form"].errors["key"]
        taken = self.new(client, key=postmortem.key).context["form"].errors["key"]
        reserved = self.new(client, key="SEC-2026-0999").context["form"].errors["key"]
        assert [e.replace(secret.key, "KEY") for e in hidden] == [
            e.replace(postmortem.key, "KEY") for e in taken
        ]
        assert [e.replace("SEC-2026-0999", "KEY") for e in reserved] == [
            e.replace(postmortem.key, "KEY") for e in taken
        ]
        assert "cannot be used" in hidden[0]
        assert Postmortem.objects.count() == 2

    def test_restricted_documents_draw_keys_of_their_own(self, author):
        def create(restricted):
            return workflow.create_draft(
                by=author,
                title="T",
                incident_date=datetime.date(2026, 5, 1),
                severity="sev3",
                restricted=restricted,
            ).key

        assert [create(r) for r in (True, False, True, True, False)] == [
            "SEC-2026-0001",
            "INC-2026-0001",
            "SEC-2026-0002",
            "SEC-2026-0003",
            "INC-2026-0002",
        ]

    def test_open_keys_show_no_gap_where_a_restricted_document_was_made(self, author, outsider):
        client = as_user(author)
        self.new(client)
        self.new(client, restricted="on")
        self.new(client)
        keys = list(
            Postmortem.objects.visible_to(outsider).order_by("key").values_list("key", flat=True)
        )
        assert keys == ["INC-2026-0001", "INC-2026-0002"]

    def test_a_counter_starts_after_the_keys_given_out_before(self, author):
        PostmortemFactory(key="INC-2026-0040")
        key = workflow.create_draft(
            by=author, title="T", incident_date=datetime.date(2026, 5, 1), severity="sev3"
        ).key
        assert key == "INC-2026-0041"
        assert KeySequence.objects.get(prefix="INC", year=2026).last == 41

    def test_a_typed_key_in_the_pattern_is_skipped(self, author):
        PostmortemFactory(key="INC-2027-0001")
        KeySequence.objects.create(prefix="INC", year=2027, last=0)
        key = workflow.create_draft(
            by=author, title="T", incident_date=datetime.date(2027, 1, 1), severity="sev3"
        ).key
        assert key == "INC-2027-0002"


class TestNoTraceOverTime:
    def test_every_save_draws_new_commitments_so_a_hidden_link_shows_as_no_more(
        self, author, coauthor, outsider
    ):
        import json

        from postmortems import editing

        document = PostmortemFactory(key="INC-2026-0042", authors=[author, coauthor])
        client = as_user(outsider)

        def commitments():
            export = client.get(f"/postmortems/{document.key}/export.json").content
            return set(json.loads(export)["content"]["related_commitments"])

        before = commitments()
        hidden = PostmortemFactory(key="SEC-2026-0001", restricted=True, authors=[author])
        editing.link_related(document, hidden, by=author)
        after_link = commitments()
        as_user(author).post(
            f"/postmortems/{document.key}/edit/resolution/",
            {"section_revision": "0", "resolution_summary": "Pool raised"},
        )
        after_edit = commitments()
        # A link and an ordinary edit look the same from outside: every commitment is new.
        assert not before & after_link and not after_link & after_edit
        assert len(before) == len(after_link) == len(after_edit) == 32

    def test_a_conflict_on_supporting_never_names_a_hidden_link(self, author, coauthor, secret):
        document = PostmortemFactory(key="INC-2026-0042", authors=[author, coauthor])
        client = as_user(coauthor)
        page = client.get(f"/postmortems/{document.key}/edit/supporting/")
        assert page.status_code == 200
        # Meanwhile the author links the restricted incident (the section's revision moves).
        from postmortems import editing

        editing.link_related(document, secret, by=author)
        response = client.post(
            f"/postmortems/{document.key}/edit/supporting/",
            {"section_revision": "0", "references": "Mine"},
        )
        assert response.status_code == 409
        body = response.content.decode()
        assert secret.key not in body and f">{secret.pk}<" not in body
        conflict = response.context["conflict"]
        named = [str(field["label"]) for field in conflict["fields"]] + conflict["merged"]
        assert "Related incidents" not in "".join(named)

    def test_a_restricted_document_cannot_take_an_open_key(self, author):
        client = as_user(author)
        response = client.post(
            "/postmortems/new/",
            {
                "title": "T",
                "incident_date": "2026-03-01",
                "severity": "sev3",
                "key": "INC-2026-0001",
                "restricted": "on",
            },
        )
        assert "cannot be used" in " ".join(response.context["form"].errors["key"])
