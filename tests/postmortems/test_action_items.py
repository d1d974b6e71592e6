import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems.models import ActionItem, Activity, Postmortem, ReminderSent, Tag
from postmortems.reminders import send_reminders
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date()
DAY = datetime.timedelta(days=1)


def keys(response):
    return [item.action for item in response.context["page"].object_list]


@pytest.fixture
def items(postmortem, author, coauthor):
    other = PostmortemFactory(
        key="INC-2026-0002", status=Postmortem.Status.FINAL, authors=[coauthor]
    )
    other.tags.add(Tag.objects.create(name="api"))
    return {
        "late": ActionItemFactory(
            postmortem=postmortem,
            action="late",
            owner=author,
            due_date=TODAY - 3 * DAY,
            priority="p1",
        ),
        "soon": ActionItemFactory(
            postmortem=postmortem,
            action="soon",
            owner=author,
            due_date=TODAY + 2 * DAY,
            priority="p0",
            category="detection",
        ),
        "later": ActionItemFactory(
            postmortem=other, action="later", owner=author, due_date=TODAY + 30 * DAY, priority="p2"
        ),
        "done": ActionItemFactory(
            postmortem=postmortem,
            action="done",
            owner=author,
            due_date=TODAY - 9 * DAY,
            status="done",
        ),
        "bobs": ActionItemFactory(
            postmortem=other, action="bobs", owner=coauthor, due_date=TODAY - DAY
        ),
    }


class TestList:
    def test_it_shows_my_open_items_by_due_date(self, author_client, items):
        assert keys(author_client.get("/action-items/")) == ["late", "soon", "later"]

    def test_it_filters_by_owner_status_priority_category_and_service(
        self, author_client, items, coauthor
    ):
        assert keys(author_client.get("/action-items/", {"owner": "anyone"})) == [
            "late",
            "bobs",
            "soon",
            "later",
        ]
        assert keys(author_client.get("/action-items/", {"owner": str(coauthor.pk)})) == ["bobs"]
        assert keys(author_client.get("/action-items/", {"status": "done"})) == ["done"]
        assert keys(author_client.get("/action-items/", {"status": "all"})) == [
            "done",
            "late",
            "soon",
            "later",
        ]
        assert keys(author_client.get("/action-items/", {"priority": "p0"})) == ["soon"]
        assert keys(author_client.get("/action-items/", {"category": "detection"})) == ["soon"]
        assert keys(author_client.get("/action-items/", {"service": "API"})) == ["later"]
        combined = {"owner": "anyone", "due": "overdue", "service": "api"}
        assert keys(author_client.get("/action-items/", combined)) == ["bobs"]

    def test_it_filters_overdue_and_due_soon(self, author_client, items):
        assert keys(author_client.get("/action-items/", {"due": "overdue"})) == ["late"]
        assert keys(author_client.get("/action-items/", {"due": "soon"})) == ["soon"]

    def test_it_sorts_by_priority(self, author_client, items):
        assert keys(author_client.get("/action-items/", {"sort": "priority"})) == [
            "soon",
            "late",
            "later",
        ]

    def test_it_highlights_overdue_and_due_soon(self, author_client, items):
        body = author_client.get("/action-items/").content.decode()
        assert body.count('class="overdue"') == 1
        assert body.count('class="due-soon"') == 1

    def test_unknown_filter_values_do_not_break_it(self, author_client, items):
        response = author_client.get(
            "/action-items/", {"status": "bogus", "owner": "'; DROP", "sort": "x"}
        )
        assert response.status_code == 200

    def test_it_shows_only_visible_documents(self, author_client, items, monkeypatch):
        hidden = items["bobs"].postmortem
        original = Postmortem.objects.visible_to

        def visible_to(user):
            return original(user).exclude(pk=hidden.pk)

        monkeypatch.setattr(
            Postmortem.objects.__class__, "visible_to", lambda self, user: visible_to(user)
        )
        assert "bobs" not in keys(author_client.get("/action-items/", {"owner": "anyone"}))

    def test_it_runs_a_fixed_number_of_queries(self, author_client, author, coauthor):
        pm = PostmortemFactory(authors=[author])
        ActionItemFactory.create_batch(3, postmortem=pm, owner=author)
        with CaptureQueriesContext(connection) as small:
            assert author_client.get("/action-items/").status_code == 200
        docs = [PostmortemFactory(authors=[author, coauthor]) for _ in range(40)]
        ActionItem.objects.bulk_create(
            ActionItem(
                postmortem=docs[n % 40], action=f"a{n}", owner=author, due_date=TODAY + n * DAY
            )
            for n in range(2000)
        )
        with CaptureQueriesContext(connection) as large:
            response = author_client.get("/action-items/")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 2003
        assert len(large) == len(small)


class TestStatus:
    def test_the_owner_marks_an_item_done_with_htmx_even_on_a_final_document(
        self, client, items, author
    ):
        item = items["later"]  # on a Final document
        client.force_login(author)
        response = client.post(
            f"/action-items/{item.pk}/status/", {"status": "done"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert "Saved" in response.content.decode()
        item.refresh_from_db()
        assert item.status == "done"
        entry = Activity.objects.get(postmortem=item.postmortem)
        assert (entry.verb, entry.actor) == ("action_item_status", author)
        assert "later: Open → Done" in entry.detail

    def test_without_javascript_it_redirects_back(self, author_client, items):
        response = author_client.post(
            f"/action-items/{items['late'].pk}/status/",
            {"status": "in_progress", "next": "/action-items/?due=overdue"},
        )
        assert response["Location"] == "/action-items/?due=overdue"

    def test_it_refuses_an_outside_redirect(self, author_client, items):
        response = author_client.post(
            f"/action-items/{items['late'].pk}/status/",
            {"status": "done", "next": "https://evil.example/"},
        )
        assert response["Location"] == "/action-items/"

    def test_someone_unrelated_cannot_change_it(self, outsider_client, items):
        response = outsider_client.post(
            f"/action-items/{items['late'].pk}/status/", {"status": "done"}
        )
        assert response.status_code == 403
        items["late"].refresh_from_db()
        assert items["late"].status == "open"

    def test_a_forged_status_changes_nothing(self, author_client, items):
        author_client.post(
            f"/action-items/{items['late'].pk}/status/", {"status": "closed-forever"}
        )
        items["late"].refresh_from_db()
        assert items["late"].status == "open"

    def test_changing_status_does_not_stale_signatures(self, author_client, items):
        item = items["late"]
        before = Postmortem.objects.get(pk=item.postmortem_id).revision
        author_client.post(f"/action-items/{item.pk}/status/", {"status": "done"})
        assert Postmortem.objects.get(pk=item.postmortem_id).revision == before

    def test_status_is_get_proof(self, author_client, items):
        assert author_client.get(f"/action-items/{items['late'].pk}/status/").status_code == 405


def test_csv_exports_the_current_filter(author_client, items):
    items["late"].action = '=HYPERLINK("http://evil")'
    items["late"].save()
    response = author_client.get("/action-items/export.csv", {"due": "overdue"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Postmortem", "Incident title", "Category", "Action"]
    assert len(rows) == 2
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'
    assert rows[1][8] == "yes"


class TestReminders:
    def test_each_owner_gets_one_email_with_overdue_and_this_week(self, items, author, coauthor):
        report = send_reminders(TODAY)
        assert report.action_item_emails == 2
        alice = next(m for m in mail.outbox if m.to == [author.email])
        assert "1 overdue, 1 due this week" in alice.subject
        assert "late" in alice.body and "soon" in alice.body
        assert "later" not in alice.body and "done" not in alice.body

    def test_running_twice_sends_once(self, items):
        send_reminders(TODAY)
        sent = len(mail.outbox)
        report = send_reminders(TODAY)
        assert len(mail.outbox) == sent
        assert report.skipped_already_sent == 2
        assert ReminderSent.objects.count() == 2

    def test_the_next_day_sends_again(self, items):
        send_reminders(TODAY)
        send_reminders(TODAY + DAY)
        assert ReminderSent.objects.filter(kind="action_items").count() == 4

    def test_a_failing_mail_server_leaves_nothing_recorded(self, items, settings, monkeypatch):
        from django.core.mail.backends.locmem import EmailBackend

        def broken(self, messages):
            raise OSError("SMTP down")

        monkeypatch.setattr(EmailBackend, "send_messages", broken)
        with pytest.raises(OSError):
            send_reminders(TODAY)
        assert not ReminderSent.objects.exists()

    def test_an_item_of_a_restricted_document_its_owner_may_not_read_is_not_mailed(
        self, author, outsider
    ):
        secret = PostmortemFactory(
            key="SEC-2026-0003", title="Leaked token", restricted=True, authors=[author]
        )
        ActionItemFactory(
            postmortem=secret, action="rotate keys", owner=outsider, due_date=TODAY - DAY
        )
        report = send_reminders(TODAY)
        assert report.action_item_emails == 0
        assert not [m for m in mail.outbox if m.to == [outsider.email]]

        secret.viewers.add(outsider)  # named on the document: now they may read it
        report = send_reminders(TODAY)
        assert report.action_item_emails == 1
        (message,) = [m for m in mail.outbox if m.to == [outsider.email]]
        assert "rotate keys" in message.body and "SEC-2026-0003" in message.body

    def test_authors_are_reminded_when_the_review_date_passed(self, postmortem, author, coauthor):
        Postmortem.objects.filter(pk=postmortem.pk).update(
            status="final", next_review_date=TODAY - DAY
        )
        report = send_reminders(TODAY)
        assert report.review_emails == 2
        assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, coauthor.email])
        assert postmortem.key in mail.outbox[0].body

    def test_the_command_reports_and_is_idempotent(self, items, capsys):
        call_command("send_action_item_reminders", "--date", TODAY.isoformat())
        call_command("send_action_item_reminders", "--date", TODAY.isoformat())
        out = capsys.readouterr().out
        assert "Sent 2 action-item reminder(s)" in out
        assert "Sent 0 action-item reminder(s) and 0 review reminder(s)" in out
        assert "2 already sent today" in out

    def test_dry_run_sends_nothing(self, items):
        report = send_reminders(TODAY, dry_run=True)
        assert report.action_item_emails == 2
        assert mail.outbox == [] and not ReminderSent.objects.exists()
