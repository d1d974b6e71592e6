"""No lost row updates: a status change is a new revision of the row, an edit that does not
say which revision it was made on is refused, and a conflict answers htmx with 409."""

import pytest
from django.test import Client

from postmortems.models import ActionItem
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def edit_data(item, **overrides):
    data = {
        "row-category": item.category,
        "row-action": item.action,
        "row-owner": "",
        "row-owner_name": item.owner_name,
        "row-due_date": item.due_date.isoformat(),
        "row-priority": item.priority,
        "row-status": item.status,
        "row-tracker_url": "",
        "row-revision": str(item.revision),
    }
    data.update(overrides)
    return data


def row_url(postmortem, item):
    return f"/postmortems/{postmortem.key}/edit/action-items/rows/{item.pk}/"


def test_a_status_change_makes_an_open_edit_form_a_conflict(postmortem, author, coauthor):
    # The reproduction: the author opens the row; the owner (here a co-author) marks it Done;
    # the author saves the row: before, Open came back and both were told "saved".
    item = ActionItemFactory(postmortem=postmortem, owner=coauthor, action="Raise the pool")
    opened = edit_data(item, **{"row-action": "Raise the pool size to 500"})
    as_user(coauthor).post(f"/action-items/{item.pk}/status/", {"status": "done"})
    item.refresh_from_db()
    assert (item.status, item.revision) == ("done", 2)

    response = as_user(author).post(row_url(postmortem, item), opened)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this action item meanwhile" in body
    assert "Raise the pool size to 500" in body  # what the author typed is kept
    item.refresh_from_db()
    assert (item.status, item.action) == ("done", "Raise the pool")


def test_an_edit_without_its_revision_is_a_conflict_not_applied_blind(postmortem, author):
    item = ActionItemFactory(postmortem=postmortem, action="As saved")
    data = edit_data(item, **{"row-action": "Blind write"})
    del data["row-revision"]
    response = as_user(author).post(row_url(postmortem, item), data)
    assert response.status_code == 409
    assert "Blind write" in response.content.decode()
    assert ActionItem.objects.get(pk=item.pk).action == "As saved"


def test_ten_edits_of_one_revision_apply_once(postmortem, author):
    item = ActionItemFactory(postmortem=postmortem)
    client = as_user(author)
    codes = [
        client.post(
            row_url(postmortem, item), edit_data(item, **{"row-action": f"Edit {n}"})
        ).status_code
        for n in range(10)
    ]
    assert codes == [302] + [409] * 9
    assert ActionItem.objects.get(pk=item.pk).action == "Edit 0"


def test_an_htmx_conflict_answers_409_with_the_form(postmortem, author):
    item = ActionItemFactory(postmortem=postmortem)
    stale = edit_data(item, **{"row-action": "Mine"})
    ActionItem.objects.filter(pk=item.pk).update(revision=5, action="Theirs")
    response = as_user(author).post(row_url(postmortem, item), stale, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="rows"')
    assert "Mine" in body and "Theirs" in body
    # The form now carries the saved revision: saving again applies the merged text.
    assert 'name="row-revision" value="5"' in body


def test_the_status_change_answer_still_works_with_htmx(postmortem, author):
    item = ActionItemFactory(postmortem=postmortem)
    response = as_user(author).post(
        f"/action-items/{item.pk}/status/", {"status": "in_progress"}, **HTMX
    )
    assert response.status_code == 200
    assert ActionItem.objects.get(pk=item.pk).revision == 2
