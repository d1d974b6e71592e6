"""The one place user-typed text becomes HTML: Markdown first, then an allowlist sanitizer.

Nothing else in the code base may mark user text safe. Templates use ``{{ text|markdown }}``.
"""

from functools import partial

import bleach
import markdown as md
from bleach.css_sanitizer import CSSSanitizer
from bleach.linkifier import LinkifyFilter
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "kbd", "samp",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
        "strong", "em", "b", "i", "s", "del", "ins", "sub", "sup", "mark", "abbr",
        "a",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "th": ["align", "colspan", "rowspan"],
    "td": ["align", "colspan", "rowspan"],
    "ol": ["start"],
    "code": ["class"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
EXTENSIONS = ["extra", "sane_lists", "nl2br"]
LINK_REL = "noopener noreferrer nofollow"


def _force_rel(attrs, new=False):
    """Every link, typed or linkified, opens nothing with our window and passes no referrer."""
    if (None, "href") in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


# Disallowed markup is escaped (shown as text), never executed; bare URLs become links.
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=True,
    css_sanitizer=CSSSanitizer(allowed_css_properties=[]),
    filters=[partial(LinkifyFilter, callbacks=[_force_rel], skip_tags={"pre", "code"})],
)


def render_markdown(text: str | None) -> SafeString:
    """Render user Markdown to sanitized HTML safe to put in a page."""
    if not text:
        return mark_safe("")
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    return mark_safe(_cleaner.clean(html))  # noqa: S308 — sanitized by the allowlist above


def render_markdown_inline(text: str | None) -> SafeString:
    """The same rendering for a table cell: a lone paragraph loses its <p> wrapper."""
    html = str(render_markdown(text))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 — only a wrapper removed from sanitized output
