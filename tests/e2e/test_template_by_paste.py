"""The template's whole example entered through the guided editor: each section's form filled
from its Example text, each table pasted from its Example block, every submission counted.

The issue's goal: 15 submissions or fewer. A submission is every POST that reaches the server
from a submit button, except the paste box's live previews (htmx requests as the text is
typed, which save nothing).
"""

import pytest
from playwright.sync_api import expect

from postmortems.metrics import response_figures
from postmortems.models import Postmortem
from tests.factories import PASSWORD, PostmortemFactory
from tests.postmortems.test_paste import (
    ACTION_ITEMS,
    FACTORS,
    LESSONS,
    LINKS,
    RESPONDERS,
    TIMELINE,
)

pytestmark = pytest.mark.django_db(transaction=True)

MAX_SUBMISSIONS = 15

SUMMARY = (
    "On 2026-01-29 at 14:23 UTC, the VirtEngine API service experienced a complete outage "
    "lasting 47 minutes due to a database connection pool exhaustion. During this time, all API "
    "requests returned 500 errors, affecting approximately 1,200 users and consuming 78% of our "
    "monthly error budget. The issue was resolved by restarting the API service and increasing "
    "the database connection pool size."
)
RESPONSE_ACTIONS = """\
1. Investigation (14:28-14:42)
   - Reviewed recent deployments
   - Analyzed metrics and logs
   - Identified connection pool exhaustion
2. Attempted Rollback (14:38-14:42) - FAILED
   - Rollback command issued
   - Failed due to irreversible database migration
   - Pivoted to alternative mitigation
3. Connection Pool Increase (14:42-14:50)
   - Configuration change prepared (100 → 500 connections)
   - Deployed via Ansible playbook
4. Monitoring and Verification (14:50-15:10)
   - Health checks monitored
5. Communication (14:40-15:15)
   - Status page updated (investigating → identified → resolved)"""
REFERENCES = """\
- Runbook: Connection Pool Exhaustion: docs/runbooks/db-connection-pool.md
- Related Incident: INCIDENT-8901 (Database slowness, 2025-11-12)
- Performance Budget Documentation: docs/sre/PERFORMANCE_BUDGETS.md
- Load Testing Framework: tests/load/README.md
- Database Query Logs: /var/log/postgresql/postgres-2026-01-29.log lines 5432-8901"""


def paste_rows(page, text, count):
    """Open the paste box, paste, wait for the live preview, add: one submission."""
    page.locator("summary", has_text="Paste many rows at once").click()
    page.locator("#paste-text").fill(text)
    add = page.get_by_role("button", name=f"Add {count} rows")
    expect(add).to_be_visible()
    add.click()
    expect(page.locator(".alert-success, .alert", has_text=" added.").first).to_be_visible()


def save_and_next(page, following):
    page.get_by_role("button", name=f"Save and next: {following}").click()
    expect(page.get_by_role("heading", name=following, level=1)).to_be_visible()


def test_the_whole_template_example_in_fifteen_submissions_or_fewer(
    page, sign_in, author, coauthor, reviewer, password
):
    sign_in("alice", password)
    submissions, previews = [], []

    def count(request):
        if request.method != "POST":
            return
        # Live checks as one types (the paste preview, the blameless-language check) are
        # htmx requests nobody submits.
        live = request.url.endswith("/paste/") or request.url.endswith("/blameless/")
        if request.headers.get("hx-request") and live:
            previews.append(request.url)
        else:
            submissions.append(request.url)

    page.on("request", count)

    # 1. New postmortem.
    page.get_by_role("link", name="New postmortem").first.click()
    page.get_by_label("Title").fill("VirtEngine API outage: database connection pool exhaustion")
    page.get_by_label("Incident date").fill("2026-01-29")
    page.get_by_label("Severity").select_option(label="SEV-2")
    page.get_by_label("Key").fill("INCIDENT-12345")
    page.get_by_label("Authors").select_option(label="Bob Jones")
    page.get_by_label("Executive summary").fill(SUMMARY)
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("link", name="Edit", exact=True).click()

    # 2. Overview: the services.
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    page.get_by_label("Services").fill("api, postgres")
    save_and_next(page, "Impact")

    # 3. Impact, from its Example block.
    for label, value in [
        ("Affected users", "1,200"),
        ("Share of users affected (%)", "15"),
        ("Share of", "daily active users"),
        ("Geographic impact", "Global impact (all regions)"),
        ("Outage start (UTC)", "14:23"),
        ("Outage end (UTC)", "15:10"),
        ("Degraded period (minutes)", "20"),
        ("Degraded service", "slow responses"),
        ("Revenue impact", "Estimated revenue impact: $2,500 in failed transactions"),
        (
            "Reputation impact",
            "- 18 user complaints via support tickets\n- 2 tweets mentioning the outage",
        ),
        ("SLO", "API Availability"),
        ("SLO target (%)", "99.9"),
        ("SLO achieved (%)", "99.73"),
        ("SLO window (days)", "28"),
        ("Error budget consumed (minutes)", "31.2"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    save_and_next(page, "Timeline")

    # 4. Timeline: the Detailed Timeline Example, pasted; its milestones suggested.
    page.locator("summary", has_text="Paste many rows at once").click()
    page.locator("#paste-text").fill(TIMELINE)
    expect(page.get_by_text("24 rows, 24 ready")).to_be_visible()
    preview = page.locator("#paste-preview")
    expect(preview.get_by_label("Milestone of line 4")).to_have_value("started")
    expect(preview.get_by_label("Milestone of line 23")).to_have_value("resolved")
    page.get_by_role("button", name="Add 24 rows").click()
    expect(page.get_by_text("24 timeline events added.")).to_be_visible()
    expect(page.locator("#rows tbody tr")).to_have_count(24)
    page.get_by_role("link", name="Next: Root Cause").click()

    # 5-6. Root cause: the contributing factors pasted, then the four questions.
    paste_rows(page, FACTORS, 6)
    page.get_by_label("Root cause in one line").fill("Database Connection Pool Exhaustion")
    page.get_by_label("1. What component failed?").fill(
        "The API service's database connection pool was configured with a maximum of 100 connections."
    )
    page.get_by_label("2. Why did it fail?").fill(
        "Deployment v1.2.3 introduced a new feature that queries the database 3x more "
        "frequently per request (user profile enrichment)."
    )
    page.get_by_label("3. What was the underlying cause?").fill(
        "When traffic spiked from 500 RPS to 800 RPS (due to marketing email), the connection "
        "pool exhausted:\n\n- 800 requests/sec × 3 queries/request = 2,400 queries/sec\n"
        "- Peak connections needed: 2,400 × 0.04 = 96 connections\n- Pool size: 100 connections"
    )
    page.get_by_label("4. Why didn't existing safeguards catch this?").fill(
        "- Load testing only tested up to 600 RPS (didn't catch the issue)\n"
        "- Connection pool monitoring existed but alert threshold was too high (> 95%)"
    )
    save_and_next(page, "Detection")

    # 7. Detection.
    page.get_by_label("Automated monitoring alert").check()
    page.get_by_label("Detection method").fill("Automated monitoring alert")
    page.get_by_label("Detection quality").fill(
        "Quality: Good\n\n- Alert fired quickly (1 min TTD)\n- Alert was accurate (true positive)"
    )
    save_and_next(page, "Response")

    # 8-9. Response: the responders pasted, then the text.
    paste_rows(page, RESPONDERS, 4)
    page.get_by_label("Response actions").fill(RESPONSE_ACTIONS)
    page.get_by_label("What went well").fill(
        "✅ Alerts fired quickly and accurately\n✅ On-call responded promptly\n"
        "✅ Alternative mitigation found when rollback failed"
    )
    page.get_by_label("What went poorly").fill(
        "❌ Rollback failed (database migration not reversible)\n"
        "❌ Marketing campaign not communicated to SRE team"
    )
    save_and_next(page, "Resolution")

    # 10. Resolution.
    page.get_by_label("How was service restored?").fill(
        "Increased database connection pool size from 100 to 500 connections"
    )
    page.get_by_role("radio", name="Permanent fix", exact=True).check()
    page.get_by_label("Resolution details").fill(
        "Immediate Fix (Applied during incident):\n\n"
        "- Configuration change: db.pool.max_connections = 500\n"
        "- API service restart to apply configuration\n- Service restored at 15:10 UTC"
    )
    page.get_by_label("Verification").fill(
        "1. Health checks passed (all API instances healthy)\n"
        "2. Error rate returned to baseline (<0.5%)\n7. User reports stopped"
    )
    save_and_next(page, "Action Items")

    # 11. Action items: the four example tables with their headings, in one paste.
    paste_rows(page, ACTION_ITEMS, 16)
    page.get_by_role("link", name="Next: Lessons Learned").click()

    # 12. Lessons.
    paste_rows(page, LESSONS, 11)
    page.get_by_role("link", name="Next: Supporting Information").click()

    # 13. Links: the one that is not a web link is shown, not added, and stays in the box.
    page.locator("summary", has_text="Paste many rows at once").click()
    page.locator("#paste-text").fill(LINKS)
    expect(page.locator("#paste-preview")).to_contain_text(
        "Line 10: Link: Enter a web link that starts with http:// or https://."
    )
    page.get_by_role("button", name="Add 6 rows").click()
    expect(page.get_by_text("6 supporting links added.")).to_be_visible()
    expect(page.locator("#paste-text")).to_contain_text("Database Query Logs")

    # 14. The references, and the document is complete.
    page.get_by_label("References").fill(REFERENCES)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Supporting Information saved.")).to_be_visible()

    print(f"\nSubmissions: {len(submissions)} (live previews, not counted: {len(previews)})")
    for url in submissions:
        print("  POST", url.split("/", 3)[-1])
    assert len(submissions) <= MAX_SUBMISSIONS, submissions
    assert previews, "the previews were live (htmx), not submissions"

    doc = Postmortem.objects.with_document().get(key="INCIDENT-12345")
    events = list(doc.timeline.all())
    assert len(events) == 24
    assert {e.milestone: f"{e.occurred_at:%H:%M}" for e in events if e.milestone} == {
        "started": "14:23", "detected": "14:24", "alerted": "14:26", "acknowledged": "14:28",
        "mitigated": "14:50", "resolved": "15:10",
    }  # fmt: skip
    figures = response_figures(events)
    assert figures.time_to_detect.value.seconds == 60
    assert figures.time_to_resolve.value.seconds == 47 * 60
    assert len(doc.contributing_factors.all()) == 6
    responders = {r.role: r.person_name for r in doc.responders.all()}
    assert responders == {
        "On-Call Engineer": "Alice Smith", "Incident Commander": "Bob Jones",
        "SME - Database": "Carol White", "Communications Lead": "Dave Brown",
    }  # fmt: skip
    assert sum(1 for r in doc.responders.all() if r.user_id) == 3
    items = list(doc.action_items.all())
    assert len(items) == 16
    assert [i.category for i in items] == (
        ["prevent"] * 7 + ["detection"] * 3 + ["response"] * 3 + ["process"] * 3
    )
    assert sum(1 for i in items if i.owner_id) == 14  # Dave has no account
    lessons = [lesson.category for lesson in doc.lessons.all()]
    assert lessons == ["technical"] * 4 + ["process"] * 4 + ["cultural"] * 3
    assert sorted(link.kind for link in doc.links.all()) == ["dashboard"] * 4 + ["logs"] * 2
    assert doc.executive_summary == SUMMARY and doc.references.startswith("- Runbook")


def test_without_javascript_the_preview_button_shows_the_rows(browser, live_server, author):
    doc = PostmortemFactory(key="INC-2026-0042", authors=[author])
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/postmortems/{doc.key}/edit/response/")
        page.locator("summary", has_text="Paste many rows at once").click()
        page.locator("#paste-text").fill(RESPONDERS + "| Scribe |  | 25:00 |\n")
        page.get_by_role("button", name="Preview", exact=True).click()
        expect(page.locator("#paste-preview")).to_contain_text("5 rows, 4 ready, 1 with a problem")
        expect(page.locator("#paste-preview")).to_contain_text("Line 7: Joined at (UTC)")
        page.get_by_label("Add line 6").uncheck()  # not Dave: only ticked rows are added
        page.get_by_role("button", name="Add 4 rows").click()  # the count is the server's
        expect(page.get_by_text("3 responders added.")).to_be_visible()
        expect(page.locator("#paste-text")).to_have_value(
            "| Role | Name | Joined At |\n|------|------|-----------|\n| Scribe |  | 25:00 |\n"
        )
    finally:
        context.close()
    assert sorted(doc.responders.values_list("role", flat=True)) == [
        "Incident Commander", "On-Call Engineer", "SME - Database",
    ]  # fmt: skip
