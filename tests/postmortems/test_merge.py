"""Two people saving the same section or row: field by field, nobody's change is lost.

Each case starts the way a person does: both open the form (GET), then both save. The second
save merges with the first wherever the two changed different things."""

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from postmortems import merge
from postmortems.models import ActionItem
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory


def edit_url(postmortem, section):
    return reverse("postmortems:edit", args=[postmortem.key, section])


def posted(form, **changes):
    """What the browser posts for an unchanged form, with `changes` typed over it."""
    data = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif isinstance(widget, forms.widgets.ChoiceWidget):
            data[bound.html_name] = "" if value is None else str(value)
        elif value is not None:
            formatted = widget.format_value(value)
            data[bound.html_name] = "" if formatted is None else str(formatted)
    for name, value in changes.items():
        data[form.add_prefix(name)] = value
    return data


@pytest.fixture
def alice(author):
    client = Client()
    client.force_login(author)
    return client


@pytest.fixture
def bob(coauthor):
    client = Client()
    client.force_login(coauthor)
    return client


@pytest.fixture
def doc(author, coauthor):
    return PostmortemFactory(
        key="INC-2026-0007",
        authors=[author, coauthor],
        resolution_summary="Pool raised",
        fix_type="permanent",
        resolution_details="Raised the pool.\nRestarted the API.\nWatched the graphs.",
        verification="Checked the dashboard.",
    )


def open_form(client, postmortem, section):
    response = client.get(edit_url(postmortem, section))
    assert response.status_code == 200
    return response.context["form"]


class TestPureMerge:
    def test_different_lines_of_a_text_merge(self):
        merged, clean = merge.merge_text("a\nb\nc\nd", "A\nb\nc\nd", "a\nb\nc\nD")
        assert (merged, clean) == ("A\nb\nc\nD", True)

    def test_the_same_line_keeps_both_theirs_first(self):
        merged, clean = merge.merge_text("a\nb\nc", "a\nmine\nc", "a\ntheirs\nc")
        assert not clean
        assert merged == "a\ntheirs\nmine\nc"

    def test_sets_take_both_sides_additions_and_removals(self):
        outcome = merge.merge_field(merge.SET, ["1", "2"], ["1", "2", "3"], ["2", "4"])
        assert outcome.value == ["2", "3", "4"] and not outcome.conflict

    def test_a_value_both_changed_differently_is_a_conflict(self):
        outcome = merge.merge_field(merge.VALUE, "sev2", "sev1", "sev3")
        assert outcome.conflict

    def test_numbers_compare_as_numbers(self):
        from decimal import Decimal

        outcome = merge.merge_field(merge.VALUE, Decimal("99.9000"), Decimal("99.9"), "99.95")
        assert outcome.changed == "theirs" and outcome.value == "99.95"

    def test_huge_texts_are_a_conflict_not_a_slow_merge(self):
        base = "\n".join(str(n) for n in range(2_000))
        merged, clean = merge.merge_text(base, base + "\nmine", base + "\ntheirs")
        assert not clean
        assert merged == base + "\ntheirs\n" + base + "\nmine"


class TestSection:
    def test_different_fields_of_one_section_merge(self, alice, bob, doc):
        """The issue's case: Alice changes "How was service restored?", Bob "Verification"."""
        alice_form = open_form(alice, doc, "resolution")
        bob_form = open_form(bob, doc, "resolution")
        data = posted(alice_form, resolution_details="Raised the pool to 500.")
        assert alice.post(edit_url(doc, "resolution"), data).status_code == 302

        response = bob.post(
            edit_url(doc, "resolution"),
            posted(bob_form, verification="Ran the load test."),
            follow=True,
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "merged with what Alice Smith saved meanwhile" in body
        doc.refresh_from_db()
        assert doc.resolution_details == "Raised the pool to 500."
        assert doc.verification == "Ran the load test."

    def test_a_save_after_a_merge_does_not_revert(self, alice, bob, doc):
        alice_form = open_form(alice, doc, "resolution")
        bob_form = open_form(bob, doc, "resolution")
        alice.post(edit_url(doc, "resolution"), posted(alice_form, resolution_summary="Alice's"))
        bob.post(edit_url(doc, "resolution"), posted(bob_form, verification="Bob's check"))
        # Bob saves again from the page he was sent back to: Alice's summary stays.
        again = open_form(bob, doc, "resolution")
        bob.post(edit_url(doc, "resolution"), posted(again, verification="Bob's second check"))
        doc.refresh_from_db()
        assert (doc.resolution_summary, doc.verification) == ("Alice's", "Bob's second check")

    def test_different_lines_of_one_text_merge(self, alice, bob, doc):
        alice_form = open_form(alice, doc, "resolution")
        bob_form = open_form(bob, doc, "resolution")
        text = "Raised the pool to 500.\nRestarted the API.\nWatched the graphs."
        alice.post(edit_url(doc, "resolution"), posted(alice_form, resolution_details=text))
        text = "Raised the pool.\nRestarted the API.\nWatched the graphs for an hour."
        response = bob.post(edit_url(doc, "resolution"), posted(bob_form, resolution_details=text))
        assert response.status_code == 302
        doc.refresh_from_db()
        assert doc.resolution_details == (
            "Raised the pool to 500.\nRestarted the API.\nWatched the graphs for an hour."
        )

    def test_the_same_line_shows_both_and_the_next_save_keeps_every_word(self, alice, bob, doc):
        alice_form = open_form(alice, doc, "resolution")
        bob_form = open_form(bob, doc, "resolution")
        alice.post(edit_url(doc, "resolution"), posted(alice_form, verification="Alice checked."))
        response = bob.post(
            edit_url(doc, "resolution"), posted(bob_form, verification="Bob checked.")
        )
        assert response.status_code == 409
        body = response.content.decode()
        assert '<pre class="conflict-theirs" id="theirs-verification">Alice checked.</pre>' in body
        assert '<pre class="conflict-mine" id="mine-verification">Bob checked.</pre>' in body
        doc.refresh_from_db()
        assert doc.verification == "Alice checked."
        # The box holds both; saving it as it is keeps both people's words.
        form = response.context["form"]
        assert form["verification"].value() == "Alice checked.\nBob checked."
        assert bob.post(edit_url(doc, "resolution"), posted(form)).status_code == 302
        doc.refresh_from_db()
        assert doc.verification == "Alice checked.\nBob checked."

    def test_authors_added_by_both_are_all_kept(self, alice, bob, doc, author, coauthor):
        carol, dave = UserFactory(display_name="Carol"), UserFactory(display_name="Dave")
        alice_form = open_form(alice, doc, "overview")
        bob_form = open_form(bob, doc, "overview")
        ids = [str(author.pk), str(coauthor.pk)]
        assert (
            alice.post(
                edit_url(doc, "overview"), posted(alice_form, authors=[*ids, str(carol.pk)])
            ).status_code
            == 302
        )
        response = bob.post(
            edit_url(doc, "overview"), posted(bob_form, authors=[*ids, str(dave.pk)])
        )
        assert response.status_code == 302
        doc.refresh_from_db()
        assert set(doc.authors.all()) == {author, coauthor, carol, dave}

    def test_a_forged_base_is_not_trusted(self, alice, bob, doc):
        alice_form = open_form(alice, doc, "resolution")
        bob_form = open_form(bob, doc, "resolution")
        alice.post(edit_url(doc, "resolution"), posted(alice_form, resolution_summary="Alice's"))
        # Bob's form claims the base already had Alice's summary, to make his old value win.
        data = posted(bob_form, resolution_summary="Pool raised", base="forged")
        response = bob.post(edit_url(doc, "resolution"), data)
        assert response.status_code == 409
        doc.refresh_from_db()
        assert doc.resolution_summary == "Alice's"

    def test_the_base_names_no_related_incident_the_editor_may_not_see(
        self, alice, doc, author, outsider
    ):
        from django.core import signing

        secret = PostmortemFactory(key="SEC-2026-0001", restricted=True, authors=[outsider])
        doc.related_incidents.add(secret)
        form = open_form(alice, doc, "supporting")
        payload = signing.loads(form["base"].value(), salt=form._salt())
        assert str(secret.pk) not in payload["related_incidents"]
        assert "SEC-2026-0001" not in form["base"].value()
        # And the link survives the editor's save.
        alice.post(edit_url(doc, "supporting"), posted(form, references="See the runbook."))
        doc.refresh_from_db()
        assert secret in doc.related_incidents.all()


class TestRows:
    def test_edits_of_different_columns_merge(self, alice, bob, doc):
        item = ActionItemFactory(postmortem=doc, action="Raise the pool", priority="p2")
        url = reverse("postmortems:row-edit", args=[doc.key, "action-items", item.pk])
        page = f"{edit_url(doc, 'action-items')}?edit={item.pk}"
        alice_form = alice.get(page).context["edit_form"]
        bob_form = bob.get(page).context["edit_form"]
        assert (
            alice.post(url, posted(alice_form, action="Raise the pool to 500")).status_code == 302
        )
        response = bob.post(url, posted(bob_form, priority="p0"), follow=True)
        assert "were kept (Action)" in response.content.decode()
        item.refresh_from_db()
        assert (item.action, item.priority) == ("Raise the pool to 500", "p0")

    def test_saving_a_row_someone_removed_says_so_and_keeps_the_text(self, alice, bob, doc):
        item = ActionItemFactory(postmortem=doc, action="Raise the pool")
        url = reverse("postmortems:row-edit", args=[doc.key, "action-items", item.pk])
        bob_form = bob.get(f"{edit_url(doc, 'action-items')}?edit={item.pk}").context["edit_form"]
        alice.post(reverse("postmortems:row-delete", args=[doc.key, "action-items", item.pk]))
        response = bob.post(url, posted(bob_form, action="Raise the pool to 500, then alert"))
        assert response.status_code == 409
        body = response.content.decode()
        assert "Someone removed this action item while you were editing it" in body
        # What Bob typed is in the add form, ready to add again.
        assert response.context["add_form"]["action"].value() == "Raise the pool to 500, then alert"
        assert not ActionItem.objects.filter(postmortem=doc).exists()

    def test_without_javascript_adding_a_row_keeps_the_sections_unsaved_text(self, alice, doc):
        form = open_form(alice, doc, "root-cause")
        data = posted(form, root_cause_why="Typed but not saved yet")
        data["new-description"] = "The pool was too small"
        response = alice.post(reverse("postmortems:row-add", args=[doc.key, "root-cause"]), data)
        assert response.status_code == 200
        assert response.context["form"]["root_cause_why"].value() == "Typed but not saved yet"
        assert "are kept below: save them" in response.content.decode()
        doc.refresh_from_db()
        assert doc.contributing_factors.get().description == "The pool was too small"
        assert doc.root_cause_why == ""


class TestHiddenRelated:
    def test_taking_their_related_incidents_neither_names_nor_refuses_a_hidden_one(
        self, alice, bob, doc, author, coauthor
    ):
        """Alice may read a restricted related incident, Bob may not. Alice links another
        incident; Bob then saves the references: the merge takes Alice's links without
        putting the hidden one in Bob's form (which would refuse his save and show its id)."""
        secret = PostmortemFactory(key="SEC-2026-0001", restricted=True, authors=[author])
        other = PostmortemFactory(key="INC-2026-0100")
        doc.related_incidents.add(secret)
        alice_form = open_form(alice, doc, "supporting")
        bob_form = open_form(bob, doc, "supporting")
        visible = [str(pk) for pk in alice_form["related_incidents"].value()]
        assert str(secret.pk) in visible
        response = alice.post(
            edit_url(doc, "supporting"),
            posted(alice_form, related_incidents=[*visible, str(other.pk)]),
        )
        assert response.status_code == 302
        # What Bob's browser posts: the select holds only what he may see (nothing linked).
        data = posted(bob_form, references="See the runbook.", related_incidents=[])
        response = bob.post(edit_url(doc, "supporting"), data)
        body = response.content.decode()
        assert f"{secret.pk} is not one of the available choices" not in body
        assert response.status_code == 302
        doc.refresh_from_db()
        assert doc.references == "See the runbook."
        assert set(doc.related_incidents.all()) == {secret, other}


def test_services_added_by_both_are_all_kept(alice, bob, doc):
    from postmortems.models import Tag

    doc.tags.set([Tag.objects.create(name="api")])
    alice_form = open_form(alice, doc, "overview")
    bob_form = open_form(bob, doc, "overview")
    assert (
        alice.post(edit_url(doc, "overview"), posted(alice_form, tags="api, postgres")).status_code
        == 302
    )
    response = bob.post(edit_url(doc, "overview"), posted(bob_form, tags="redis"))
    assert response.status_code == 302
    # Bob removed api and added redis; Alice added postgres: all three changes stay.
    assert sorted(doc.tags.values_list("name", flat=True)) == ["postgres", "redis"]


def test_without_a_trustworthy_base_a_removed_author_is_not_put_back(alice, bob, doc, author):
    carol = UserFactory(display_name="Carol")
    doc.authors.add(carol)
    bob_form = open_form(bob, doc, "overview")
    alice_form = open_form(alice, doc, "overview")
    keep = [str(pk) for pk in doc.authors.exclude(pk=carol.pk).values_list("pk", flat=True)]
    assert (
        alice.post(edit_url(doc, "overview"), posted(alice_form, authors=keep)).status_code == 302
    )
    # Bob's form from before (say, a changed secret key): its base no longer proves anything.
    response = bob.post(edit_url(doc, "overview"), posted(bob_form, title="Bob's title", base=""))
    assert response.status_code == 409
    assert carol not in doc.authors.all()
    authors = next(f for f in response.context["conflict"]["fields"] if f["name"] == "authors")
    assert "Carol" in authors["mine"] and "Carol" not in authors["theirs"]
