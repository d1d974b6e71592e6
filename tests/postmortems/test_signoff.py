"""Sign-off proves independent review: the approval policy decides who must sign, nobody who
wrote the version reviews it, nobody holds two slots, a reviewer who asked for changes keeps
the slot, a signature is for the content the signer saw and stays current only while the
content hash matches.

Each test starts from a reproduction of the trust issue, done over HTTP where it was."""

import datetime

import pytest
from django.test import Client

from postmortems import workflow
from postmortems.activity import log_action
from postmortems.content import document_hash, is_current
from postmortems.models import Activity, Approval, Postmortem, Snapshot
from tests.factories import (
    PASSWORD,
    UserFactory,
    ready_for_review,
    set_policy,
    shown_hash,
    sign,
)

pytestmark = pytest.mark.django_db
Status = Postmortem.Status
TEMPLATE = [
    ("Author", True),
    ("Reviewer (SRE Lead)", False),
    ("Reviewer (Eng Lead)", False),
    ("Approver (VP Eng)", False),
]


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", display_name="Erin Park")


@pytest.fixture
def doc(author, coauthor, reviewer, approver, erin):
    """A complete Draft under the template's policy, every slot filled independently."""
    return ready_for_review(
        authors=[author, coauthor],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Reviewer (Eng Lead)", erin, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )


@pytest.fixture
def final(doc, author, reviewer, erin, approver):
    """The Draft above, signed by all four: Final."""
    workflow.submit_for_review(doc, by=author)
    for role, who in [
        ("Author", author),
        ("Reviewer (SRE Lead)", reviewer),
        ("Reviewer (Eng Lead)", erin),
        ("Approver (VP Eng)", approver),
    ]:
        sign(slot(doc, role), by=who)
    assert Postmortem.objects.get(pk=doc.pk).status == Status.FINAL
    return doc


def slot(doc, role):
    return Approval.objects.get(postmortem=doc, role=role)


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def post_slot(client, doc, approval, *, role=None, assignee="", required=True):
    data = {  # one row of the page's "Save all"
        "save_all": "1",
        "slot": approval.pk,
        f"a{approval.pk}-role": role or approval.role,
        f"a{approval.pk}-assignee": assignee.pk if assignee else "",
    }
    if required:
        data[f"a{approval.pk}-required"] = "on"
    return client.post(f"/postmortems/{doc.key}/approvals/", data, follow=True)


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


class TestThePolicyDecides:
    def test_a_new_draft_gets_the_policy_of_its_severity(self, author):
        set_policy("sev1", [("Author", True), ("Security", False), ("CISO", False)])
        pm = workflow.create_draft(
            by=author, title="Leak", incident_date=datetime.date(2026, 2, 1), severity="sev1"
        )
        roles = [(a.role, a.from_policy, a.required) for a in pm.approvals.all()]
        assert roles == [("Author", True, True), ("Security", True, True), ("CISO", True, True)]

    def test_the_default_is_the_template_for_every_severity(self, author):
        for severity in ("sev1", "sev2", "sev3", "sev4"):
            assert workflow.policy_roles(severity) == TEMPLATE

    def test_an_author_cannot_make_a_reviewer_optional_and_reach_final_alone(
        self, doc, author, coauthor
    ):
        # The reproduction: untick Required on every reviewer slot, submit, sign her own.
        client = as_user(author)
        for role in ("Reviewer (SRE Lead)", "Reviewer (Eng Lead)", "Approver (VP Eng)"):
            response = post_slot(
                client, doc, slot(doc, role), assignee=slot(doc, role).assignee, required=False
            )
            assert "required by the approval policy" in messages_of(response)
            assert slot(doc, role).required
        # Even when it is forced in the database, submitting puts the policy back.
        Approval.objects.filter(postmortem=doc, is_author_slot=False).update(required=False)
        workflow.submit_for_review(doc, by=author)
        sign(slot(doc, "Author"), by=author)
        assert Postmortem.objects.get(pk=doc.pk).status == Status.IN_REVIEW
        assert all(a.required for a in Approval.objects.filter(postmortem=doc))

    def test_a_policy_slot_cannot_be_removed_or_renamed(self, doc, author):
        client = as_user(author)
        approval = slot(doc, "Reviewer (SRE Lead)")
        response = client.post(
            f"/postmortems/{doc.key}/approvals/", {"remove": approval.pk}, follow=True
        )
        assert "cannot be removed" in messages_of(response)
        response = post_slot(client, doc, approval, role="Someone", assignee=approval.assignee)
        assert "cannot be renamed" in messages_of(response)
        assert slot(doc, "Reviewer (SRE Lead)").pk == approval.pk

    def test_a_policy_slot_deleted_behind_the_app_is_asked_for_again(self, doc, author):
        Approval.objects.filter(postmortem=doc, role="Reviewer (Eng Lead)").delete()
        with pytest.raises(workflow.TransitionError, match="assign someone as Reviewer \\(Eng"):
            workflow.submit_for_review(doc, by=author)
        assert Postmortem.objects.get(pk=doc.pk).status == Status.DRAFT

    def test_final_waits_for_every_policy_role_even_if_a_slot_vanished(
        self, doc, author, reviewer, erin, approver
    ):
        workflow.submit_for_review(doc, by=author)
        Approval.objects.filter(postmortem=doc, role="Approver (VP Eng)").delete()
        for role, who in [
            ("Author", author),
            ("Reviewer (SRE Lead)", reviewer),
            ("Reviewer (Eng Lead)", erin),
        ]:
            sign(slot(doc, role), by=who)
        assert Postmortem.objects.get(pk=doc.pk).status == Status.IN_REVIEW
        assert not Snapshot.objects.exists()

    def test_changing_the_severity_brings_its_policy(self, doc, author):
        set_policy("sev1", [*TEMPLATE, ("Reviewer (Security)", False)])
        client = as_user(author)
        data = {
            "section_revision": "0",
            "title": doc.title,
            "incident_date": doc.incident_date.isoformat(),
            "severity": "sev1",
            "authors": [a.pk for a in doc.authors.all()],
            "executive_summary": doc.executive_summary,
            "tags": "",
        }
        response = client.post(f"/postmortems/{doc.key}/edit/overview/", data)
        assert response.status_code == 302
        assert slot(doc, "Reviewer (Security)").from_policy

    def test_the_admin_keeps_one_independent_role(self, admin_user):
        from postmortems.models import ApprovalPolicy

        policy = ApprovalPolicy.objects.get(severity="sev4")
        roles = list(policy.roles.all())
        data = {
            "severity": "sev4",
            "roles-TOTAL_FORMS": str(len(roles)),
            "roles-INITIAL_FORMS": str(len(roles)),
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
        }
        for n, role in enumerate(roles):
            data.update(
                {
                    f"roles-{n}-id": role.pk,
                    f"roles-{n}-policy": policy.pk,
                    f"roles-{n}-role": role.role,
                    f"roles-{n}-position": role.position,
                    f"roles-{n}-DELETE": "" if role.is_author_slot else "on",
                }
            )
            if role.is_author_slot:
                data[f"roles-{n}-is_author_slot"] = "on"
        response = as_user(admin_user).post(
            f"/admin/postmortems/approvalpolicy/{policy.pk}/change/", data
        )
        assert response.status_code == 200
        assert "Keep at least one role that is not signed by an author" in (
            response.content.decode()
        )
        assert policy.roles.count() == 4


class TestIndependence:
    def test_one_reviewer_cannot_hold_every_slot(self, doc, author, reviewer):
        client = as_user(author)
        for role in ("Reviewer (Eng Lead)", "Approver (VP Eng)"):
            response = post_slot(client, doc, slot(doc, role), assignee=reviewer)
            assert "already holds Reviewer (SRE Lead)" in messages_of(response)
        assert Approval.objects.filter(postmortem=doc, assignee=reviewer).count() == 1

    def test_two_slots_forced_in_the_database_stop_the_review_and_the_signature(
        self, doc, author, reviewer
    ):
        Approval.objects.filter(postmortem=doc, role="Approver (VP Eng)").update(assignee=reviewer)
        with pytest.raises(workflow.TransitionError, match="Carol White holds two slots"):
            workflow.submit_for_review(doc, by=author)
        Postmortem.objects.filter(pk=doc.pk).update(status=Status.IN_REVIEW)
        with pytest.raises(workflow.TransitionError, match="more than one slot"):
            sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer)

    def test_an_author_who_leaves_the_authors_cannot_review_her_own_version(
        self, doc, author, coauthor
    ):
        # Her authorship is on record in the version history (the document's first version).
        log_action(doc, author, Activity.Verb.CREATED)
        doc.authors.set([coauthor])
        log_action(doc, coauthor, Activity.Verb.EDITED, section="overview")
        Approval.objects.filter(postmortem=doc, is_author_slot=True).update(assignee=coauthor)
        client = as_user(coauthor)
        for role in ("Reviewer (SRE Lead)", "Reviewer (Eng Lead)", "Approver (VP Eng)"):
            response = post_slot(client, doc, slot(doc, role), assignee=author)
            assert "Alice Smith wrote or edited this version" in messages_of(response)
            assert slot(doc, role).assignee != author

    def test_someone_who_edited_the_content_cannot_review_it(self, doc, author, admin_user):
        log_action(doc, admin_user, Activity.Verb.EDITED, section="impact")
        with pytest.raises(workflow.TransitionError, match="wrote or edited this version"):
            workflow.update_approval(
                slot(doc, "Reviewer (SRE Lead)"),
                by=author,
                role="Reviewer (SRE Lead)",
                assignee=admin_user,
                required=True,
            )

    def test_an_editor_put_in_a_slot_behind_the_app_cannot_sign(self, doc, author, reviewer):
        workflow.submit_for_review(doc, by=author)
        log_action(doc, reviewer, Activity.Verb.EDITED, section="impact")
        with pytest.raises(workflow.TransitionError, match="You wrote or edited this version"):
            sign(slot(doc, "Reviewer (SRE Lead)"), by=reviewer)

    def test_a_new_version_forgets_the_last_ones_authors(self, doc, author):
        log_action(doc, author, Activity.Verb.CREATED)
        assert author.pk in workflow.involved_people(doc)
        Postmortem.objects.filter(pk=doc.pk).update(version=2)
        doc.authors.remove(author)
        assert author.pk not in workflow.involved_people(Postmortem.objects.get(pk=doc.pk))


class TestAReviewerWhoAskedForChangesKeepsTheSlot:
    @pytest.fixture
    def sent_back(self, doc, author, reviewer):
        workflow.submit_for_review(doc, by=author)
        workflow.request_changes(doc, by=reviewer, comment="The root cause is not deep enough.")
        return doc

    def test_the_authors_cannot_replace_or_drop_them(self, sent_back, author, outsider):
        client = as_user(author)
        approval = slot(sent_back, "Reviewer (SRE Lead)")
        for assignee in (outsider, None):
            response = post_slot(client, sent_back, approval, assignee=assignee)
            assert "requested changes as Reviewer (SRE Lead)" in messages_of(response)
        assert slot(sent_back, "Reviewer (SRE Lead)").assignee.username == "carol"

    def test_an_extra_slot_of_theirs_cannot_be_made_optional_or_removed(
        self, doc, author, outsider
    ):
        extra = workflow.add_approval(doc, by=author, role="Reviewer (Security)", assignee=outsider)
        workflow.submit_for_review(doc, by=author)
        workflow.request_changes(doc, by=outsider, comment="Rotate the keys first.")
        with pytest.raises(workflow.TransitionError, match="requested changes"):
            workflow.update_approval(
                extra, by=author, role=extra.role, assignee=outsider, required=False
            )
        with pytest.raises(workflow.TransitionError, match="requested changes"):
            workflow.remove_approval(extra, by=author)

    def test_they_hand_it_over_themselves_and_it_is_logged(self, sent_back, reviewer, outsider):
        response = as_user(reviewer).post(
            f"/postmortems/{sent_back.key}/approvals/",
            {
                "hand_over": slot(sent_back, "Reviewer (SRE Lead)").pk,
                f"h{slot(sent_back, 'Reviewer (SRE Lead)').pk}-to": outsider.pk,
            },
            follow=True,
        )
        assert "is now Mallory Outsider" in messages_of(response)
        assert slot(sent_back, "Reviewer (SRE Lead)").assignee == outsider
        entry = Activity.objects.filter(postmortem=sent_back).latest("id")
        assert (entry.actor, entry.detail) == (
            reviewer,
            "handed over Reviewer (SRE Lead) from Carol White to Mallory Outsider",
        )

    def test_an_administrator_can_hand_it_over(self, sent_back, admin_user, outsider):
        workflow.hand_over(slot(sent_back, "Reviewer (SRE Lead)"), by=admin_user, to=outsider)
        assert slot(sent_back, "Reviewer (SRE Lead)").assignee == outsider

    def test_nobody_else_can(self, sent_back, author, outsider):
        with pytest.raises(workflow.TransitionError, match="Only Carol White or an admin"):
            workflow.hand_over(slot(sent_back, "Reviewer (SRE Lead)"), by=author, to=outsider)

    def test_signing_lifts_the_hold(self, sent_back, author, reviewer):
        workflow.submit_for_review(sent_back, by=author)
        sign(slot(sent_back, "Reviewer (SRE Lead)"), by=reviewer)
        assert slot(sent_back, "Reviewer (SRE Lead)").changes_requested_at is None


class TestSignWhatYouSaw:
    def test_a_change_after_the_form_opened_signs_nothing_and_links_the_diff(
        self, doc, author, reviewer, client
    ):
        workflow.submit_for_review(doc, by=author)
        approval = slot(doc, "Reviewer (SRE Lead)")
        client.force_login(reviewer)
        page = client.get(f"/postmortems/{doc.key}/approvals/{approval.pk}/sign/")
        seen = page.context["form"].initial["seen_hash"]
        assert seen == shown_hash(doc)
        # Meanwhile: withdrawn, edited, submitted again.
        workflow.withdraw(doc, by=author)
        as_user(author).post(
            f"/postmortems/{doc.key}/edit/resolution/",
            {
                "section_revision": "0",
                "resolution_summary": "Pool 100 → 50",
                "fix_type": "permanent",
                "verification": "Error rate normal",
            },
        )
        workflow.submit_for_review(doc, by=author)
        response = client.post(
            f"/postmortems/{doc.key}/approvals/{approval.pk}/sign/",
            {"password": PASSWORD, "seen_hash": seen},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Nothing was signed." in body
        assert "See what changed" in body and "/history/" in body
        assert not slot(doc, "Reviewer (SRE Lead)").is_signed

    def test_the_sign_link_carries_what_the_page_showed(self, doc, author, reviewer, client):
        workflow.submit_for_review(doc, by=author)
        client.force_login(reviewer)
        page = client.get(doc.get_absolute_url()).content.decode()
        assert f"/sign/?seen={shown_hash(doc)}" in page

    def test_a_sign_page_opened_from_an_older_page_warns_at_once(
        self, doc, author, reviewer, client
    ):
        workflow.submit_for_review(doc, by=author)
        old = shown_hash(doc)
        Postmortem.objects.filter(pk=doc.pk).update(verification="Changed behind the app")
        client.force_login(reviewer)
        approval = slot(doc, "Reviewer (SRE Lead)")
        page = client.get(f"/postmortems/{doc.key}/approvals/{approval.pk}/sign/?seen={old}")
        assert "changed after you opened it" in page.content.decode()
        response = client.post(
            f"/postmortems/{doc.key}/approvals/{approval.pk}/sign/",
            {"password": PASSWORD, "seen_hash": old},
        )
        assert "Nothing was signed." in response.content.decode()
        assert not slot(doc, "Reviewer (SRE Lead)").is_signed


class TestTheHashDecides:
    def test_a_change_behind_the_app_makes_every_signature_stale(self, final, author, client):
        Postmortem.objects.filter(pk=final.pk).update(root_cause_why="Rewritten in a shell")
        pm = Postmortem.objects.with_document().get(pk=final.pk)
        assert not any(is_current(a, pm) for a in pm.approvals.all())
        client.force_login(author)
        body = client.get(final.get_absolute_url()).content.decode()
        assert "✔ Signed" not in body
        assert body.count("Signed an earlier version") == 4

    def test_the_admin_cannot_change_a_final_document(self, final, admin_user):
        client = as_user(admin_user)
        before = document_hash(Postmortem.objects.with_document().get(pk=final.pk))
        page = client.get(f"/admin/postmortems/postmortem/{final.pk}/change/")
        assert page.status_code == 200
        assert 'name="root_cause_why"' not in page.content.decode()
        client.post(
            f"/admin/postmortems/postmortem/{final.pk}/change/",
            {"root_cause_why": "Admin rewrite", "title": "Changed"},
        )
        after = Postmortem.objects.with_document().get(pk=final.pk)
        assert document_hash(after) == before
        assert after.title != "Changed"

    def test_an_admin_edit_of_a_draft_is_logged_and_versioned(self, doc, admin_user):
        client = as_user(admin_user)
        page = client.get(f"/admin/postmortems/postmortem/{doc.pk}/change/")
        form = page.context["adminform"].form
        data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
        data = {k: v for k, v in data.items() if not isinstance(v, list)}
        data.update(
            authors=[a.pk for a in doc.authors.all()],
            title="Renamed by an admin",
            incident_date="2026-01-29",
        )
        response = client.post(f"/admin/postmortems/postmortem/{doc.pk}/change/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        entry = Activity.objects.filter(postmortem=doc).latest("id")
        assert (entry.actor, entry.section, entry.verb) == (admin_user, "admin", "edited")
        assert "title" in entry.detail
        assert doc.versions.latest("number").content["title"] == "Renamed by an admin"


class TestTheAdminIsForSuperusers:
    def test_staff_with_model_permissions_see_no_document(self, doc, author):
        from django.contrib.auth.models import Permission

        staff = UserFactory(username="sam", is_staff=True)
        staff.user_permissions.set(Permission.objects.filter(codename__endswith="_postmortem"))
        Postmortem.objects.filter(pk=doc.pk).update(restricted=True, title="Secret breach")
        client = as_user(staff)
        assert client.get("/admin/postmortems/postmortem/").status_code == 403
        assert client.get(f"/admin/postmortems/postmortem/{doc.pk}/change/").status_code == 403
        index = client.get("/admin/").content.decode()
        assert "/admin/postmortems/postmortem/" not in index


def test_wrong_signing_passwords_are_throttled_like_sign_ins(doc, author, reviewer, client):
    workflow.submit_for_review(doc, by=author)
    approval = slot(doc, "Reviewer (SRE Lead)")
    client.force_login(reviewer)
    url = f"/postmortems/{doc.key}/approvals/{approval.pk}/sign/"
    for _ in range(30):
        body = client.post(url, {"password": "guess", "seen_hash": shown_hash(doc)})
    assert "Too many wrong passwords" in body.content.decode()
    response = client.post(url, {"password": PASSWORD, "seen_hash": shown_hash(doc)})
    assert "Too many wrong passwords" in response.content.decode()
    assert not slot(doc, "Reviewer (SRE Lead)").is_signed


def test_after_a_reopen_the_authors_of_the_new_version_still_cannot_review_it(
    final, author, coauthor
):
    # The reproduction: Final, Bob reopens, leaves only himself as author, makes Alice a
    # reviewer. The reopen starts version 2.0 with both of them as its authors.
    doc = final
    workflow.reopen(doc, by=coauthor, reason="New findings")
    doc.authors.set([coauthor])
    Approval.objects.filter(postmortem=doc, role="Author").update(assignee=coauthor)
    with pytest.raises(workflow.TransitionError, match="Alice Smith wrote or edited this version"):
        workflow.update_approval(
            slot(doc, "Reviewer (SRE Lead)"),
            by=coauthor,
            role="Reviewer (SRE Lead)",
            assignee=author,
            required=True,
        )
    assert doc.versions.filter(document_version=2).exists()
