"""The blameless-language check on the page: beside a text box of the editor, under a row of
its table, under a section's heading (``blameless``: the page's ``wording.WordingCheck``)."""

from dataclasses import dataclass

from django import template

from postmortems.sections import SECTIONS, section_of
from postmortems.wording import (
    Text,
    check_typed,
    checked_fields,
    checked_row_fields,
    typed_text,
)

register = template.Library()


@dataclass(frozen=True)
class Box:
    """What the editor shows beside one text box: the place it is checked as (posted back by
    htmx as it is typed), its findings now, and those that may be marked intended."""

    place: Text
    row: str  # "" (the document's field), "new" (the add form) or the row's id
    findings: list
    saved: frozenset
    partial: bool = False


def _row_section(form):
    return next(
        (s for s in SECTIONS if s.rows is not None and isinstance(form.instance, s.rows.model)),
        None,
    )


@register.simple_tag(takes_context=True)
def wording_box(context, bound_field):
    """The Box of a text box of the editor, or None when its text is not checked (or the
    reader may not see the check)."""
    check = context.get("blameless")
    if check is None or not check.shown:
        return None
    form, name = bound_field.form, bound_field.name
    if form.prefix in ("new", "row"):
        section = _row_section(form)
        if section is None or name not in checked_row_fields(section):
            return None
        pk = getattr(form.instance, "pk", None)
        row = str(pk) if form.prefix == "row" and pk else "new"
    else:
        section = section_of(name)
        if section is None or name not in checked_fields(section):
            return None
        row = ""
    place = typed_text(section.slug, name, row)
    if place is None:
        return None
    if form.is_bound:  # what was typed (kept after an error), not what is saved
        findings, partial, saved = check_typed(check, place, bound_field.value() or "")
    else:
        findings, partial = check.on_key(place.key), False
        saved = {f.fingerprint for f in findings}
    return Box(place, row, findings, frozenset(saved), partial)


@register.filter
def wording_in_section(check, slug):
    return check.in_section(slug) if check is not None and check.shown else []


@register.filter
def wording_on_row(check, row):
    """The findings of a row of one of the document's tables, every checked column."""
    if check is None or not check.shown:
        return []
    return [f for f in check.findings if f.row == row.pk and isinstance(row, f.section.rows.model)]
