import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postmortems.models import ActionItem, Postmortem
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
