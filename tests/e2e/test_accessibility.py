"""A walk through the app in Chromium: every page, editor step and error state has no serious or
critical axe-core violation, and none scrolls sideways on a 390 px phone."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from postmortems.sections import SECTIONS
from tests.e2e.conftest import CHROMIUM
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    TimelineEventFactory,
    ready_for_review,
)

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def world(author, coauthor, reviewer, approver):
    draft = PostmortemFactory(
        key="INC-2026-0042",
        authors=[author, coauthor],
        title="A title with a word that never ends: " + "connectionpoolexhaustion" * 6,
        executive_summary="Quality: Good\n- Alert fired quickly\n- Alert was accurate",
    )
    TimelineEventFactory(postmortem=draft, description="Pool exhausted", milestone="started")
    ActionItemFactory(postmortem=draft, owner=author, action="Raise the pool " + "x" * 80)
    waiting = ready_for_review(
        key="INC-2026-0043",
        authors=[author],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
    from postmortems import workflow

    workflow.submit_for_review(waiting, by=author)
    return draft, waiting


def pages(draft, waiting):
    yield "/"
    yield "/?q=pool"
    yield draft.get_absolute_url()
    yield waiting.get_absolute_url()
    yield f"{draft.get_absolute_url()}history/"
    yield f"{draft.get_absolute_url()}approvals/"
    yield "/action-items/"
    yield "/search/?q=pool"
    yield "/search/?q=%22unclosed"
    yield "/insights/"
    yield "/review/"
    yield "/postmortems/new/"
    yield "/postmortems/import/"
    yield "/accounts/password/change/"
    yield "/accounts/profile/"
    for section in SECTIONS:
        yield f"/postmortems/{draft.key}/edit/{section.slug}/"


def check(page, url, problems):
    page.add_script_tag(path=str(AXE))
    for violation in page.evaluate(SERIOUS):
        problems.append(f"{url}: {violation}")
    if page.viewport_size["width"] <= 400 and page.evaluate(WIDTH) > page.viewport_size["width"]:
        problems.append(f"{url}: scrolls sideways ({page.evaluate(WIDTH)} px)")


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_passes_axe_and_fits_a_phone(browser, live_server, world, password, width):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    # axe is injected as a script of its own: the app's CSP rightly refuses it, so this one
    # context (and only it) does not apply the CSP. Every other browser test does.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    try:
        page.goto("/accounts/login/")
        check(page, "/accounts/login/", problems)
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        check(page, "sign-in refused", problems)
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")

        draft, waiting = world
        for url in pages(draft, waiting):
            response = page.goto(url)
            assert response.status == 200, url
            check(page, url, problems)

        # Error states: a section saved with bad values, a row refused, an import refused.
        page.goto(f"/postmortems/{draft.key}/edit/impact/")
        page.get_by_label("SLO target (%)").fill("not a number")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        check(page, "impact with errors", problems)
        page.goto(f"/postmortems/{draft.key}/edit/timeline/")
        page.locator("#rows").get_by_label("Time (UTC)").fill("25:99")
        page.locator("#rows").get_by_role("button", name="Add event").click()
        expect(page.locator("#rows .invalid-feedback").first).to_be_visible()
        check(page, "timeline row with errors", problems)
        page.goto("/postmortems/import/")
        page.get_by_role("button", name="Import").click()
        check(page, "import refused", problems)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
