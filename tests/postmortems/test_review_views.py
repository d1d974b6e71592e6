import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import workflow
from postmortems.models import Approval, Comment, Postmortem
from tests.factories import PASSWORD, UserFactory, criteria_tokens, shown_hash, sign

pytestmark = pytest.mark.django_db


def url(doc, rest=""):
    return f"/postmortems/{doc.key}/{rest}"


def login(client, user):
    client.force_login(user)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_an_author_submits_from_the_document(client, doc, author):
    response = login(client, author).post(url(doc, "submit/"), follow=True)
    assert "is Under Review" in " ".join(messages_of(response))
    assert Postmortem.objects.get(pk=doc.pk).status == "in_review"


def test_an_incomplete_draft_shows_what_is_missing(client, author):
    from tests.factories import PostmortemFactory

    pm = PostmortemFactory(authors=[author])
    response = login(client, author).post(url(pm, "submit/"), follow=True)
    body = response.content.decode()
    assert "Not ready for review yet" in body
    assert "Timeline: At least one event" in body
    assert Postmortem.objects.get(pk=pm.pk).status == "draft"


@pytest.mark.parametrize("path", ["submit/", "withdraw/", "request-changes/", "reopen/"])
def test_transitions_do_nothing_on_get(client, doc, author, path):
    response = login(client, author).get(url(doc, path))
    assert response.status_code == 405
    assert Postmortem.objects.get(pk=doc.pk).status == "draft"


class TestSignPage:
    @pytest.fixture
    def reviewing(self, doc, author):
        workflow.submit_for_review(doc, by=author)
        return doc

    def slot_url(self, doc, role):
        return url(doc, f"approvals/{Approval.objects.get(postmortem=doc, role=role).pk}/sign/")

    def test_the_assignee_sees_the_sign_form(self, client, reviewing, reviewer):
        response = login(client, reviewer).get(self.slot_url(reviewing, "Reviewer (SRE Lead)"))
        assert response.status_code == 200
        assert "Sign as Reviewer (SRE Lead)" in response.content.decode()

    @pytest.mark.parametrize("who", ["author", "approver", "outsider"])
    def test_nobody_else_gets_the_form(self, client, reviewing, request, who):
        response = login(client, request.getfixturevalue(who)).post(
            self.slot_url(reviewing, "Reviewer (SRE Lead)"), {"password": PASSWORD}
        )
        assert response.status_code == 403
        assert not Approval.objects.get(postmortem=reviewing, role="Reviewer (SRE Lead)").is_signed

    def test_a_wrong_password_is_said_beside_the_field(self, client, reviewing, reviewer):
        response = login(client, reviewer).post(
            self.slot_url(reviewing, "Reviewer (SRE Lead)"),
            {"password": "nope", "comment": "kept", "seen_hash": shown_hash(reviewing)},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "That password is not right" in body
        assert "kept" in body
        assert not Approval.objects.get(postmortem=reviewing, role="Reviewer (SRE Lead)").is_signed

    def test_the_last_signature_says_it_is_final(
        self, client, reviewing, author, reviewer, approver
    ):
        sign(
            Approval.objects.get(postmortem=reviewing, role="Author"), by=author, password=PASSWORD
        )
        sign(
            Approval.objects.get(postmortem=reviewing, role="Reviewer (SRE Lead)"),
            by=reviewer,
            password=PASSWORD,
        )
        response = login(client, approver).post(
            self.slot_url(reviewing, "Approver (VP Eng)"),
            {
                "password": PASSWORD,
                "seen_hash": shown_hash(reviewing),
                "criteria": criteria_tokens(),
            },
            follow=True,
        )
        assert "is Final" in " ".join(messages_of(response))
        body = response.content.decode()
        assert "Edit</a>" not in body  # no edit buttons on a Final document
        assert Postmortem.objects.get(pk=reviewing.pk).status == "final"


def test_a_reviewer_requests_changes_with_a_comment(client, doc, author, reviewer):
    workflow.submit_for_review(doc, by=author)
    response = login(client, reviewer).post(
        url(doc, "request-changes/"), {"comment": "Add the rollback story"}, follow=True
    )
    assert "Changes requested" in " ".join(messages_of(response))
    assert Postmortem.objects.get(pk=doc.pk).status == "draft"


def test_requesting_changes_without_a_comment_is_refused(client, doc, author, reviewer):
    workflow.submit_for_review(doc, by=author)
    response = login(client, reviewer).post(
        url(doc, "request-changes/"), {"comment": ""}, follow=True
    )
    assert "the comment is required" in " ".join(messages_of(response))
    assert Postmortem.objects.get(pk=doc.pk).status == "in_review"


class TestApprovalsPage:
    def test_an_author_adds_a_slot(self, client, doc, author, outsider):
        login(client, author).post(
            url(doc, "approvals/"),
            {"new-role": "Reviewer (Security)", "new-assignee": outsider.pk, "new-required": "on"},
        )
        added = Approval.objects.get(postmortem=doc, role="Reviewer (Security)")
        assert (added.assignee, added.required, added.is_author_slot) == (outsider, True, False)

    def test_an_author_cannot_be_made_reviewer(self, client, doc, author, coauthor):
        response = login(client, author).post(
            url(doc, "approvals/"),
            {"new-role": "Reviewer", "new-assignee": coauthor.pk},
            follow=True,
        )
        assert "must be someone independent" in response.content.decode()
        assert not Approval.objects.filter(postmortem=doc, role="Reviewer").exists()

    def test_a_reviewer_cannot_remove_a_slot(self, client, doc, reviewer):
        approval = Approval.objects.get(postmortem=doc, role="Approver (VP Eng)")
        response = login(client, reviewer).post(
            url(doc, "approvals/"), {"remove": approval.pk}, follow=True
        )
        assert "Only an author can change who approves" in response.content.decode()
        assert Approval.objects.filter(pk=approval.pk).exists()

    def test_a_forged_signature_field_changes_nothing(self, client, doc, author):
        approval = Approval.objects.get(postmortem=doc, role="Approver (VP Eng)")
        login(client, author).post(
            url(doc, "approvals/"),
            {
                "save_all": "1",
                "slot": approval.pk,
                f"a{approval.pk}-role": "Approver (VP Eng)",
                f"a{approval.pk}-assignee": approval.assignee_id,
                f"a{approval.pk}-required": "on",
                "signed_at": "2026-01-01T00:00:00Z",
                "content_hash": "0" * 64,
                "decision": "approved",
            },
        )
        approval.refresh_from_db()
        assert not approval.is_signed and approval.content_hash == ""


class TestComments:
    def test_a_reviewer_comments_and_the_section_counts_it(self, client, doc, reviewer):
        login(client, reviewer).post(
            url(doc, "comments/"), {"section": "impact", "body": "Which SLO window?"}
        )
        comment = Comment.objects.get()
        assert (comment.section, comment.author) == ("impact", reviewer)
        body = client.get(url(doc)).content.decode()
        assert "Which SLO window?" in body
        assert "1 unresolved" in body

    def test_replies_and_resolving(self, client, doc, author, reviewer):
        thread = Comment.objects.create(postmortem=doc, section="impact", author=reviewer, body="Q")
        login(client, author).post(
            url(doc, "comments/"), {"section": "impact", "parent": thread.pk, "body": "A"}
        )
        assert thread.replies.get().body == "A"
        client.post(url(doc, f"comments/{thread.pk}/resolve/"))
        thread.refresh_from_db()
        assert thread.is_resolved and thread.resolved_by == author
        assert "unresolved" not in client.get(url(doc)).content.decode()

    def test_someone_with_no_part_cannot_comment(self, client, doc, outsider):
        response = login(client, outsider).post(
            url(doc, "comments/"), {"section": "impact", "body": "x"}
        )
        assert response.status_code == 403
        assert not Comment.objects.exists()

    def test_comment_text_is_sanitized(self, client, doc, reviewer):
        login(client, reviewer).post(
            url(doc, "comments/"), {"section": "impact", "body": "<script>alert(1)</script>"}
        )
        body = client.get(url(doc)).content.decode()
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_review_page_lists_what_waits_for_me(client, doc, author, reviewer):
    workflow.submit_for_review(doc, by=author)
    response = login(client, reviewer).get("/review/")
    assert [p.key for p in response.context["waiting"]] == [doc.key]
    response = login(client, author).get("/review/")
    assert [p.key for p in response.context["in_review_mine"]] == [doc.key]
    # The author's own slot is unsigned too: it waits for the author's signature.
    assert [p.key for p in response.context["waiting"]] == [doc.key]
    response = login(client, reviewer).get("/review/")
    assert list(response.context["drafts"]) == []


def test_the_review_page_shows_documents_sent_back(client, doc, author, reviewer):
    workflow.submit_for_review(doc, by=author)
    workflow.request_changes(doc, by=reviewer, comment="More detail")
    response = login(client, author).get("/review/")
    assert [p.key for p in response.context["returned"]] == [doc.key]
    assert list(response.context["drafts"]) == []


def test_the_document_page_query_count_does_not_grow_with_review_data(
    client, doc, author, reviewer
):
    login(client, author)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(doc)).status_code == 200
    for n in range(30):
        person = UserFactory()
        Approval.objects.create(
            postmortem=doc, role=f"Reviewer {n}", assignee=person, required=False
        )
        thread = Comment.objects.create(
            postmortem=doc, section="impact", author=reviewer, body=f"Q{n}"
        )
        Comment.objects.create(
            postmortem=doc, section="impact", author=author, body="A", parent=thread
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get(url(doc)).status_code == 200
    assert len(large) == len(small)
