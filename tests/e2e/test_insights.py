import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postmortems.demo import seed_demo
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_reader(password):
    """The demo documents, and a reader who is in none of them (their passwords stay ours)."""
    seed_demo()
    return UserFactory(username="zoe", display_name="Zoe Analyst")


def show_range(page, start, end):
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To", exact=True).fill(end)
    page.get_by_role("button", name="Show").click()


def test_insights_charts_the_demo_data(page, sign_in, demo_reader, password):
    today = timezone.now().date()
    sign_in("zoe", password)
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    for chart in ("incidents", "services", "time_to_detect", "time_to_resolve", "days-to-final"):
        expect(page.locator(f'svg[data-chart="{chart}"]')).to_be_visible()

    # From the first demo incident (2025-11-12) to today, whatever day the test runs.
    show_range(page, "2025-11-01", today.isoformat())

    expect(page.locator('[data-figure="incidents"]')).to_have_text("3")
    bars = page.locator('svg[data-chart="incidents"] rect.bar')
    expect(bars).to_have_count(3)
    january = bars.and_(page.locator('[data-month="2026-01"][data-severity="sev2"]'))
    expect(january).to_be_visible()
    assert january.bounding_box()["height"] > 10
    expect(bars.and_(page.locator('[data-month="2025-11"][data-severity="sev3"]'))).to_be_visible()
    expect(bars.and_(page.locator('[data-month="2026-03"][data-severity="sev3"]'))).to_be_visible()
    expect(page.get_by_role("img", name="Stacked bar chart: 3 incidents")).to_be_visible()

    # TTD 5, 1, 2; TTA 2, 4, 3; resolve 35, 47, 25 minutes.
    expect(page.locator('[data-figure="mean-time_to_detect"]')).to_have_text("2.7 min")
    expect(page.locator('[data-figure="mean-time_to_acknowledge"]')).to_have_text("3 min")
    expect(page.locator('[data-figure="mean-time_to_resolve"]')).to_have_text("35.7 min")
    expect(page.locator('svg[data-chart="time_to_resolve"] circle.dot')).to_have_count(3)

    # 19 action items, one done; every open one was due by March 2026.
    expect(page.locator('[data-figure="completion-rate"]')).to_have_text("5%")
    expect(page.locator('[data-figure="done-of-total"]')).to_have_text("1 of 19 done")
    expect(page.locator('[data-figure="overdue"]')).to_have_text("18")

    services = page.locator('svg[data-chart="services"]')
    expect(services.locator("text.row-label")).to_have_text(
        ["postgres", "api", "checkout", "redis"]
    )
    expect(services.locator("text.bar-total")).to_have_text(["2", "1", "1", "1"])

    # The demo is dated as the work happened, one signature a day after the submission: Final
    # on 2026-02-06 and on 2025-11-20, each 8 days after its incident (four signatures each).
    expect(page.locator('[data-figure="median-days"]')).to_have_text("8")
    expect(page.locator('[data-days="INCIDENT-12345"]')).to_have_text("8")
    expect(page.locator('[data-days="INCIDENT-8901"]')).to_have_text("8")

    # The numbers behind a chart, for anyone who cannot see it.
    page.locator("details", has_text="Show the numbers").first.locator("summary").click()
    expect(page.locator('[data-table="incidents"] tr[data-month="2026-01"] td')).to_have_text(
        ["0", "1", "0", "0", "1"]
    )


def test_a_narrower_range_and_a_backwards_one(page, sign_in, demo_reader, password):
    sign_in("zoe", password)
    page.goto("/insights/")
    show_range(page, "2026-01-01", "2026-01-31")
    expect(page.locator('[data-figure="incidents"]')).to_have_text("1")
    expect(page.locator('[data-figure="done-of-total"]')).to_have_text("0 of 16 done")

    show_range(page, "2026-03-01", "2026-01-01")
    expect(page.get_by_text("The start must be on or before the end.")).to_be_visible()
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-03-01")
    expect(page.get_by_text("Showing the default range")).to_be_visible()
