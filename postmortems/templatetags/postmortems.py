from django import template

from postmortems import sanity
from postmortems.markdown import frozen_html, render_markdown, render_markdown_inline
from postmortems.metrics import format_duration
from postmortems.sections import SECTIONS, section_of
from postmortems.values import number_text, utc_text

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def markdown_inline(text):
    return render_markdown_inline(text)


@register.filter
def duration(value):
    return format_duration(value)


@register.simple_tag
def utc_time(value, on_date=None):
    """14:23 on the incident's own day, 2026-01-30 00:15 on any other; always UTC, seconds
    when there are some (values.utc_text, as the export writes it)."""
    return utc_text(value, on_date) or "—"


@register.filter(name="frozen_html")
def frozen_html_filter(html):
    return frozen_html(html)


# --- numbers as typed, and the sanity warnings beside what they concern ------------------------


@register.filter
def number(value, min_places=0):
    """99.9 for a stored 99.9000, 15 for 15.00 (values.number_text); '' for none."""
    return "" if value in (None, "") else number_text(value, int(min_places))


@register.filter
def section_warnings(warnings, slug):
    return sanity.in_section(warnings or (), slug)


@register.filter
def row_warnings(warnings, row):
    """The warnings about this row of one of the document's tables."""
    slug = next((s.slug for s in SECTIONS if s.rows and isinstance(row, s.rows.model)), None)
    return sanity.on_row(warnings or (), slug, row.pk) if slug else []


@register.filter
def field_warnings(warnings, bound_field):
    """The warnings about a field of the section form being edited (``{{ field }}``)."""
    section = section_of(bound_field.name)
    return sanity.on_field(warnings or (), section.slug, bound_field.name) if section else []


@register.filter
def field_note(form, name):
    """What a form says beside a field without it being an error (``form.notes``)."""
    return getattr(form, "notes", {}).get(name, "")


@register.filter
def described_by(bound_field, shown):
    """The field's box also described by the warning or note shown under it (when `shown`;
    editor/_field_warnings.html), after its help text; returns the field, for
    ``|as_crispy_field``. Only this form's copy of the widget is changed."""
    if shown and bound_field.auto_id:
        ids = [f"{bound_field.auto_id}_helptext"] if bound_field.help_text else []
        ids.append(f"{bound_field.auto_id}_warning")
        bound_field.field.widget.attrs["aria-describedby"] = " ".join(ids)
    return bound_field
