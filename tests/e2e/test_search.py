import re

import pytest
from playwright.sync_api import expect

from postmortems.models import Activity, Tag
from tests.factories import ActionItemFactory, PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_someone_searches_filters_and_links_a_similar_incident(
    page, sign_in, author, coauthor, password, postmortem
):
    # Saved through the ORM, each committed on its own: the search text follows every save.
    older = PostmortemFactory(
        key="INC-2025-0042",
        title="Payments connection pool exhausted",
        severity="sev1",
        status="final",
        authors=[coauthor],
    )
    older.tags.set([Tag.objects.create(name="payments")])
    TimelineEventFactory(postmortem=older, description="Paged the on-call via PagerDuty")
    ActionItemFactory(postmortem=older, action="Write the pool sizing runbook")
    PostmortemFactory(key="INC-2025-0043", title="DNS outage", severity="sev3")
    postmortem.title = "Checkout connection pool exhaustion"
    postmortem.save()
    sign_in("alice", password)

    # The header's search box: words that only appear in a timeline row.
    page.get_by_role("searchbox", name="Search past incidents").fill("pagerduty")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=pagerduty")
    results = page.locator(".search-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("INC-2025-0042")
    expect(results.first.locator("mark")).to_have_text("PagerDuty")

    # Filters combine with the words and stay in the address.
    page.get_by_label("Search every section of every postmortem").fill('"connection pool"')
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results).to_have_count(2)
    page.get_by_label("SEV-1").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(results).to_have_count(1)
    assert "severity=sev1" in page.url
    page.get_by_label("Sort by").select_option("date")
    page.get_by_role("button", name="Apply filters").click()
    expect(results).to_have_count(1)
    assert "sort=date" in page.url

    # The Draft suggests the older incident; one click links it as related.
    page.goto(postmortem.get_absolute_url())
    similar = page.locator("#similar")
    expect(similar).to_contain_text("INC-2025-0042")
    expect(similar).not_to_contain_text("INC-2025-0043")
    similar.locator("li", has_text="INC-2025-0042").get_by_role(
        "button", name=re.compile(r"^Link as related\W+INC-2025-0042$")
    ).click()
    expect(page.locator(".messages")).to_contain_text("INC-2025-0042 is now a related incident")
    assert list(postmortem.related_incidents.values_list("key", flat=True)) == ["INC-2025-0042"]
    assert Activity.objects.filter(postmortem=postmortem, section="supporting").exists()
    expect(similar).not_to_contain_text("INC-2025-0042")
