"""Every transition, for each role and state: allowed ones work, the rest change nothing."""

import pytest
from django.core import mail

from postmortems import editing, permissions, workflow
from postmortems.content import document_hash, is_current
from postmortems.models import Activity, Approval, Postmortem
from tests.factories import PASSWORD, PostmortemFactory, sign

pytestmark = pytest.mark.django_db
Status = Postmortem.Status


def slot(doc, role):
    return Approval.objects.get(postmortem=doc, role=role)


def fresh(doc):
    return Postmortem.objects.get(pk=doc.pk)


def in_review(doc, author):
    workflow.submit_for_review(doc, by=author)
    mail.outbox.clear()
    return fresh(doc)


def sign_all(doc, people):
    for role, person in people:
        sign(slot(doc, role), by=person, password=PASSWORD)


def verbs(doc):
    return list(
        Activity.objects.filter(postmortem=doc).order_by("id").values_list("verb", flat=True)
    )


class TestCreate:
    def test_a_draft_gets_the_template_approval_slots(self, author):
        import datetime

        pm = workflow.create_draft(
            by=author, title="T", incident_date=datetime.date(2026, 1, 2), severity="sev3"
        )
        roles = [(a.role, a.assignee, a.is_author_slot) for a in pm.approvals.all()]
        assert roles == [
            ("Author", author, True),
            ("Reviewer (SRE Lead)", None, False),
            ("Reviewer (Eng Lead)", None, False),
            ("Approver (VP Eng)", None, False),
        ]
        assert verbs(pm) == ["created"]


class TestSubmit:
    def test_an_author_submits_and_the_assignees_are_emailed(
        self, doc, author, reviewer, approver, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            workflow.submit_for_review(doc, by=author)
        assert fresh(doc).status == Status.IN_REVIEW
        assert verbs(doc)[-1] == "submitted"
        assert sorted(m.to[0] for m in mail.outbox) == sorted([approver.email, reviewer.email])
        assert "Review requested" in mail.outbox[0].subject

    @pytest.mark.parametrize("who", ["reviewer", "approver", "outsider", "admin_user"])
    def test_only_an_author_submits(self, doc, request, who):
        with pytest.raises(workflow.TransitionError, match="Only an author"):
            workflow.submit_for_review(doc, by=request.getfixturevalue(who))
        assert fresh(doc).status == Status.DRAFT
        assert mail.outbox == []

    def test_it_lists_what_is_missing(self, author, reviewer):
        pm = PostmortemFactory(authors=[author], executive_summary="")
        Approval.objects.create(postmortem=pm, role="Reviewer", is_author_slot=False)
        with pytest.raises(workflow.TransitionError) as error:
            workflow.submit_for_review(pm, by=author)
        message = str(error.value)
        assert "Overview: Executive summary" in message
        assert "Timeline: At least one event" in message
        assert "Approvals: assign someone as Reviewer" in message
        assert fresh(pm).status == Status.DRAFT

    def test_an_author_cannot_hold_a_reviewer_slot(self, doc, author, coauthor):
        Approval.objects.filter(postmortem=doc, role="Reviewer (SRE Lead)").update(
            assignee=coauthor
        )
        with pytest.raises(
            workflow.TransitionError,
            match="Bob Jones wrote or edited this version and cannot review",
        ):
            workflow.submit_for_review(doc, by=author)

    @pytest.mark.parametrize("status", [Status.IN_REVIEW, Status.FINAL])
    def test_only_a_draft_is_submitted(self, doc, author, status):
        Postmortem.objects.filter(pk=doc.pk).update(status=status)
        with pytest.raises(workflow.TransitionError, match="this needs it to be Draft"):
            workflow.submit_for_review(doc, by=author)


class TestWithdrawAndRequestChanges:
    def test_an_author_withdraws(self, doc, author):
        doc = in_review(doc, author)
        workflow.withdraw(doc, by=author)
        assert fresh(doc).status == Status.DRAFT
        assert verbs(doc)[-1] == "withdrawn"

    @pytest.mark.parametrize("who", ["reviewer", "outsider"])
    def test_others_cannot_withdraw(self, doc, author, request, who):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError):
            workflow.withdraw(doc, by=request.getfixturevalue(who))
        assert fresh(doc).status == Status.IN_REVIEW

    def test_a_reviewer_requests_changes_and_the_authors_are_told(
        self, doc, author, coauthor, reviewer, django_capture_on_commit_callbacks
    ):
        doc = in_review(doc, author)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.request_changes(doc, by=reviewer, comment="Explain the 95% threshold.")
        assert fresh(doc).status == Status.DRAFT
        entry = Activity.objects.filter(postmortem=doc).latest("id")
        assert (entry.verb, entry.actor, entry.detail) == (
            "changes_requested",
            reviewer,
            "Explain the 95% threshold.",
        )
        assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, coauthor.email])
        assert "Explain the 95% threshold." in mail.outbox[0].body

    @pytest.mark.parametrize("who", ["author", "coauthor", "outsider"])
    def test_only_an_assigned_reviewer_requests_changes(self, doc, author, request, who):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError, match="Only an assigned reviewer"):
            workflow.request_changes(doc, by=request.getfixturevalue(who), comment="No")
        assert fresh(doc).status == Status.IN_REVIEW

    def test_changes_need_a_comment(self, doc, author, reviewer):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError, match="Say what should change"):
            workflow.request_changes(doc, by=reviewer, comment="   ")
        assert fresh(doc).status == Status.IN_REVIEW


class TestSign:
    def test_the_assignee_signs_with_their_password(
        self, doc, author, coauthor, reviewer, django_capture_on_commit_callbacks
    ):
        doc = in_review(doc, author)
        with django_capture_on_commit_callbacks(execute=True):
            approval = sign(
                slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD, comment="LGTM"
            )
        approval.refresh_from_db()
        assert approval.decision == "approved"
        assert approval.comment == "LGTM"
        assert approval.signed_at is not None
        assert approval.content_hash == document_hash(
            Postmortem.objects.with_document().get(pk=doc.pk)
        )
        assert len(approval.content_hash) == 64
        assert fresh(doc).status == Status.IN_REVIEW
        assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, coauthor.email])
        assert "Signed by Carol White as Reviewer (SRE Lead)" in mail.outbox[0].subject

    def test_a_wrong_password_signs_nothing(self, doc, author, reviewer):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError, match="password is not right"):
            sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password="guess")
        assert not slot(doc, "Reviewer (SRE Lead)").is_signed

    @pytest.mark.parametrize("who", ["author", "coauthor", "approver", "outsider", "admin_user"])
    def test_nobody_signs_for_someone_else(self, doc, author, request, who):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError, match="Only the person assigned as Reviewer"):
            sign(
                slot(doc, "Reviewer (SRE Lead)"), by=request.getfixturevalue(who), password=PASSWORD
            )
        assert not slot(doc, "Reviewer (SRE Lead)").is_signed

    def test_a_draft_cannot_be_signed(self, doc, reviewer):
        with pytest.raises(workflow.TransitionError, match="this needs it to be Under Review"):
            sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD)

    def test_signing_twice_is_refused(self, doc, author, reviewer):
        doc = in_review(doc, author)
        sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD)
        with pytest.raises(workflow.TransitionError, match="already signed this version"):
            sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD)

    def test_the_last_signature_makes_it_final(
        self, doc, author, reviewer, approver, settings, django_capture_on_commit_callbacks
    ):
        settings.POSTMORTEM_REVIEW_AFTER_DAYS = 30
        doc = in_review(doc, author)
        sign_all(doc, [("Author", author), ("Reviewer (SRE Lead)", reviewer)])
        assert fresh(doc).status == Status.IN_REVIEW
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            sign(slot(doc, "Approver (VP Eng)"), by=approver, password=PASSWORD)
        final = fresh(doc)
        assert final.status == Status.FINAL
        assert (final.next_review_date - final.updated_at.date()).days == 30
        snapshot = final.snapshots.get()
        assert snapshot.version == 1
        assert snapshot.content_hash == slot(doc, "Approver (VP Eng)").content_hash
        assert "INC-2026-0100" in snapshot.html
        assert verbs(doc)[-2:] == ["signed", "finalized"]
        finalized = [m for m in mail.outbox if "Final:" in m.subject]
        assert sorted(m.to[0] for m in finalized) == sorted(
            {a.email for a in doc.authors.all()} | {reviewer.email, approver.email}
        )

    def test_an_optional_slot_does_not_hold_up_final(
        self, doc, author, reviewer, approver, outsider
    ):
        workflow.add_approval(
            doc, by=author, role="Reviewer (Security)", assignee=outsider, required=False
        )
        doc = in_review(doc, author)
        sign_all(
            doc,
            [
                ("Author", author),
                ("Reviewer (SRE Lead)", reviewer),
                ("Approver (VP Eng)", approver),
            ],
        )
        assert fresh(doc).status == Status.FINAL


class TestStaleSignatures:
    def test_an_edit_after_signing_makes_the_signature_stale(self, doc, author, reviewer, approver):
        doc = in_review(doc, author)
        sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD)
        workflow.request_changes(doc, by=approver, comment="Add the rollback detail.")

        form_doc = Postmortem.objects.with_document().get(pk=doc.pk)
        from postmortems.sections import BY_SLUG

        ResolutionForm = BY_SLUG["resolution"].form

        form = ResolutionForm(
            {
                "section_revision": "0",
                "resolution_summary": "Pool 100 → 500; rollback fixed",
                "fix_type": "permanent",
                "verification": "Error rate normal",
            },
            instance=form_doc,
        )
        assert form.is_valid(), form.errors
        editing.save_section(form_doc, "resolution", form, by=author)
        doc = in_review(doc, author)

        reviewer_slot = slot(doc, "Reviewer (SRE Lead)")
        assert reviewer_slot.is_signed and not is_current(reviewer_slot, fresh(doc))
        sign_all(doc, [("Author", author), ("Approver (VP Eng)", approver)])
        assert fresh(doc).status == Status.IN_REVIEW  # still waiting for the stale one
        sign(reviewer_slot, by=reviewer, password=PASSWORD)
        assert fresh(doc).status == Status.FINAL

    def test_comments_do_not_change_what_was_signed(self, doc, author, reviewer, client):
        doc = in_review(doc, author)
        sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer, password=PASSWORD)
        before = document_hash(Postmortem.objects.with_document().get(pk=doc.pk))
        client.force_login(reviewer)
        client.post(f"/postmortems/{doc.key}/comments/", {"section": "impact", "body": "Nice"})
        after = Postmortem.objects.with_document().get(pk=doc.pk)
        assert after.comments.count() == 1
        assert document_hash(after) == before
        assert is_current(slot(doc, "Reviewer (SRE Lead)"), after)


class TestFinalAndReopen:
    @pytest.fixture
    def final(self, doc, author, reviewer, approver):
        doc = in_review(doc, author)
        sign_all(
            doc,
            [
                ("Author", author),
                ("Reviewer (SRE Lead)", reviewer),
                ("Approver (VP Eng)", approver),
            ],
        )
        return fresh(doc)

    def test_a_final_document_cannot_be_edited(self, final, author):
        assert not permissions.can_edit(author, Postmortem.objects.with_document().get(pk=final.pk))

    def test_an_author_reopens_with_a_reason(self, final, author, client):
        workflow.reopen(final, by=author, reason="New data on the root cause")
        reopened = fresh(final)
        assert (reopened.status, reopened.version, reopened.next_review_date) == (
            Status.DRAFT,
            2,
            None,
        )
        assert not any(a.is_signed for a in reopened.approvals.all())
        entry = Activity.objects.filter(postmortem=final).latest("id")
        assert (entry.verb, entry.detail) == ("reopened", "New data on the root cause")
        client.force_login(author)
        response = client.get(f"/postmortems/{final.key}/versions/1/")
        assert response.status_code == 200
        assert (
            "Version 1.0" in response.content.decode() or "version 1.0" in response.content.decode()
        )

    def test_an_admin_reopens(self, final, admin_user):
        workflow.reopen(final, by=admin_user, reason="Audit request")
        assert fresh(final).status == Status.DRAFT

    @pytest.mark.parametrize("who", ["reviewer", "outsider"])
    def test_others_cannot_reopen(self, final, request, who):
        with pytest.raises(workflow.TransitionError, match="Only an author or an administrator"):
            workflow.reopen(final, by=request.getfixturevalue(who), reason="x")
        assert fresh(final).status == Status.FINAL

    def test_reopening_needs_a_reason(self, final, author):
        with pytest.raises(workflow.TransitionError, match="Give a reason"):
            workflow.reopen(final, by=author, reason="")


class TestApprovalSlots:
    def test_an_author_adds_changes_and_removes_slots(self, doc, author, outsider):
        added = workflow.add_approval(doc, by=author, role="Reviewer (Security)", assignee=outsider)
        assert added.position == 3
        workflow.update_approval(
            added, by=author, role="Reviewer (Sec)", assignee=None, required=False
        )
        added.refresh_from_db()
        assert (added.role, added.assignee, added.required) == ("Reviewer (Sec)", None, False)
        workflow.remove_approval(added, by=author)
        assert not Approval.objects.filter(pk=added.pk).exists()

    def test_an_author_is_not_put_in_a_reviewer_slot(self, doc, author, coauthor):
        with pytest.raises(workflow.TransitionError, match="must be someone independent"):
            workflow.add_approval(doc, by=author, role="Reviewer", assignee=coauthor)

    def test_slots_are_fixed_once_under_review(self, doc, author, outsider):
        doc = in_review(doc, author)
        with pytest.raises(workflow.TransitionError, match="change only while it is a Draft"):
            workflow.add_approval(doc, by=author, role="Reviewer (Security)", assignee=outsider)

    def test_a_reviewer_cannot_change_the_slots(self, doc, reviewer):
        with pytest.raises(workflow.TransitionError, match="Only an author"):
            workflow.remove_approval(slot(doc, "Reviewer (SRE Lead)"), by=reviewer)
