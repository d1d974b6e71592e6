import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postmortems.models import ActionItem, Postmortem
from tests.e2e.conftest import sign_in_on
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_marks_an_item_done_in_place(
    page, sign_in, author, coauthor, password, postmortem
):
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Postmortem.Status.FINAL)
    today = timezone.now().date()
    ActionItemFactory(
        postmortem=postmortem,
        action="Lower the alert threshold",
        owner=author,
        due_date=today - datetime.timedelta(days=2),
    )
    ActionItemFactory(
        postmortem=postmortem,
        action="Write the runbook",
        owner=author,
        due_date=today + datetime.timedelta(days=20),
    )
    sign_in("alice", password)

    page.get_by_role("link", name="Action items").click()
    row = page.locator("tr", has_text="Lower the alert threshold")
    expect(row).to_have_class("overdue")
    expect(row.get_by_role("button", name="Save")).to_be_hidden()  # htmx saves on change
    row.get_by_label("Status of “Lower the alert threshold”").select_option(label="Done")
    expect(row.get_by_role("status")).to_have_text("Saved")
    assert ActionItem.objects.get(action="Lower the alert threshold").status == "done"

    # The document (Final, read-only otherwise) shows the new status.
    page.goto(postmortem.get_absolute_url() + "#action-items")
    expect(
        page.locator(
            "#status-" + str(ActionItem.objects.get(action="Lower the alert threshold").pk)
        )
    ).to_have_value("done")


def test_a_row_changed_meanwhile_merges_both_changes(
    new_page, author, coauthor, password, postmortem
):
    item = ActionItemFactory(postmortem=postmortem, action="Raise the pool", owner=coauthor)
    alice = sign_in_on(new_page(), "alice", password)
    bob = sign_in_on(new_page(), "bob", password)

    # Alice opens the row in the editor (htmx swaps the edit form in) and types.
    alice.goto(f"/postmortems/{postmortem.key}/edit/action-items/")
    alice.locator(f"#row-{item.pk}").get_by_role("link", name="Edit").click()
    action = alice.locator(f"#row-{item.pk} input[name='row-action']")
    action.fill("Raise the pool to 500 connections")

    # Meanwhile Bob, the owner, marks it Done from the action items page.
    bob.goto("/action-items/")
    bob.get_by_label("Status of “Raise the pool”").select_option(label="Done")
    expect(bob.locator("tr", has_text="Raise the pool").get_by_role("status")).to_have_text("Saved")

    # Alice saves: they changed different columns, so both changes stay (Bob's status is not
    # put back to Open by Alice's older form).
    with alice.expect_response(lambda r: r.request.method == "POST") as answer:
        alice.get_by_role("button", name="Save action item").click()
    assert answer.value.status == 200
    expect(alice.locator(f"#row-{item.pk}")).to_contain_text("Raise the pool to 500 connections")
    item.refresh_from_db()
    assert (item.action, item.status) == ("Raise the pool to 500 connections", "done")
