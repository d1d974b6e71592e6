"""What a person typed survives every way a save can go wrong, and nobody locks anyone out."""

import re

import pytest
from django.urls import reverse

from postmortems.forms.review import CommentForm
from postmortems.models import Comment
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory
from tests.postmortems.test_merge import open_form, posted

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(postmortem, section):
    return reverse("postmortems:edit", args=[postmortem.key, section])


@pytest.fixture
def doc(author, coauthor):
    return PostmortemFactory(key="INC-2026-0011", authors=[author, coauthor])


class TestAuthors:
    def test_the_authors_are_checkboxes_so_a_click_changes_one_person(self, author_client, doc):
        body = author_client.get(edit_url(doc, "overview")).content.decode()
        assert len(re.findall(r'<input type="checkbox" [^>]*name="authors"', body)) >= 2
        assert '<select name="authors"' not in body

    def test_unticking_yourself_asks_first_and_keeps_what_was_typed(
        self, author_client, doc, author, coauthor
    ):
        form = open_form(author_client, doc, "overview")
        data = posted(form, authors=[str(coauthor.pk)], executive_summary="Typed summary")
        response = author_client.post(edit_url(doc, "overview"), data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "You unticked yourself" in body
        assert 'type="checkbox" name="confirm_leave"' in body
        assert response.context["form"]["executive_summary"].value() == "Typed summary"
        doc.refresh_from_db()
        assert set(doc.authors.all()) == {author, coauthor}

    def test_confirmed_she_leaves_and_lands_on_the_document(
        self, author_client, doc, author, coauthor
    ):
        form = open_form(author_client, doc, "overview")
        data = posted(form, authors=[str(coauthor.pk)], confirm_leave="on")
        response = author_client.post(edit_url(doc, "overview"), data)
        assert response.status_code == 302
        assert response["Location"] == doc.get_absolute_url()
        doc.refresh_from_db()
        assert set(doc.authors.all()) == {coauthor}

    def test_the_last_author_cannot_be_removed(self, author_client, doc, author):
        form = open_form(author_client, doc, "overview")
        data = posted(form, authors=[], confirm_leave="on")
        response = author_client.post(edit_url(doc, "overview"), data)
        assert "A postmortem needs at least one author." in response.content.decode()
        assert doc.authors.count() == 2

    def test_ticking_someone_else_off_needs_no_confirmation(
        self, author_client, doc, author, coauthor
    ):
        form = open_form(author_client, doc, "overview")
        carol = UserFactory(display_name="Carol")
        data = posted(form, authors=[str(author.pk), str(carol.pk)])
        assert author_client.post(edit_url(doc, "overview"), data).status_code == 302
        assert set(doc.authors.all()) == {author, carol}


class TestRows:
    def test_after_adding_the_add_form_keeps_category_and_priority_and_takes_focus(
        self, author_client, doc
    ):
        response = author_client.post(
            reverse("postmortems:row-add", args=[doc.key, "action-items"]),
            {
                "new-category": "detection",
                "new-action": "Alert on pool use",
                "new-owner_name": "Dana",
                "new-priority": "p0",
                "new-status": "open",
            },
            **HTMX,
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert re.search(r'<option value="detection" selected>', body)
        assert re.search(r'<option value="p0" selected>', body)
        table, add = body.split('id="add-row-title"', 1)
        add = add.split("Add action item</button>")[0]
        assert "Alert on pool use" in table and "Alert on pool use" not in add
        assert "data-autofocus" in body

    def test_the_still_to_fill_in_hint_follows_the_rows(self, author_client, doc):
        page = author_client.get(edit_url(doc, "action-items")).content.decode()
        assert "Still to fill in: At least one action item" in page
        response = author_client.post(
            reverse("postmortems:row-add", args=[doc.key, "action-items"]),
            {"new-category": "prevent", "new-action": "Raise the pool", "new-priority": "p1",
             "new-status": "open", "new-owner_name": "Dana", "new-due_date": "2026-03-01"},
            **HTMX,
        )  # fmt: skip
        body = response.content.decode()
        assert (
            'id="missing-hint" class="small text-body-secondary mb-3 d-none" hx-swap-oob="true"'
            in body
        )

    def test_without_javascript_removing_a_row_keeps_the_sections_unsaved_text(
        self, author_client, doc
    ):
        factor = doc.contributing_factors.create(description="A small pool")
        form = open_form(author_client, doc, "root-cause")
        data = posted(form, root_cause_component="Typed, unsaved")
        response = author_client.post(
            reverse("postmortems:row-delete", args=[doc.key, "root-cause", factor.pk]), data
        )
        assert response.status_code == 200
        assert response.context["form"]["root_cause_component"].value() == "Typed, unsaved"
        assert not doc.contributing_factors.exists()

    def test_opening_a_removed_row_says_it_is_gone(self, author_client, doc):
        item = ActionItemFactory(postmortem=doc)
        url = reverse("postmortems:row-edit", args=[doc.key, "action-items", item.pk])
        item.delete()
        response = author_client.get(url, follow=True)
        assert "That action item was removed meanwhile." in response.content.decode()


class TestComments:
    def test_an_over_long_comment_stays_in_its_box_with_the_reason(self, client, author, doc):
        client.force_login(author)
        text = "word " * 2_001  # 10,005 characters
        response = client.post(
            reverse("postmortems:comment-add", args=[doc.key]),
            {"section": "timeline", "body": text},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert text.strip() in body
        assert "at most 10000 characters" in body or "10,000" in body
        assert not Comment.objects.exists()

    def test_every_comment_box_shows_the_forms_own_limit(self, author_client, doc):
        body = author_client.get(doc.get_absolute_url()).content.decode()
        limit = CommentForm.base_fields["body"].max_length
        assert f'data-limit="{limit}"' in body
        assert not re.search(rf'data-limit="(?!{limit}")\d+"[^>]*name="body"', body)

    def test_editor_text_boxes_show_their_limit(self, author_client, doc):
        body = author_client.get(edit_url(doc, "resolution")).content.decode()
        assert re.search(r'<textarea[^>]*data-limit="20000"[^>]*name="verification"', body) or (
            re.search(r'<textarea[^>]*name="verification"[^>]*data-limit="20000"', body)
        )
