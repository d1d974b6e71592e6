"""Import from the template's Markdown: every value back in place, every stray line reported."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from postmortems.content import canonical_content
from postmortems.demo import seed_demo
from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import ImportRefused, decode_upload, import_markdown, parse
from postmortems.models import ActionItem, Approval, Postmortem, TimelineEvent

pytestmark = pytest.mark.django_db

IMPORT_URL = "/postmortems/import/"


def export(key):
    return postmortem_markdown(Postmortem.objects.with_document().get(key=key))


def comparable(markdown: str) -> str:
    """What may legitimately differ between a document and its import, taken out.

    Exactly: the key in the title line; the Status line (an import is a Draft); the Date and
    Signature cells of the approvals table (signatures are never imported); the footer's
    Document Version, Last Updated and Next Review. Everything else must be identical.
    """
    lines = markdown.split("\n")
    lines[0] = " ".join(lines[0].split(" ")[:2] + lines[0].split(" ")[3:])
    out, in_approvals = [], False
    for line in lines:
        if line.startswith("## "):
            in_approvals = line == "## Approvals"
        if line.startswith(
            ("**Status**:", "**Document Version**:", "**Last Updated**:", "**Next Review**:")
        ):
            continue
        if in_approvals and line.startswith("| ") and not line.startswith("| Role |"):
            line = "|".join(line.split("|")[:3])
        out.append(line)
    return "\n".join(out)


DEMO = [("INCIDENT-12345", "alice"), ("INCIDENT-8901", "carol"), ("INCIDENT-12401", "bob")]


class TestTheDemoDocuments:
    @pytest.fixture(scope="class")
    @classmethod
    def demo_people(cls, made_once):
        """Seeded once for the class; each test rolls back what it imported."""
        yield from made_once(seed_demo)

    @pytest.mark.parametrize(("key", "importer"), DEMO, ids=[k for k, _ in DEMO])
    def test_it_round_trips_the_demo_documents(self, demo_people, key, importer):
        people = demo_people
        first = export(key)
        result = import_markdown(first, by=people[importer], key=f"COPY-{key}")
        assert result.problems == []
        second = export(f"COPY-{key}")
        assert comparable(second) == comparable(first)
        # …and a third pass changes nothing at all, not even the parts that differ above.
        result = import_markdown(second, by=people[importer], key=f"THIRD-{key}")
        assert comparable(export(f"THIRD-{key}")) == comparable(second)

    def test_it_imports_the_template_example_with_every_value_in_place(self, demo_people):
        people = demo_people
        original = Postmortem.objects.with_document().get(key="INCIDENT-12345")
        result = import_markdown(export("INCIDENT-12345"), by=people["alice"], key="INC-2026-0777")
        copy = Postmortem.objects.with_document().get(pk=result.postmortem.pk)
        want, got = canonical_content(original), canonical_content(copy)
        assert got.pop("key") == "INC-2026-0777" and want.pop("key") == "INCIDENT-12345"
        # Each document commits to its related incidents under a secret of its own: the keys
        # (compared below) are the same, the commitments are not.
        assert len(got.pop("related_commitments")) == len(want.pop("related_commitments"))
        for name in want:
            assert got[name] == want[name], name
        assert copy.status == Postmortem.Status.DRAFT
        assert [i.status for i in copy.action_items.all()] == [
            i.status for i in original.action_items.all()
        ]
        # Spot checks against the template's own words.
        assert copy.slo_target == Decimal("99.9") and copy.error_budget_consumed_minutes == Decimal(
            "31.2"
        )
        assert copy.outage_started_at == datetime.datetime(2026, 1, 29, 14, 23, tzinfo=datetime.UTC)
        assert copy.timeline.count() == 24 and copy.action_items.count() == 16
        assert copy.responders.get(role="SME - Database").user == people["carol"]
        assert [a.role for a in copy.approvals.all()] == [
            "Author",
            "Reviewer (SRE Lead)",
            "Reviewer (Eng Lead)",
            "Approver (VP Eng)",
        ]
        assert all(not a.is_signed for a in copy.approvals.all())
        assert copy.import_notes == ""
        # The import is one version of the history, by the person who imported it.
        assert copy.versions.first().changed_by == people["alice"]


HAND_WRITTEN = """# Postmortem: INC-2026-0500 Checkout errors

**Date**: 2026-02-03
**Authors**: Alice Smith, Nobody Known
**Status**: Final
**Severity**: SEV-1

## Executive Summary

Checkout failed for <script>alert(1)</script> 12 minutes.

## Timeline (all times UTC)

| Time | Event |
|------|-------|
| 10:00 | Deploy |
| 10:02 | Errors start | started | extra |
| 25:99 | Impossible time |

## Vendor Notes

Their status page was wrong.

## Action Items

### Prevent Recurrence

| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Add canary | Dana External | 2026-02-10 | P1 | Open |
| Fix alert | Alice Smith | someday | P9 | Done |
"""


def test_it_reports_and_keeps_every_line_it_cannot_place(author):
    result = import_markdown(HAND_WRITTEN, by=author)
    pm = result.postmortem
    assert pm.key == "INC-2026-0500" and pm.status == "draft" and pm.severity == "sev1"
    reported = {p.line: p.reason for p in result.problems}
    text = HAND_WRITTEN.split("\n")
    # The unknown heading and its text, the row with four cells, the impossible time.
    for needle in (
        "## Vendor Notes",
        "Their status page was wrong.",
        "| 10:02 | Errors start",
        "| 25:99 |",
    ):
        number = next(i for i, line in enumerate(text, 1) if line.startswith(needle))
        assert number in reported, needle
        assert f"Line {number} (" in pm.import_notes
        assert needle in pm.import_notes
    assert "Nobody Known" in pm.import_notes
    assert list(pm.authors.all()) == [author]
    # The rows that could be read are there; owners without accounts are kept as names.
    assert list(pm.timeline.values_list("description", flat=True)) == ["Deploy"]
    dana, fix = pm.action_items.all()
    assert dana.owner is None and dana.owner_name == "Dana External"
    assert (
        fix.owner == author
        and fix.due_date is None
        and fix.priority == "p1"
        and fix.status == "done"
    )
    assert "someday" in pm.import_notes and "P9" in pm.import_notes


def test_it_keeps_html_as_text_and_renders_it_escaped(author_client, author):
    result = import_markdown(HAND_WRITTEN, by=author)
    assert "<script>alert(1)</script>" in result.postmortem.executive_summary
    page = author_client.get(f"/postmortems/{result.postmortem.key}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_accepts_missing_headings(author):
    result = import_markdown(
        "# Postmortem: INC-2026-0501 Only a title\n\n**Date**: 2026-02-01\n", by=author
    )
    assert result.postmortem.title == "Only a title" and result.problems == []
    assert result.postmortem.approvals.count() == 4  # the default slots


def test_it_refuses_empty_input(author):
    with pytest.raises(ImportRefused, match="Nothing to import"):
        import_markdown("  \n\n", by=author)


def test_it_refuses_a_key_that_is_taken_and_says_so(author, postmortem):
    with pytest.raises(
        ImportRefused, match=f"{postmortem.key} cannot be used: give the import another key"
    ):
        import_markdown(f"# Postmortem: {postmortem.key} Again\n", by=author)


def test_it_refuses_bytes_that_are_not_utf8():
    with pytest.raises(ImportRefused, match="not UTF-8.*line 2, column 4"):
        decode_upload("line one\nabc\xe9".encode("latin-1"))


def test_it_removes_nul_characters_and_says_so():
    parsed = parse("# Postmortem: INC-1 A\x00B\n")
    assert parsed.title == "AB" and any("NUL" in n for n in parsed.notices)


def test_it_matches_people_by_username_too(author, reviewer):
    md = "# Postmortem: INC-2026-0502 X\n\n**Authors**: alice\n\n## Response\n\n### Responders\n\n| Role | Name | Joined At |\n|---|---|---|\n| SME | carol | 10:00 |\n"
    pm = import_markdown(md, by=author).postmortem
    assert pm.responders.get().user == reviewer


# --- the page ----------------------------------------------------------------------------------


def test_it_shows_the_import_form(author_client):
    response = author_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert b'name="markdown"' in response.content and b'type="file"' in response.content


def test_it_imports_pasted_markdown_and_shows_the_report(author_client):
    response = author_client.post(IMPORT_URL, {"markdown": HAND_WRITTEN}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "INC-2026-0500" in page and "Not imported" in page
    assert "Vendor Notes" in page


def test_it_imports_an_uploaded_file(author_client):
    upload = SimpleUploadedFile("pm.md", HAND_WRITTEN.encode(), content_type="text/markdown")
    response = author_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 302
    assert Postmortem.objects.filter(key="INC-2026-0500").exists()


def test_it_refuses_a_20_mb_upload_with_a_clear_message(author_client):
    upload = SimpleUploadedFile("big.md", b"x" * (20 * 1024 * 1024), content_type="text/markdown")
    response = author_client.post(IMPORT_URL, {"file": upload})
    # Refused from its declared size, before any of it is read (test_small_holes.py).
    assert response.status_code == 413
    assert "That is 20.0 MB; a file may be 2 MB at most" in response.content.decode()
    assert not Postmortem.objects.exists()


def test_pasting_more_than_a_form_accepts_explains_itself(author_client):
    # Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE before any view runs; the
    # 400 page says why and how to go on, instead of a bare "Bad Request".
    response = author_client.post(IMPORT_URL, {"markdown": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "What you sent is too large" in page
    assert "2.5\xa0MB" in page
    assert "upload the file instead of pasting it" in page
    assert not Postmortem.objects.exists()


def test_it_refuses_a_non_utf8_upload_with_a_clear_message(author_client):
    upload = SimpleUploadedFile(
        "pm.md", b"# Postmortem: INC-1 caf\xe9\n", content_type="text/markdown"
    )
    response = author_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()


def test_it_keeps_the_text_when_the_key_is_taken(author_client, postmortem):
    md = f"# Postmortem: {postmortem.key} Again\n\nSome words &amp; <b>more</b>\n"
    response = author_client.post(IMPORT_URL, {"markdown": md})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{postmortem.key} cannot be used: give the import another key" in page
    assert "Some words &amp;amp; &lt;b&gt;more&lt;/b&gt;" in page  # kept in the form, escaped


def test_it_imports_under_the_key_typed_in_the_form(author_client, postmortem):
    md = f"# Postmortem: {postmortem.key} Again\n"
    response = author_client.post(IMPORT_URL, {"markdown": md, "key": "INC-2026-0999"})
    assert response.status_code == 302
    assert Postmortem.objects.get(key="INC-2026-0999").title == "Again"


def test_it_refuses_empty_input_on_the_page(author_client):
    response = author_client.post(IMPORT_URL, {"markdown": "   "})
    assert response.status_code == 200
    assert "Nothing to import" in response.content.decode()


def test_it_never_fails_on_junk(author_client):
    junk = (
        "|||\n# \n## \n### x\n| a |\n**Date**: tomorrow\n**Severity**: huge\n- **Affected Users**: many\n"
        * 50
    )
    response = author_client.post(IMPORT_URL, {"markdown": junk})
    assert response.status_code in (200, 302)


def test_it_counts_wrong_table_rows_per_table(author):
    md = "# Postmortem: INC-2026-0503 T\n\n## Response\n\n### Responders\n\n| Role | Name | Joined At |\n|---|---|---|\n| SME | Zed |\n"
    result = import_markdown(md, by=author)
    assert [p.line for p in result.problems] == [9]
    assert "2 cells" in result.problems[0].reason
    assert not result.postmortem.responders.exists()


def test_the_approvals_table_sets_people_and_extra_roles_never_signatures(author, reviewer):
    md = (
        "# Postmortem: INC-2026-0504 A\n\n**Authors**: Alice Smith\n\n## Approvals\n\n"
        "| Role | Name | Date | Signature |\n|---|---|---|---|\n"
        "| Author | Alice Smith | 2026-01-01 | ✔ Signed |\n"
        "| Reviewer (Security) (optional) | Carol White | 2026-01-01 | ✔ Signed |\n"
    )
    pm = import_markdown(md, by=author).postmortem
    slots = list(pm.approvals.all())
    # The approval policy's slots (the template's four) stay; the table fills them and adds.
    assert [(a.role, a.assignee, a.required, a.is_signed) for a in slots] == [
        ("Author", author, True, False),
        ("Reviewer (SRE Lead)", None, True, False),
        ("Reviewer (Eng Lead)", None, True, False),
        ("Approver (VP Eng)", None, True, False),
        ("Reviewer (Security)", reviewer, False, False),
    ]
    assert Approval.objects.filter(signed_at__isnull=False).count() == 0


def test_the_approvals_table_cannot_get_round_the_rules(author, coauthor, reviewer):
    md = (
        "# Postmortem: INC-2026-0507 A\n\n**Authors**: Alice Smith, Bob Jones\n\n"
        "## Approvals\n\n| Role | Name | Date | Signature |\n|---|---|---|---|\n"
        "| Reviewer (SRE Lead) (optional) | Bob Jones | — | — |\n"
        "| Reviewer (Eng Lead) | Carol White | — | — |\n"
        "| Approver (VP Eng) | Carol White | — | — |\n"
    )
    result = import_markdown(md, by=author)
    slots = {a.role: a for a in result.postmortem.approvals.all()}
    reasons = " ".join(p.reason for p in result.problems)
    assert "the approval policy requires Reviewer (SRE Lead); it stays required" in reasons
    assert "Bob Jones wrote or edited this version" in reasons
    assert "Carol White already holds Reviewer (Eng Lead)" in reasons
    assert slots["Reviewer (SRE Lead)"].required and slots["Reviewer (SRE Lead)"].assignee is None
    assert slots["Reviewer (Eng Lead)"].assignee == reviewer
    assert slots["Approver (VP Eng)"].assignee is None


def test_table_cells_with_pipes_and_line_breaks_round_trip(author):
    pm = import_markdown(
        "# Postmortem: INC-2026-0505 P\n\n**Date**: 2026-01-29\n", by=author
    ).postmortem
    TimelineEvent.objects.create(
        postmortem=pm,
        occurred_at=datetime.datetime(2026, 1, 30, 0, 15, 7, tzinfo=datetime.UTC),
        description="a | b\nsecond line with <br> and \\ backslash",
        milestone="detected",
    )
    ActionItem.objects.create(
        postmortem=pm, action="[not a link]", owner_name="X", tracker_url="https://t.example/1"
    )
    first = export(pm.key)
    copy = import_markdown(first, by=author, key="INC-2026-0506").postmortem
    event = copy.timeline.get()
    assert event.description == "a | b\nsecond line with <br> and \\ backslash"
    assert event.occurred_at == datetime.datetime(2026, 1, 30, 0, 15, 7, tzinfo=datetime.UTC)
    item = copy.action_items.get()
    assert (item.action, item.tracker_url) == ("[not a link]", "https://t.example/1")
    assert comparable(export(copy.key)) == comparable(first)


def test_free_text_with_headings_and_rules_round_trips(author):
    text = "# Not a heading\n\n---\n\n\\# escaped already\nlast"
    pm = import_markdown("# Postmortem: INC-2026-0507 H\n", by=author).postmortem
    Postmortem.objects.filter(pk=pm.pk).update(executive_summary=text, response_actions=text)
    copy = import_markdown(export(pm.key), by=author, key="INC-2026-0508").postmortem
    assert copy.executive_summary == text and copy.response_actions == text
