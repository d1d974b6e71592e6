"""The document's sections, in the template's order: the one registry of what they hold.

Each section is one module (see ``base``); this list is what the document model is built
from (its fields are the sections' fields), and what the guided editor, the read view, the
completeness checks, the export, the import and the search index loop over. A field added to
a section's module (with its migration) is edited, shown, exported, imported and searched
without a change anywhere else; ``tests/postmortems/test_sections.py`` checks that every
content field is.
"""

from postmortems.sections import (
    action_items,
    detection,
    impact,
    lessons,
    overview,
    resolution,
    response,
    root_cause,
    supporting,
    timeline,
)
from postmortems.sections.base import Completeness, DocumentRow, Rows, Section

SECTIONS: tuple[Section, ...] = (
    overview.SECTION,
    impact.SECTION,
    timeline.SECTION,
    root_cause.SECTION,
    detection.SECTION,
    response.SECTION,
    resolution.SECTION,
    action_items.SECTION,
    lessons.SECTION,
    supporting.SECTION,
)

BY_SLUG = {section.slug: section for section in SECTIONS}

# The abstract models whose fields the document model inherits, in the template's order.
FIELD_MODELS = tuple(s.fields_model for s in SECTIONS if s.fields_model is not None)

# The document's tables.
ROWS: tuple[Rows, ...] = tuple(s.rows for s in SECTIONS if s.rows is not None)

# Text fields shown one point per line.
POINT_FIELDS = tuple(
    name for s in SECTIONS if s.form_base is not None for name in s.form_base.point_fields
)


def next_section(section: Section) -> Section | None:
    index = SECTIONS.index(section)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None


def document_completeness(postmortem) -> list[Completeness]:
    return [section.completeness(postmortem) for section in SECTIONS]


def search_weights() -> dict[str, str]:
    """{document field: "A" | "B" | "C"} for every searchable field of every section."""
    return {name: weight for s in SECTIONS for name, weight in s.search.items()}


def section_of(field_name: str) -> Section | None:
    """The section whose module declares this document field."""
    return next((s for s in SECTIONS if field_name in s.field_names), None)


__all__ = [
    "BY_SLUG",
    "FIELD_MODELS",
    "POINT_FIELDS",
    "ROWS",
    "SECTIONS",
    "Completeness",
    "DocumentRow",
    "Rows",
    "Section",
    "document_completeness",
    "next_section",
    "search_weights",
    "section_of",
]
