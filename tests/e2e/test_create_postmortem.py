import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_signs_in_and_creates_a_postmortem(page, sign_in, author, password):
    sign_in("alice", password)
    expect(page.get_by_role("heading", name="Postmortems")).to_be_visible()

    page.get_by_role("link", name="New postmortem").first.click()
    page.get_by_label("Title").fill("Checkout API returned 500s")
    page.get_by_label("Incident date").fill("2026-02-03")
    page.get_by_label("Severity").select_option(label="SEV-1")
    page.get_by_label("Executive summary").fill(
        "Checkout failed for **every** user for 12 minutes."
    )
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout API returned 500s")
    expect(page.get_by_text("was created as a Draft")).to_be_visible()
    expect(page.locator(".markdown strong")).to_have_text("every")
    created = Postmortem.objects.get()
    assert created.status == Postmortem.Status.DRAFT
    assert page.url.endswith(f"/postmortems/{created.key}/")


def test_a_mistake_in_the_form_keeps_what_was_typed(page, sign_in, author, password):
    sign_in("alice", password)
    page.goto("/postmortems/new/")
    page.get_by_label("Title").fill("Half-written")
    page.get_by_label("Executive summary").fill("Some words I do not want to lose")
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Half-written")
    expect(page.get_by_label("Executive summary")).to_have_value("Some words I do not want to lose")
    assert not Postmortem.objects.exists()
