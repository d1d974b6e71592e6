"""The trust issue's small holes, each with its reproduction: odd numbers in forms and query
strings, line breaks in titles and names, a huge upload, the health check's error text,
cacheable exports, and comments nobody could hide."""

import io

import pytest
from django.core import mail
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client

from postmortems import workflow
from postmortems.models import Activity, Approval, Comment, Postmortem
from tests.factories import ActionItemFactory, sign

pytestmark = pytest.mark.django_db


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


class TestOddNumbers:
    @pytest.mark.parametrize(
        "data",
        [
            {"remove": "abc"},
            {"remove": ""},
            {"remove": "²"},
            {"save_all": "1", "slot": "1e3"},
            {"save_all": "1", "slot": ""},
            {"save_all": "1", "slot": "9" * 40},
            {"hand_over": "-1"},
        ],
        ids=["remove-abc", "remove-empty", "remove-superscript", "update-1e3", "update-empty",
             "update-huge", "hand-over-negative"],
    )  # fmt: skip
    def test_an_approvals_post_with_no_usable_slot_is_a_message(self, doc, author, data):
        response = as_user(author).post(f"/postmortems/{doc.key}/approvals/", data, follow=True)
        assert response.status_code == 200
        assert "That approval slot does not exist" in messages_of(response)
        assert Approval.objects.filter(postmortem=doc).count() == 3

    @pytest.mark.parametrize("value", ["²", "١", "9" * 40, "-3", " 1"])
    def test_unicode_or_huge_digits_in_a_query_string_are_ignored(self, doc, author, value):
        client = as_user(author)
        assert client.get("/action-items/", {"owner": value}).status_code == 200
        assert (
            client.get(f"/postmortems/{doc.key}/edit/timeline/", {"edit": value}).status_code == 200
        )
        history = client.get(f"/postmortems/{doc.key}/history/", {"a": value, "b": value})
        assert history.status_code == 200


class TestLineBreaksInNamesAndTitles:
    def test_a_title_typed_with_a_line_break_is_one_line(self, author):
        response = as_user(author).post(
            "/postmortems/new/",
            {
                "title": "API outage\r\nBcc: everyone@example.com",
                "incident_date": "2026-02-01",
                "severity": "sev2",
            },
        )
        assert response.status_code == 302
        assert Postmortem.objects.get().title == "API outage Bcc: everyone@example.com"

    def test_a_display_name_typed_with_a_line_break_is_one_line(self, author):
        as_user(author).post(
            "/accounts/profile/",
            {"display_name": "Alice\nSmith", "email": "alice@example.org"},
        )
        author.refresh_from_db()
        assert author.display_name == "Alice Smith"

    def test_a_stored_line_break_no_longer_drops_the_mails(
        self, doc, author, reviewer, django_capture_on_commit_callbacks
    ):
        # As stored before this fix (or by an import or the admin): the mails were refused.
        Postmortem.objects.filter(pk=doc.pk).update(title="Outage\r\nof the API")
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(author).post(f"/postmortems/{doc.key}/submit/", follow=True)
        assert "The reviewers were emailed." in messages_of(response)
        assert mail.outbox and all("\n" not in m.subject for m in mail.outbox)
        assert mail.outbox[0].subject == f"[{doc.key}] Review requested: Outage of the API"

    @pytest.mark.django_db(transaction=True)
    def test_the_page_says_when_the_mails_could_not_be_sent(self, doc, author, monkeypatch):
        def refuse(*args, **kwargs):
            raise OSError("Connection refused")

        monkeypatch.setattr("postmortems.notifications.send_mass_mail", refuse)
        response = as_user(author).post(f"/postmortems/{doc.key}/submit/", follow=True)
        said = messages_of(response)
        assert "could not be sent" in said and "were emailed" not in said
        assert Postmortem.objects.get(pk=doc.pk).status == Postmortem.Status.IN_REVIEW


class TestUploads:
    def test_a_huge_upload_is_refused_before_it_is_read(self, author, monkeypatch):
        read = []
        for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
            original = handler.receive_data_chunk

            def counting(self, raw_data, start, original=original):
                read.append(len(raw_data))
                return original(self, raw_data, start)

            monkeypatch.setattr(handler, "receive_data_chunk", counting)
        response = as_user(author).post(
            "/postmortems/import/",
            {"markdown": "# Postmortem: INC-2026-0009 Small"},
            CONTENT_LENGTH=str(400 * 1024 * 1024),
        )
        assert response.status_code == 413
        assert "400.0 MB" in response.content.decode()
        assert read == []
        assert not Postmortem.objects.exists()

    def test_a_file_over_the_limit_stops_being_stored_at_the_limit(self, author, monkeypatch):
        stored = []
        original = MemoryFileUploadHandler.receive_data_chunk

        def counting(self, raw_data, start):
            stored.append(len(raw_data))
            return original(self, raw_data, start)

        monkeypatch.setattr(MemoryFileUploadHandler, "receive_data_chunk", counting)
        upload = io.BytesIO(b"x" * (2 * 1024 * 1024 + 10))
        upload.name = "big.md"
        response = as_user(author).post("/postmortems/import/", {"file": upload})
        assert response.status_code == 200
        assert "The file is over 2 MB" in response.content.decode()
        assert sum(stored) <= 2 * 1024 * 1024
        assert not Postmortem.objects.exists()


def test_the_health_check_keeps_the_database_error_to_the_log(client, monkeypatch, caplog):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def broken(*args, **kwargs):
        raise OperationalError('FATAL: password authentication failed for user "postmortems"')

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "password authentication failed" in caplog.text


@pytest.mark.parametrize(
    "url",
    ["/postmortems/{key}/export.md", "/postmortems/{key}/export.json", "/postmortems/export.zip",
     "/action-items/export.csv?owner=anyone"],
    ids=["markdown", "json", "zip", "csv"],
)  # fmt: skip
def test_exports_are_never_cached(doc, author, url):
    ActionItemFactory(postmortem=doc, owner=author)
    response = as_user(author).get(url.format(key=doc.key))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


class TestHidingComments:
    @pytest.fixture
    def final(self, doc, author, reviewer, approver):
        workflow.submit_for_review(doc, by=author)
        for role, who in [
            ("Author", author),
            ("Reviewer (SRE Lead)", reviewer),
            ("Approver (VP Eng)", approver),
        ]:
            sign(Approval.objects.get(postmortem=doc, role=role), by=who)
        assert Postmortem.objects.get(pk=doc.pk).status == Postmortem.Status.FINAL
        return doc

    @pytest.fixture
    def rude(self, final, outsider):
        return Comment.objects.create(
            postmortem=final, section="impact", author=outsider, body="Bob is useless"
        )

    @pytest.mark.parametrize("who", ["author", "admin_user"])
    def test_an_author_or_an_admin_hides_a_comment_on_a_final_document(
        self, final, rude, request, who
    ):
        person = request.getfixturevalue(who)
        client = as_user(person)
        response = client.post(
            f"/postmortems/{final.key}/comments/{rude.pk}/hide/", {"reason": "Not blameless"}
        )
        assert response.status_code == 302
        page = client.get(final.get_absolute_url()).content.decode()
        assert "Bob is useless" not in page
        assert f"Hidden by {person.name}" in page and "Not blameless" in page
        entry = Activity.objects.filter(postmortem=final).latest("id")
        assert (entry.verb, entry.actor) == ("hid_comment", person)
        assert "Mallory Outsider: Not blameless" in entry.detail
        # Shown again, and that is logged too.
        client.post(f"/postmortems/{final.key}/comments/{rude.pk}/hide/")
        assert "Bob is useless" in client.get(final.get_absolute_url()).content.decode()
        assert Activity.objects.filter(postmortem=final, verb="hid_comment").count() == 2

    @pytest.mark.parametrize("who", ["reviewer", "outsider"])
    def test_nobody_else_can(self, final, rude, request, who):
        client = as_user(request.getfixturevalue(who))
        response = client.post(
            f"/postmortems/{final.key}/comments/{rude.pk}/hide/", {"reason": "x"}
        )
        assert response.status_code == 403
        assert not Comment.objects.get(pk=rude.pk).is_hidden

    def test_hiding_needs_a_reason(self, final, rude, author):
        client = as_user(author)
        client.post(f"/postmortems/{final.key}/comments/{rude.pk}/hide/", {"reason": ""})
        assert not Comment.objects.get(pk=rude.pk).is_hidden


class TestWhatHidingReallyHides:
    def test_the_activity_log_never_holds_a_comments_text(self, doc, author, reviewer):
        client = as_user(reviewer)
        client.post(
            f"/postmortems/{doc.key}/comments/", {"section": "impact", "body": "PASSWORD hunter2"}
        )
        comment = Comment.objects.get()
        client.post(f"/postmortems/{doc.key}/comments/{comment.pk}/resolve/")
        assert not Activity.objects.filter(detail__contains="hunter2").exists()
        as_user(author).post(
            f"/postmortems/{doc.key}/comments/{comment.pk}/hide/", {"reason": "A password"}
        )
        assert "hunter2" not in as_user(author).get(doc.get_absolute_url()).content.decode()

    def test_old_entries_with_a_comments_text_do_not_show_it(self, doc, author):
        Activity.objects.create(
            postmortem=doc, actor=author, verb=Activity.Verb.COMMENTED, detail="old hunter2"
        )
        assert "hunter2" not in as_user(author).get(doc.get_absolute_url()).content.decode()

    def test_only_an_administrator_shows_what_an_administrator_hid(
        self, doc, author, outsider, admin_user
    ):
        comment = Comment.objects.create(
            postmortem=doc, section="impact", author=outsider, body="Personal data"
        )
        url = f"/postmortems/{doc.key}/comments/{comment.pk}/hide/"
        as_user(admin_user).post(url, {"reason": "PII removed"})
        assert as_user(author).post(url).status_code == 403
        assert Comment.objects.get(pk=comment.pk).is_hidden
        as_user(admin_user).post(url)
        assert not Comment.objects.get(pk=comment.pk).is_hidden
