"""Review criteria before signing: every reviewer and approver confirms each active criterion
(the SRE workbook's postmortem review by default), the signature records them as they read,
and "request changes" can point at the criteria and sections that fall short."""

import importlib
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from postmortems import workflow
from postmortems.content import document_hash
from postmortems.models import (
    DEFAULT_CRITERIA,
    Activity,
    Approval,
    ChangeRequestPoints,
    Postmortem,
    ReviewCriterion,
)
from tests.factories import PASSWORD, UserFactory, criteria_tokens, shown_hash, sign

pytestmark = pytest.mark.django_db

COMMENT = "Read it twice; the **timeline** is convincing."


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def slot(doc, role):
    return Approval.objects.get(postmortem=doc, role=role)


def sign_url(doc, role):
    return f"/postmortems/{doc.key}/approvals/{slot(doc, role).pk}/sign/"


def banner(body):
    found = re.search(r'<section class="review-banner.*?</section>', body, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def criteria(db):
    """Three criteria of our own (the defaults taken away), the last one inactive."""
    ReviewCriterion.objects.all().delete()
    return [
        ReviewCriterion.objects.create(
            text="The root cause is deep enough", help="Why the safeguards missed it.", position=1
        ),
        ReviewCriterion.objects.create(text="The impact assessment is complete", position=2),
        ReviewCriterion.objects.create(text="An old criterion", position=3, active=False),
    ]


@pytest.fixture
def reviewing(doc, author, criteria):
    workflow.submit_for_review(doc, by=author)
    return doc


def test_the_migration_creates_the_sre_workbooks_review():
    texts = list(ReviewCriterion.objects.active().values_list("text", flat=True))
    assert texts == [text for text, _ in DEFAULT_CRITERIA]
    assert "The root cause is deep enough" in texts
    assert any(t.startswith("Key incident data was collected for posterity") for t in texts)
    # The migration keeps its own copy (it never imports the app's code): the same.
    migration = importlib.import_module("postmortems.migrations.0016_review_criteria")
    assert migration.DEFAULT_CRITERIA == DEFAULT_CRITERIA


class TestSigning:
    def test_the_sign_page_lists_every_active_criterion(self, reviewing, reviewer, criteria):
        body = as_user(reviewer).get(sign_url(reviewing, "Reviewer (SRE Lead)")).content.decode()
        assert "Confirm each review criterion" in body
        assert "The root cause is deep enough" in body and "Why the safeguards missed it." in body
        assert "The impact assessment is complete" in body
        assert "An old criterion" not in body  # inactive: not asked

    def test_without_every_criterion_nothing_is_signed_and_the_comment_is_kept(
        self, reviewing, reviewer, criteria
    ):
        response = as_user(reviewer).post(
            sign_url(reviewing, "Reviewer (SRE Lead)"),
            {
                "password": PASSWORD,
                "seen_hash": shown_hash(reviewing),
                "comment": COMMENT,
                "criteria": [criteria[0].token],
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Nothing was signed: confirm every review criterion" in body
        assert "“The impact assessment is complete”" in body.split('id="sign-criteria-error"')[1]
        assert COMMENT.replace("*", "") in body.replace("*", "")  # the comment, kept
        assert PASSWORD not in body  # the password, never echoed
        # What was ticked stays ticked.
        ticked = re.search(rf'value="{re.escape(criteria[0].token)}"[^>]*>', body).group(0)
        assert "checked" in ticked
        assert not slot(reviewing, "Reviewer (SRE Lead)").is_signed
        assert not Activity.objects.filter(postmortem=reviewing, verb="signed").exists()

    def test_the_workflow_refuses_it_too(self, reviewing, reviewer, criteria):
        approval = slot(reviewing, "Reviewer (SRE Lead)")
        with pytest.raises(workflow.CriteriaUnconfirmed, match="Not ticked"):
            sign(approval, by=reviewer, criteria=[])
        assert not slot(reviewing, "Reviewer (SRE Lead)").is_signed

    def test_the_signature_records_the_criteria_as_they_read(
        self, reviewing, reviewer, criteria, admin_user
    ):
        response = as_user(reviewer).post(
            sign_url(reviewing, "Reviewer (SRE Lead)"),
            {
                "password": PASSWORD,
                "seen_hash": shown_hash(reviewing),
                "criteria": [c.token for c in criteria[:2]],
            },
        )
        assert response.status_code == 302
        signed = slot(reviewing, "Reviewer (SRE Lead)")
        assert signed.is_signed
        assert signed.confirmed_criteria == [
            {"id": criteria[0].pk, "text": "The root cause is deep enough"},
            {"id": criteria[1].pk, "text": "The impact assessment is complete"},
        ]
        # Shown with the signature, on the document and on the approvals page.
        for url in (reviewing.get_absolute_url(), f"/postmortems/{reviewing.key}/approvals/"):
            body = as_user(reviewer).get(url).content.decode()
            assert "2 review criteria confirmed" in body
            assert "The root cause is deep enough" in body
        # An administrator rewords one and retires the other: the signature keeps its words.
        client = as_user(admin_user)
        first = criteria[0]
        response = client.post(
            f"/admin/postmortems/reviewcriterion/{first.pk}/change/",
            {"text": "The root cause is explained", "help": "", "position": "1", "active": "on"},
        )
        assert response.status_code == 302
        assert ReviewCriterion.objects.get(pk=first.pk).text == "The root cause is explained"
        ReviewCriterion.objects.filter(pk=criteria[1].pk).update(active=False)
        kept = slot(reviewing, "Reviewer (SRE Lead)").confirmed_criteria
        assert [c["text"] for c in kept] == [
            "The root cause is deep enough",
            "The impact assessment is complete",
        ]
        body = as_user(reviewer).get(reviewing.get_absolute_url()).content.decode()
        assert "The root cause is deep enough" in body

    def test_a_criterion_reworded_after_the_page_opened_is_not_confirmed(
        self, reviewing, reviewer, criteria
    ):
        shown = [c.token for c in criteria[:2]]
        ReviewCriterion.objects.filter(pk=criteria[1].pk).update(text="The impact is measured")
        response = as_user(reviewer).post(
            sign_url(reviewing, "Reviewer (SRE Lead)"),
            {"password": PASSWORD, "seen_hash": shown_hash(reviewing), "criteria": shown},
        )
        body = response.content.decode()
        assert "“The impact is measured”" in body and "Reworded by an administrator" in body
        assert not slot(reviewing, "Reviewer (SRE Lead)").is_signed

    def test_an_inactive_criterion_is_not_asked(self, reviewing, reviewer, criteria):
        sign(slot(reviewing, "Reviewer (SRE Lead)"), by=reviewer, criteria=criteria_tokens())
        recorded = slot(reviewing, "Reviewer (SRE Lead)").confirmed_criteria
        assert [c["text"] for c in recorded] == [c.text for c in criteria[:2]]

    def test_the_approver_confirms_them_too(self, reviewing, approver, criteria):
        approval = slot(reviewing, "Approver (VP Eng)")
        with pytest.raises(workflow.CriteriaUnconfirmed):
            sign(approval, by=approver, criteria=[])
        sign(approval, by=approver)
        assert len(slot(reviewing, "Approver (VP Eng)").confirmed_criteria) == 2

    def test_the_authors_own_sign_off_confirms_none(self, reviewing, author, criteria):
        body = as_user(author).get(sign_url(reviewing, "Author")).content.decode()
        assert "Confirm each review criterion" not in body
        response = as_user(author).post(
            sign_url(reviewing, "Author"),
            {"password": PASSWORD, "seen_hash": shown_hash(reviewing)},
        )
        assert response.status_code == 302
        assert slot(reviewing, "Author").is_signed
        assert slot(reviewing, "Author").confirmed_criteria == []

    def test_without_active_criteria_there_is_nothing_to_confirm(self, reviewing, reviewer):
        ReviewCriterion.objects.update(active=False)
        sign(slot(reviewing, "Reviewer (SRE Lead)"), by=reviewer, criteria=[])
        assert slot(reviewing, "Reviewer (SRE Lead)").is_signed

    def test_they_are_in_export_json_and_not_in_the_signed_content(
        self, reviewing, author, reviewer, criteria
    ):
        before = shown_hash(reviewing)
        sign(slot(reviewing, "Reviewer (SRE Lead)"), by=reviewer)
        assert shown_hash(reviewing) == before
        response = as_user(author).get(f"/postmortems/{reviewing.key}/export.json")
        data = json.loads(response.content)
        by_role = {a["role"]: a for a in data["approvals"]}
        assert by_role["Reviewer (SRE Lead)"]["confirmed_criteria"] == [
            "The root cause is deep enough",
            "The impact assessment is complete",
        ]
        assert by_role["Author"]["confirmed_criteria"] == []
        assert "confirmed_criteria" not in json.dumps(data["content"])

    def test_a_reopen_clears_them_with_the_signature(self, reviewing, author, reviewer, approver):
        for role, who in [
            ("Author", author),
            ("Reviewer (SRE Lead)", reviewer),
            ("Approver (VP Eng)", approver),
        ]:
            sign(slot(reviewing, role), by=who)
        assert Postmortem.objects.get(pk=reviewing.pk).status == "final"
        workflow.reopen(reviewing, by=author, reason="New findings")
        assert slot(reviewing, "Reviewer (SRE Lead)").confirmed_criteria == []


class TestCriteriaInTheAdmin:
    def test_superusers_edit_them(self, admin_user, criteria):
        body = as_user(admin_user).get("/admin/postmortems/reviewcriterion/").content.decode()
        assert "The root cause is deep enough" in body

    def test_staff_without_the_superuser_flag_cannot(self, criteria):
        staff = UserFactory(username="sam", is_staff=True)
        response = as_user(staff).get("/admin/postmortems/reviewcriterion/")
        assert response.status_code == 403


class TestRequestChanges:
    def test_the_form_offers_the_criteria_and_sections(self, reviewing, reviewer, criteria):
        body = as_user(reviewer).get(reviewing.get_absolute_url()).content.decode()
        form = body.split('action="/postmortems/INC-2026-0100/request-changes/"')[1]
        form = form.split("</form>")[0]
        assert f'name="criteria" value="{criteria[0].pk}"' in form
        assert "An old criterion" not in form
        assert 'name="sections" value="root-cause"' in form

    def test_the_authors_see_what_it_pointed_at(self, reviewing, author, reviewer, criteria):
        response = as_user(reviewer).post(
            f"/postmortems/{reviewing.key}/request-changes/",
            {
                "comment": "Go one level deeper.",
                "criteria": [str(criteria[0].pk)],
                "sections": ["timeline", "root-cause"],
            },
        )
        assert response.status_code == 302
        assert Postmortem.objects.get(pk=reviewing.pk).status == "draft"
        points = ChangeRequestPoints.objects.get()
        assert points.activity.verb == Activity.Verb.CHANGES_REQUESTED
        assert points.criteria == ["The root cause is deep enough"]
        assert points.sections == ["timeline", "root-cause"]  # the template's order
        client = as_user(author)
        for url in (reviewing.get_absolute_url(), f"/postmortems/{reviewing.key}/edit/impact/"):
            shown = banner(client.get(url).content.decode())
            assert "Go one level deeper." in shown
            assert "Review criteria not met yet" in shown
            assert "The root cause is deep enough" in shown
            assert "impact assessment" not in shown
            assert f'href="/postmortems/{reviewing.key}/edit/timeline/">Timeline</a>' in shown
            assert f'href="/postmortems/{reviewing.key}/edit/root-cause/">' in shown
        # Submitted again: the banner (and what it pointed at) is gone.
        workflow.submit_for_review(reviewing, by=author)
        workflow.withdraw(reviewing, by=author)
        assert (
            "Review criteria not met"
            not in client.get(reviewing.get_absolute_url()).content.decode()
        )

    def test_nothing_pointed_at_keeps_the_banner_as_it_was(self, reviewing, author, reviewer):
        workflow.request_changes(reviewing, by=reviewer, comment="More detail")
        assert not ChangeRequestPoints.objects.exists()
        shown = banner(as_user(author).get(reviewing.get_absolute_url()).content.decode())
        assert "More detail" in shown and "review-points" not in shown

    def test_an_unknown_section_or_criterion_changes_nothing(self, reviewing, reviewer, criteria):
        for data in (
            {"comment": "x", "sections": ["nowhere"]},
            {"comment": "x", "criteria": [str(criteria[2].pk)]},  # inactive
        ):
            response = as_user(reviewer).post(
                f"/postmortems/{reviewing.key}/request-changes/", data, follow=True
            )
            assert "is gone" in response.content.decode()
            assert Postmortem.objects.get(pk=reviewing.pk).status == "in_review"
        with pytest.raises(workflow.TransitionError, match="no longer asked"):
            workflow.request_changes(reviewing, by=reviewer, comment="x", criteria=[criteria[2].pk])
        assert Postmortem.objects.get(pk=reviewing.pk).status == "in_review"


def test_the_demo_still_loads_with_its_signers_confirming_the_criteria():
    call_command("seed_demo")
    main = Postmortem.objects.with_document().get(key="INCIDENT-12345")
    assert main.status == Postmortem.Status.FINAL
    asked = [text for text, _ in DEFAULT_CRITERIA]
    for approval in main.approvals.all():
        texts = [c["text"] for c in approval.confirmed_criteria]
        assert texts == ([] if approval.is_author_slot else asked)
        assert approval.content_hash == document_hash(main)
