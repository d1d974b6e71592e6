from django import template

from postmortems.markdown import frozen_html, render_markdown, render_markdown_inline
from postmortems.metrics import format_duration
from postmortems.values import utc_text

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
