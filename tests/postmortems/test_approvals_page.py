"""The approvals page saves every row in one submit: "Save all" saves each row that changed, in
one transaction through the workflow, or none of them, with each refused row's reason beside
it and every value typed kept on the page. The approval policy's rules still hold."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from postmortems import workflow
from postmortems.models import Activity, Approval
from tests.factories import UserFactory, ready_for_review

pytestmark = pytest.mark.django_db

SRE, ENG, VP = "Reviewer (SRE Lead)", "Reviewer (Eng Lead)", "Approver (VP Eng)"


class SaveAllForm(HTMLParser):
    """What the browser would post with "Save all": every input and select of the form (the
    table's cells say so with their `form` attribute), as the page shows them."""

    FORM = "approvals-all"

    def __init__(self, html):
        super().__init__()
        self.data, self.selects, self._select = [], {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("form") != self.FORM and tag != "option":
            return
        if tag == "input":
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data.append((attrs["name"], attrs.get("value", "on")))
        elif tag == "select":
            self._select = attrs["name"]
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.selects)
        ):
            self.selects[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def posted(self, **changes):
        """The form's data with some values changed (None unticks a checkbox, a list is every
        value of a name)."""
        data = {}
        for name, value in [*self.data, *self.selects.items()]:
            data.setdefault(name, []).append(value)
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return {**data, "save_all": "1"}


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", display_name="Erin Park")


@pytest.fixture
def doc(author, coauthor, reviewer, approver, erin):
    """A Draft under the template's policy, plus one slot of the authors' own."""
    pm = ready_for_review(
        authors=[author, coauthor],
        slots=[("Author", author, True), (SRE, reviewer, False), (VP, approver, False)],
    )
    workflow.add_approval(pm, by=author, role="Reviewer (Security)", required=False)
    return pm


def slot(doc, role):
    return Approval.objects.select_related("assignee").get(postmortem=doc, role=role)


def field(doc, role, name):
    return f"a{slot(doc, role).pk}-{name}"


def url(doc):
    return f"/postmortems/{doc.key}/approvals/"


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def open_page(client, doc):
    response = client.get(url(doc))
    assert response.status_code == 200
    return SaveAllForm(response.content.decode())


def logged(doc):
    return list(
        Activity.objects.filter(postmortem=doc, verb=Activity.Verb.APPROVALS_CHANGED)
        .order_by("id")
        .values_list("detail", flat=True)
    )


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


class TestSaveAll:
    def test_several_rows_are_saved_in_one_submit(self, doc, author, erin, outsider):
        client = as_user(author)
        form = open_page(client, doc)
        before = logged(doc)
        response = client.post(
            url(doc),
            form.posted(
                **{
                    field(doc, SRE, "assignee"): erin.pk,
                    field(doc, "Reviewer (Security)", "role"): "Reviewer (AppSec)",
                    field(doc, "Reviewer (Security)", "assignee"): outsider.pk,
                    field(doc, "Reviewer (Security)", "required"): "on",
                }
            ),
            follow=True,
        )
        assert "Saved Reviewer (SRE Lead), Reviewer (AppSec)." in messages_of(response)
        assert slot(doc, SRE).assignee == erin
        appsec = slot(doc, "Reviewer (AppSec)")
        assert (appsec.assignee, appsec.required) == (outsider, True)
        # One entry per changed slot; the rows left alone are neither saved nor logged.
        assert logged(doc)[len(before) :] == [
            "Reviewer (SRE Lead): Erin Park",
            "Reviewer (AppSec): Mallory Outsider",
        ]
        assert slot(doc, VP).assignee.username == "victor"

    def test_the_page_has_one_save_button_for_every_row(self, doc, author):
        body = as_user(author).get(url(doc)).content.decode()
        assert body.count('name="save_all"') == 1
        assert 'name="update"' not in body
        form = open_page(as_user(author), doc)
        assert sorted(int(v) for n, v in form.data if n == "slot") == sorted(
            a.pk for a in Approval.objects.filter(postmortem=doc)
        )

    def test_two_reviewers_swap_slots_in_one_save(self, doc, author, reviewer, approver):
        client = as_user(author)
        form = open_page(client, doc)
        response = client.post(
            url(doc),
            form.posted(
                **{
                    field(doc, SRE, "assignee"): approver.pk,
                    field(doc, VP, "assignee"): reviewer.pk,
                }
            ),
            follow=True,
        )
        assert "Nothing was saved" not in messages_of(response)
        assert (slot(doc, SRE).assignee, slot(doc, VP).assignee) == (approver, reviewer)

    def test_nothing_changed_saves_nothing(self, doc, author):
        client = as_user(author)
        before = logged(doc)
        response = client.post(url(doc), open_page(client, doc).posted(), follow=True)
        assert "Nothing to save" in messages_of(response)
        assert logged(doc) == before

    def test_a_row_left_alone_keeps_what_someone_saved_meanwhile(
        self, doc, author, coauthor, erin, outsider
    ):
        client = as_user(author)
        form = open_page(client, doc)  # Alice opens the page…
        workflow.update_approval(  # …Bob gives the VP's slot to Erin meanwhile…
            slot(doc, VP), by=coauthor, role=VP, assignee=erin, required=True
        )
        # …and Alice saves a change to another row only: Bob's choice stays.
        client.post(url(doc), form.posted(**{field(doc, SRE, "assignee"): outsider.pk}))
        assert (slot(doc, SRE).assignee, slot(doc, VP).assignee) == (outsider, erin)


class TestOneBadRowSavesNothing:
    def test_errors_beside_the_row_and_every_value_kept(self, doc, author, coauthor, erin):
        client = as_user(author)
        form = open_page(client, doc)
        sre, security = slot(doc, SRE), slot(doc, "Reviewer (Security)")
        response = client.post(
            url(doc),
            form.posted(
                **{
                    field(doc, "Reviewer (Security)", "role"): "Reviewer (Sec)",
                    field(doc, "Reviewer (Security)", "assignee"): erin.pk,
                    # An author cannot review her own document.
                    field(doc, SRE, "assignee"): coauthor.pk,
                }
            ),
        )
        assert response.status_code == 200
        assert "Nothing was saved" in messages_of(response)
        body = response.content.decode()
        error = body[body.index(f'id="slot-{sre.pk}-error"') :].split("</div>")[0]
        assert "Bob Jones wrote or edited this version" in error
        assert f'id="slot-{security.pk}-error"' not in body
        # Nothing saved, not even the good row…
        assert slot(doc, "Reviewer (Security)").assignee is None
        assert slot(doc, SRE).assignee.username == "carol"
        # …and what was typed is still on the page, in both rows.
        again = SaveAllForm(body)
        assert again.posted()[field(doc, "Reviewer (Security)", "role")] == ["Reviewer (Sec)"]
        assert again.selects[field(doc, "Reviewer (Security)", "assignee")] == str(erin.pk)
        assert again.selects[field(doc, SRE, "assignee")] == str(coauthor.pk)
        # What the page first showed travels on, so the next save knows what changed.
        assert again.posted()[field(doc, SRE, "shown_assignee")] == [str(sre.assignee_id)]

    def test_a_row_the_form_refuses(self, doc, author, erin):
        client = as_user(author)
        form = open_page(client, doc)
        security = slot(doc, "Reviewer (Security)")
        response = client.post(
            url(doc),
            form.posted(
                **{
                    field(doc, "Reviewer (Security)", "role"): "",
                    field(doc, SRE, "assignee"): erin.pk,
                }
            ),
        )
        body = response.content.decode()
        assert "Role: This field is required." in body.split(f'id="slot-{security.pk}-error"')[1]
        assert slot(doc, SRE).assignee.username == "carol"

    def test_one_person_in_two_slots_is_refused(self, doc, author, approver):
        client = as_user(author)
        form = open_page(client, doc)
        response = client.post(
            url(doc), form.posted(**{field(doc, "Reviewer (Security)", "assignee"): approver.pk})
        )
        assert "Victor Chen already holds Approver (VP Eng)" in messages_of(response)
        assert slot(doc, "Reviewer (Security)").assignee is None


class TestThePolicyStillDecides:
    @pytest.mark.parametrize(
        "changes, refusal",
        [
            ({"role": "Someone"}, "cannot be renamed"),
            ({"required": None}, "cannot be renamed or made optional"),
        ],
        ids=["renamed", "made-optional"],
    )
    def test_a_policy_slot_cannot_be_renamed_or_made_optional(
        self, doc, author, erin, changes, refusal
    ):
        client = as_user(author)
        form = open_page(client, doc)
        forged = {field(doc, SRE, name): value for name, value in changes.items()}
        response = client.post(
            url(doc), form.posted(**forged, **{field(doc, VP, "assignee"): erin.pk})
        )
        assert refusal in messages_of(response)
        assert (slot(doc, SRE).role, slot(doc, SRE).required) == (SRE, True)
        assert slot(doc, VP).assignee.username == "victor"

    def test_a_reviewer_who_requested_changes_keeps_the_slot(self, doc, author, reviewer, erin):
        workflow.submit_for_review(doc, by=author)
        workflow.request_changes(doc, by=reviewer, comment="Deeper, please.")
        client = as_user(author)
        form = open_page(client, doc)
        # Their row is not part of the save…
        assert field(doc, SRE, "assignee") not in form.selects
        # …forging it in is refused, and nothing else is saved with it.
        response = client.post(
            url(doc),
            form.posted(
                slot=[str(a.pk) for a in Approval.objects.filter(postmortem=doc)],
                **{
                    field(doc, SRE, "role"): SRE,
                    field(doc, SRE, "assignee"): erin.pk,
                    field(doc, SRE, "required"): "on",
                    field(doc, VP, "assignee"): "",
                },
            ),
        )
        assert "requested changes as Reviewer (SRE Lead)" in messages_of(response)
        assert slot(doc, SRE).assignee == reviewer
        assert slot(doc, VP).assignee.username == "victor"

    def test_only_the_authors_save(self, doc, reviewer, erin):
        client = as_user(reviewer)
        response = client.post(
            url(doc),
            {
                "save_all": "1",
                "slot": slot(doc, VP).pk,
                field(doc, VP, "role"): VP,
                field(doc, VP, "assignee"): erin.pk,
                field(doc, VP, "required"): "on",
            },
            follow=True,
        )
        assert "Only an author can change who approves" in messages_of(response)
        assert slot(doc, VP).assignee.username == "victor"
