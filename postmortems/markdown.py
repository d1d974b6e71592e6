"""The one place user-typed text becomes HTML: Markdown first, then an allowlist sanitizer.

Nothing else in the code base may mark user text safe. Templates use ``{{ text|markdown }}``.

No text can fail a page or hold it up, however it reached the database (a form, an import,
the admin, a shell): the conversion runs in a worker process with a time budget
(``postmortems.markdown_engine``). A text that cannot be formatted within it is shown as typed
(escaped) with a short note, never cached, and never frozen into a Final snapshot; the forms
refuse such a text when it is saved (``validate_renderable``), keeping it on screen.
"""

import contextlib
import contextvars
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from postmortems import markdown_engine as engine
from postmortems.markdown_engine import ALLOWED_TAGS, LINK_REL  # noqa: F401 — tests read them
from postmortems.values import bullet_lines

# Time budgets: one text on a page; every text one request formats afresh (the memo below
# makes a page's second view free); a text being saved, half the page's budget so that what
# is saved formats on any page with room to spare.
TEXT_SECONDS = 0.5
PAGE_SECONDS = 1.0
SAVE_SECONDS = 0.25
# Longer texts are never formatted: the forms allow 20,000 characters, a comment 10,000.
MAX_CHARS = 50_000

REASONS = {
    "too-long": f"it is longer than {MAX_CHARS:,} characters",
    "too-deep": "it nests lists, quotes or definitions too deeply",
    "too-large": "formatted, it would be far larger than it is",
    "too-slow": "formatting it takes too long",
    "failed": "the formatter failed on it",
    "page-budget": "this page ran out of time to format it; reload to see it formatted",
    "unavailable": "the formatter is not available right now",
}
SAVE_MESSAGES = {
    "too-long": f"This text is longer than {MAX_CHARS:,} characters and cannot be formatted.",
    "too-deep": "This text nests lists, quotes or definition lists too deeply to be formatted. "
    "Use fewer levels: each “* ”, “> ” or indent at the start of a line is one more.",
    "too-large": "Formatted, this text would be far larger than it is (an abbreviation or a "
    "link repeated many times?). Shorten what repeats.",
    "too-slow": "This text takes too long to format, which usually means thousands of unclosed "
    "“[” or similar. Put logs and code in a ``` code block, or shorten it.",
    "failed": "This text cannot be formatted. Simplify its Markdown, or put it in a ``` code "
    "block.",
    "unavailable": "The formatter is not available right now, so this text could not be "
    "checked. Try saving again in a moment.",
}


class RenderFailed(Exception):
    """A text could not be formatted; ``reason`` is a key of ``REASONS``."""

    def __init__(self, reason: str):
        super().__init__(REASONS.get(reason, reason))
        self.reason = reason


class _Memo:
    """What texts became (a page renders the same fields on every view) and how long that
    took, least recent out first, bounded by the characters it holds. Only successes."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.chars = 0
        self.items: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str) -> tuple[str, float] | None:
        with self.lock:
            found = self.items.get(text)
            if found is not None:
                self.items.move_to_end(text)
            return found

    def put(self, text: str, html: str, seconds: float) -> None:
        size = len(text) + len(html)
        if size > self.max_chars // 16:
            return
        with self.lock:
            if text in self.items:
                return
            self.items[text] = (html, seconds)
            self.chars += size
            while self.chars > self.max_chars:
                old_text, (old_html, _) = self.items.popitem(last=False)
                self.chars -= len(old_text) + len(old_html)


_memo = _Memo(max_chars=16_000_000)
# Texts that failed on their own full budget: shown as typed at once the next time.
_failed: OrderedDict[str, str] = OrderedDict()
_failed_lock = threading.Lock()
FAILED_REMEMBERED = 2048


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _remember_failure(text: str, reason: str) -> None:
    with _failed_lock:
        _failed[_digest(text)] = reason
        while len(_failed) > FAILED_REMEMBERED:
            _failed.popitem(last=False)


def _known_failure(text: str) -> str | None:
    with _failed_lock:
        return _failed.get(_digest(text))


@dataclass
class _PageBudget:
    seconds: float = PAGE_SECONDS
    spent: float = 0.0


_page_budget: contextvars.ContextVar[_PageBudget | None] = contextvars.ContextVar(
    "markdown_page_budget", default=None
)
_strict: contextvars.ContextVar[bool] = contextvars.ContextVar("markdown_strict", default=False)


@contextlib.contextmanager
def page_budget(seconds: float = PAGE_SECONDS):
    """Inside, all formatting of texts not memoised yet shares `seconds` (a page's: one)."""
    token = _page_budget.set(_PageBudget(seconds=seconds))
    try:
        yield
    finally:
        _page_budget.reset(token)


class RenderBudgetMiddleware:
    """Every request is one page: it gets PAGE_SECONDS of formatting."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with page_budget():
            return self.get_response(request)


@contextlib.contextmanager
def strict_rendering():
    """Inside, a text that cannot be formatted raises RenderFailed instead of showing as typed:
    for what is frozen (a Final snapshot), which must never keep a fallback. (The page budget
    still holds: give it its own with ``page_budget``.)"""
    token = _strict.set(True)
    try:
        yield
    finally:
        _strict.reset(token)


def convert(text: str, *, timeout: float = TEXT_SECONDS) -> str:
    """Sanitized HTML for a text, or RenderFailed. Memoised, with the time it took: a
    memoised text slower than `timeout` fails as it would have. Failures are never memoised."""
    found = _memo.get(text)
    if found is not None:
        html, seconds = found
        if seconds > timeout:
            raise RenderFailed("too-slow")
        return html
    if len(text) > MAX_CHARS:
        raise RenderFailed("too-long")
    known = _known_failure(text)
    if known:
        raise RenderFailed(known)
    budget = _page_budget.get()
    allowed = timeout
    if budget is not None:
        allowed = min(timeout, budget.seconds - budget.spent)
        if allowed <= 0.01:
            raise RenderFailed("page-budget")
    # What a text costs is the worker's CPU time, not the time it waited for a core on a busy
    # machine: a memoised one-line text timed on a loaded machine was refused when saved.
    started = time.monotonic()
    try:
        status, payload, seconds = engine.pool().convert(text, allowed)
    except engine.Late:
        if budget is not None:
            budget.spent += time.monotonic() - started
        reason = "too-slow" if allowed >= timeout else "page-budget"
        if allowed >= TEXT_SECONDS:
            _remember_failure(text, reason)
        raise RenderFailed(reason) from None
    except engine.Broken:
        raise RenderFailed("unavailable") from None
    if budget is not None:
        # The page is charged the formatter's CPU time, but never less than the wait over the
        # starved factor: on a busy machine a page waits for the formatter at most that many
        # times its budget (plus a text's second), as one text does, however many texts it has.
        waited = time.monotonic() - started
        budget.spent += max(seconds, waited / engine.STARVED_FACTOR)
    if status != engine.OK:
        reason = {engine.TOO_DEEP: "too-deep", engine.TOO_LARGE: "too-large"}.get(status, "failed")
        _remember_failure(text, reason)
        raise RenderFailed(reason)
    _memo.put(text, payload, seconds)
    return payload


def _fallback(text: str, reason: str, *, inline: bool) -> SafeString:
    note = f"Shown as typed: {REASONS.get(reason, reason)}."
    shown = text[:MAX_CHARS]
    more = len(text) - len(shown)
    if more:
        note += f" {more:,} more characters are not shown."
    if inline:
        return mark_safe(  # noqa: S308 — the text is escaped
            f'<span class="md-fallback-inline">{escape(shown)}</span> '
            f'<small class="md-fallback-note">({escape(note)})</small>'
        )
    return mark_safe(  # noqa: S308 — the text is escaped
        f'<div class="md-fallback"><p class="md-fallback-note">{escape(note)}</p>'
        f'<div class="md-fallback-text">{escape(shown)}</div></div>'
    )


def _render(text: str | None, *, inline: bool) -> SafeString:
    if not text:
        return mark_safe("")
    try:
        html = convert(text)
    except RenderFailed as failure:
        if _strict.get():
            raise
        return _fallback(text, failure.reason, inline=inline)
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 — sanitized by the allowlist in markdown_engine


def render_markdown(text: str | None) -> SafeString:
    """Render user Markdown to sanitized HTML safe to put in a page."""
    return _render(text, inline=False)


def render_markdown_inline(text: str | None) -> SafeString:
    """The same rendering for a table cell: a lone paragraph loses its <p> wrapper."""
    return _render(text, inline=True)


def renderable_error(text: str | None, *, lines: bool = False) -> str:
    """Why a text about to be saved cannot be formatted, or '' when it can (it is then
    memoised, so the page after the save shows it at once). With `lines`, each point of it
    is checked as it is shown: one per line (What went well, What went poorly)."""
    if not text:
        return ""
    for part in bullet_lines(text) if lines else [text]:
        try:
            convert(part, timeout=SAVE_SECONDS)
        except RenderFailed as failure:
            if failure.reason == "page-budget":
                return SAVE_MESSAGES["too-slow"]
            return SAVE_MESSAGES[failure.reason]
    return ""


def validate_renderable(text: str | None) -> None:
    """A form validator: the text formats within the budget, or a message beside the field."""
    error = renderable_error(text)
    if error:
        raise ValidationError(error, code="unrenderable")


def validate_renderable_lines(text: str | None) -> None:
    """The same for a text shown one point per line."""
    error = renderable_error(text, lines=True)
    if error:
        raise ValidationError(error, code="unrenderable")


def frozen_html(html: str) -> SafeString:
    """A Final snapshot's stored page, shown as it was rendered.

    The snapshot is our own template output, rendered at Final with every user text already
    passed through ``render_markdown`` (strictly: no fallback is ever frozen) or Django's
    autoescaping; nobody can write into it.
    """
    return mark_safe(html)  # noqa: S308 — generated by our templates at Final
