"""The registry of sections is the one definition of the document: every content field
belongs to one section, is searched (or says why not), is edited by its section's form, and
reads back from the export exactly. A field added to a section's module and left out of any
of these fails here, by name, instead of silently going unexported or unsearchable."""

import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import models

from postmortems.content import ROW_FIELDS, SCALAR_FIELDS, canonical_content
from postmortems.exchange import blocks
from postmortems.exchange.blocks import Parsed
from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import import_markdown
from postmortems.models import Postmortem, Tag
from postmortems.search import index
from postmortems.sections import BY_SLUG, ROWS, SECTIONS, section_of
from tests.factories import PostmortemFactory

# The document's own fields (not a section's): who, when, which version, who may read it.
CORE = {
    "id", "key", "status", "next_review_date", "related_secret", "import_notes",
    "section_revisions", "version", "revision", "created_by", "created_at", "updated_at",
}  # fmt: skip
# Content the hash covers that no section types: the key, and what stands for related keys.
NOT_TYPED = {"key", "related_commitments"}
DAY = datetime.date(2026, 1, 29)


def content_fields() -> list[str]:
    return [*SCALAR_FIELDS, "authors", "tags", "related_incidents"]


def test_every_field_of_the_document_is_the_documents_own_or_one_sections():
    fields = [f.name for f in Postmortem._meta.get_fields() if f.concrete or f.many_to_many]
    fields = [name for name in fields if not Postmortem._meta.get_field(name).auto_created]
    for name in fields:
        owners = [s.slug for s in SECTIONS if name in s.field_names]
        assert (name in CORE) != bool(owners), f"{name}: core, or one section's ({owners})"
        assert len(owners) <= 1, f"{name} is declared by {owners}"


@pytest.mark.parametrize("name", content_fields())
def test_every_content_field_is_searched_or_says_why_not(name):
    section = section_of(name)
    assert section is not None, f"{name} belongs to no section"
    assert (name in section.search) != (name in section.unsearched), (
        f"{name}: give it a search weight in {section.slug}, or a reason in `unsearched`"
    )
    if name in section.search:
        searched = {*index.WEIGHT_A, *index.WEIGHT_B, *index.WEIGHT_C, "tags"}
        assert name in searched


@pytest.mark.parametrize("rows", ROWS, ids=[r.related_name for r in ROWS])
def test_every_content_column_of_a_table_is_searched_or_says_why_not(rows):
    assert tuple(ROW_FIELDS[rows.related_name]) == rows.content_fields
    for name in rows.content_fields:
        assert (name in rows.search_fields) != (name in rows.unsearched), name
    assert index.ROWS[rows.model.__name__] == rows.search_fields


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.form_base], ids=lambda s: s.slug)
def test_a_sections_form_edits_exactly_its_fields(section):
    form = section.form()
    # Besides them only its bookkeeping: the revision and merge base it was opened at.
    assert set(form.fields) - set(form.bookkeeping) == set(section.field_names)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.slug)
def test_a_sections_read_view_template_exists(section):
    assert (Path(settings.BASE_DIR) / "templates" / section.template).exists()


def test_a_heading_is_read_by_one_section():
    headings = [h for s in SECTIONS for h in s.headings]
    assert len(headings) == len(set(headings))


# --- every content field reads back from the export --------------------------------------------


def sample(field: models.Field, name: str):
    """A value of the field's kind, unlike its default, that the form would accept."""
    if field.choices:
        return field.choices[-1][0]
    if isinstance(field, models.JSONField):  # the detection methods
        return [value for value, _ in BY_SLUG["detection"].form_base.base_fields[name].choices][:2]
    if isinstance(field, models.DateTimeField):
        return datetime.datetime(2026, 1, 29, 14, 23, 5, tzinfo=datetime.UTC)
    if isinstance(field, models.DateField):
        return DAY
    if isinstance(field, models.DecimalField):
        return Decimal("99.5")
    if isinstance(field, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        return 28
    if isinstance(field, models.URLField):
        return "https://grafana.example.com/d/sample"
    if isinstance(field, models.TextField):
        if name in ("went_well", "went_poorly"):
            return f"First point of {name}\nSecond point of {name}"
        return f"Sample *{name}*, with\na second line."
    if isinstance(field, models.CharField):
        return f"Sample {name}"[: field.max_length]
    raise AssertionError(f"no sample for {name} ({type(field).__name__}): add one here")


@pytest.fixture
def everything(author, coauthor):
    """A document with every content field and a row of every table set."""
    related = PostmortemFactory(key="INC-2025-0001", title="Earlier", authors=[author])
    values = {}
    for name in SCALAR_FIELDS:
        if name in ("incident_date",):
            continue
        values[name] = sample(Postmortem._meta.get_field(name), name)
    values["outage_ended_at"] = datetime.datetime(2026, 1, 29, 15, 10, tzinfo=datetime.UTC)
    values["slo_target"], values["affected_users_percent"] = Decimal("99.9"), Decimal("15")
    doc = PostmortemFactory(key="INC-2026-0900", incident_date=DAY, authors=[author], **values)
    doc.tags.set([Tag.objects.create(name="sample-svc")])
    doc.related_incidents.set([related])
    for rows in ROWS:
        fields = {}
        for name in rows.content_fields:
            field = rows.model._meta.get_field(name.removesuffix("_id"))
            if isinstance(field, models.ForeignKey):
                fields[name] = coauthor.pk
            else:
                fields[name] = sample(field, name)
        if rows.person:  # a person is an account or a typed name, not both
            fields[rows.person[0]] = ""
        rows.model.objects.create(postmortem=doc, **fields)
    return Postmortem.objects.with_document().get(pk=doc.pk)


@pytest.mark.django_db
def test_every_content_field_and_column_reads_back_from_the_export(everything, author):
    original = canonical_content(everything)
    markdown = postmortem_markdown(everything)
    result = import_markdown(markdown, by=author, key="INC-2026-0901")
    copy = canonical_content(Postmortem.objects.with_document().get(pk=result.postmortem.pk))
    assert result.problems == []
    for name in original:
        if name in NOT_TYPED:
            continue
        assert copy[name] == original[name], f"{name} did not survive export and import"


# --- shown by the read view ------------------------------------------------------------------

# Content fields a section template does not name: the templates that show them instead.
SHOWN_ELSEWHERE = {
    # The page's heading, on the live page and on a Final snapshot.
    **dict.fromkeys(
        ("key", "title", "incident_date", "severity", "authors", "tags"),
        ("postmortems/detail.html", "postmortems/snapshot_body.html"),
    ),
    # Through the context: only the related incidents this reader may see.
    "related_incidents": ("postmortems/sections/_supporting.html",),
}
SHOWN_AS = {
    "severity": r"_severity_badge\.html",
    "related_incidents": r"\brelated_incidents\b",
    "went_well": r"postmortem\.went_well_items\b",
    "went_poorly": r"postmortem\.went_poorly_items\b",
}


def template_source(name: str) -> str:
    return (Path(settings.BASE_DIR) / "templates" / name).read_text()


@pytest.mark.parametrize("name", content_fields())
def test_every_content_field_is_shown_by_the_read_view(name):
    section = section_of(name)
    if name in section.extra_texts:
        return  # shown by _extras.html, which every section template includes
    pattern = SHOWN_AS.get(name, rf"postmortem\.(get_)?{name}\b")
    for template in SHOWN_ELSEWHERE.get(name, (section.template,)):
        assert re.search(pattern, template_source(template)), (
            f"{name} is not shown by {template}: show it there, or list it in the section's "
            "extra_texts"
        )


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.slug)
def test_an_extra_text_is_a_text_field_of_its_section(section):
    for name in section.extra_texts:
        assert name in section.field_names
        assert isinstance(section.fields_model._meta.get_field(name), models.TextField)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.slug)
def test_every_section_template_shows_its_extra_texts(section):
    assert 'include "postmortems/sections/_extras.html"' in template_source(section.template)


def bare_resolution():
    """The Resolution section with its verification as an extra text, and a writer and
    reader that know nothing of it: what a field added through extra_texts gets."""
    return dataclasses.replace(
        BY_SLUG["resolution"],
        write=lambda c, ctx: ["## Resolution"],
        read=lambda parsed, block: [parsed.problem(s.line, s.title, "unread") for s in block.subs],
        extra_texts=("verification",),
    )


def test_an_extra_text_is_edited_written_read_and_shown_without_code_of_its_own():
    section = bare_resolution()
    assert "verification" in section.form.base_fields
    lines = section.markdown({"verification": "Error rate *back* to 0.1%"}, None)
    assert lines == ["## Resolution", "", "### Verification", "", "Error rate *back* to 0.1%"]
    parsed = Parsed()
    _, found = blocks.split(list(enumerate(lines, 1)))
    section.parse(parsed, found[0])
    assert parsed.fields["verification"] == "Error rate *back* to 0.1%"
    assert parsed.problems == []
    assert section.extras({"verification": "Checked"}) == [("Verification", "Checked")]
    assert section.extras({"verification": "  "}) == []
    assert section.markdown({"verification": ""}, None) == ["## Resolution"]  # the template's
