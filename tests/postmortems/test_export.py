"""Export: the template's Markdown, complete JSON, and a zip of everything a person may see."""

import io
import json
import zipfile

import pytest

from postmortems.demo import seed_demo
from postmortems.exchange.export import to_markdown
from postmortems.models import Postmortem
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db

TEMPLATE_HEADINGS = [
    "## Executive Summary",
    "## Impact",
    "### User Impact",
    "### Business Impact",
    "## Timeline (all times UTC)",
    "## Root Cause",
    "### What Happened",
    "### Contributing Factors",
    "## Detection",
    "### How was the incident detected?",
    "### Detection Quality",
    "## Response",
    "### Responders",
    "### Response Actions",
    "### What Went Well",
    "### What Went Poorly",
    "## Resolution",
    "### How was service restored?",
    "### Verification",
    "## Action Items",
    "### Prevent Recurrence",
    "### Improve Detection",
    "### Improve Response",
    "### Process Improvements",
    "## Lessons Learned",
    "### What did we learn?",
    "## Supporting Information",
    "### Metrics and Graphs",
    "### Logs and Traces",
    "### References",
    "## Blameless Culture Reminder",
    "## Approvals",
    "## Appendix",
    "### Incident Severity Definitions",
]


class TestTheDemoDocuments:
    @pytest.fixture(scope="class")
    @classmethod
    def demo_people(cls, made_once):
        """Seeded once for the class; each test rolls back its own changes."""
        yield from made_once(seed_demo)

    @pytest.fixture
    def demo(self, client, demo_people):
        client.force_login(demo_people["alice"])
        return demo_people

    def test_it_exports_markdown_as_an_attachment_following_the_template(self, client, demo):
        response = client.get("/postmortems/INCIDENT-12345/export.md")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/markdown; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="INCIDENT-12345.md"'
        text = response.content.decode()
        headings = [
            line for line in text.split("\n") if line.startswith("## ") or line.startswith("### ")
        ]
        assert headings == TEMPLATE_HEADINGS
        for line in [
            "# Postmortem: INCIDENT-12345 VirtEngine API outage: database connection pool exhaustion",
            "**Date**: 2026-01-29",
            "**Authors**: Alice Smith, Bob Jones",
            "**Status**: Final",
            "**Severity**: SEV-2",
            "- **Affected Users**: ~1,200 users (15% of daily active users)",
            "- **Duration**: 47 minutes (14:23–15:10 UTC)",
            "- **SLO Impact**: API Availability SLO violated (99.90% → 99.73%)",
            "- **Error Budget**: 77.4% consumed (31.2 of 40.32 minutes, 28-day window)",
            "| Time | Event | Milestone |",
            '| 14:24 | Alert: "APIErrorRateHigh" fires (error rate: 45%) | detected |',
            "1. **What component failed?**",
            "- [x] Automated monitoring alert",
            "- [ ] User report",
            "- **Time to Detect (TTD)**: 1 minute",
            "- **Time to Acknowledge (TTA)**: 4 minutes",
            "| On-Call Engineer | Alice Smith | 14:28 |",
            "- ✅ Alerts fired quickly and accurately",
            "- ❌ Rollback failed (database migration not reversible)",
            "| Action | Owner | Due Date | Priority | Status |",
            "| Lower connection pool alert threshold (95% → 80%) | Alice Smith | 2026-02-01 | P0 | Open |",
            "**Technical Learnings**:",
            "- Error Rate Graph: https://grafana.example.com/d/api-errors?from=1738166580000&to=1738169400000",
            "- Related Incident: INCIDENT-8901 (Database slowness, 2025-11-12)",
            "| Role | Name | Date | Signature |",
            "**Document Version**: 1.0",
        ]:
            assert line in text.split("\n"), line
        assert text.split("\n")[-2].startswith("**Next Review**: ")

    def test_it_exports_complete_json(self, client, demo):
        response = client.get("/postmortems/INCIDENT-12345/export.json")
        assert response["Content-Disposition"] == 'attachment; filename="INCIDENT-12345.json"'
        data = json.loads(response.content)
        assert (
            data["key"] == "INCIDENT-12345" and data["status"] == "final" and data["version"] == 1
        )
        assert data["tags"] == ["api", "postgres"]
        assert len(data["content"]["timeline"]) == 24 and len(data["content"]["action_items"]) == 16
        assert data["content"]["action_items"][0]["status"] == "open"
        assert data["content"]["action_items"][0]["owner"] == "Alice Smith"
        assert (
            data["figures"]["time_to_detect"] == 1 and data["figures"]["time_to_acknowledge"] == 4
        )
        assert data["figures"]["outage_minutes"] == 47
        assert [a["role"] for a in data["approvals"]] == [
            "Author",
            "Reviewer (SRE Lead)",
            "Reviewer (Eng Lead)",
            "Approver (VP Eng)",
        ]
        assert all(a["content_hash"] == data["content_hash"] for a in data["approvals"])
        assert data["approvals"][1]["person"] == "Carol White" and data["approvals"][1]["signed_at"]

    def test_an_outsider_gets_404_for_a_restricted_export(self, client, demo, outsider):
        Postmortem.objects.filter(key="INCIDENT-12345").update(restricted=True)
        client.force_login(outsider)
        assert client.get("/postmortems/INCIDENT-12345/export.md").status_code == 404
        assert client.get("/postmortems/INCIDENT-12345/export.json").status_code == 404
        assert client.get("/postmortems/INCIDENT-12345/history/").status_code == 404

    def test_the_zip_holds_every_visible_document_and_no_restricted_one(
        self, client, demo, outsider
    ):
        Postmortem.objects.filter(key="INCIDENT-12401").update(restricted=True)
        client.force_login(outsider)
        response = client.get("/postmortems/export.zip")
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(response.getvalue())).namelist()
        assert names == ["INCIDENT-12345.md", "INCIDENT-8901.md"]
        # Bob is named in it: he gets all three.
        client.force_login(demo["bob"])
        archive = zipfile.ZipFile(io.BytesIO(client.get("/postmortems/export.zip").getvalue()))
        assert archive.namelist() == ["INCIDENT-12345.md", "INCIDENT-12401.md", "INCIDENT-8901.md"]
        assert (
            archive.read("INCIDENT-12401.md").decode().startswith("# Postmortem: INCIDENT-12401 ")
        )

    def test_exports_need_sign_in(self, client, demo):
        client.logout()
        for url in ("/postmortems/export.zip", "/postmortems/INCIDENT-12345/export.md"):
            assert client.get(url)["Location"].startswith("/accounts/login/")

    def test_the_document_links_its_exports_history_and_print_view(self, client, demo):
        page = client.get("/postmortems/INCIDENT-12345/").content.decode()
        for href in ("export.md", "export.json", "history/", "?print=1"):
            assert href in page
        page = client.get("/postmortems/INCIDENT-12345/?print=1").content.decode()
        assert "print-preview" in page and "data-print" in page


def test_it_exports_an_empty_draft_without_failing(author_client, author):
    pm = PostmortemFactory(authors=[author], executive_summary="")
    response = author_client.get(f"/postmortems/{pm.key}/export.md")
    assert response.status_code == 200
    assert "- **Affected Users**: —" in response.content.decode()


def test_the_exporter_works_from_a_content_dict_alone():
    text = to_markdown(
        {"key": "INC-1", "title": "T", "incident_date": "2026-01-29", "severity": "sev1"}
    )
    assert text.startswith("# Postmortem: INC-1 T\n\n**Date**: 2026-01-29\n")
    assert "**Status**" not in text and "## Approvals" not in text


def test_html_in_a_field_stays_text_in_the_export(author_client, author):
    pm = PostmortemFactory(authors=[author], executive_summary="<img src=x onerror=alert(1)>")
    text = author_client.get(f"/postmortems/{pm.key}/export.md").content.decode()
    assert "<img src=x onerror=alert(1)>" in text  # a text file, served as an attachment


def test_the_list_links_the_zip_and_the_import(author_client):
    page = author_client.get("/").content.decode()
    assert 'href="/postmortems/export.zip"' in page and 'href="/postmortems/import/"' in page
