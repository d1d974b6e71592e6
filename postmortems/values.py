"""How the document's values are written and read: one home for each rule.

The editor, the read view, the export and the import all use these, so a value typed in one
reads the same in every other (tests/postmortems/test_values.py checks that they agree):
UTC times, numbers, service names, one-point-per-line text, one-line text, incident keys.
"""

import datetime
import re
import unicodedata
from decimal import Decimal

from django.core.validators import URLValidator

UTC = datetime.UTC

# An incident key: capital letters, digits and hyphens (INC-2026-0042, INCIDENT-12345).
KEY_RE = r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$"

# A web link: http and https only (no javascript:, no file:).
http_url_validator = URLValidator(
    schemes=["http", "https"], message="Enter a web link that starts with http:// or https://."
)

# --- UTC times ---------------------------------------------------------------------------------
# Written as the template writes them: 14:23 on the incident's own day, 2026-01-30 00:15 on any
# other, seconds only when there are some. Read back from that, or from ISO 8601 in UTC.

_TIME = re.compile(
    r"(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"(?P<fraction>\.\d{1,6})?"
)
# Only from the start of a run of spaces: from inside one it cannot match where the run's start
# did not, and trying every start made a long run quadratic.
_UTC_SUFFIX = re.compile(r"(?<!\s)\s*+(?:z|utc|gmt|\+00:?00)$", re.IGNORECASE)
_OFFSET = re.compile(r"[+-]\d{2}:?\d{2}$")


class TimeRefused(ValueError):
    """Not a UTC time; ``code`` says why: invalid, needs_date (a time alone, no day to put it
    on) or offset (a time in another zone, which is refused rather than converted)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def utc_text(moment: datetime.datetime | None, day: datetime.date | None = None) -> str:
    """``14:23`` (or ``14:23:05``) on `day`, ``2026-01-30 00:15`` on any other day or when
    no day is given; '' for none."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
    if day is None or moment.date() != day:
        text = f"{moment:%Y-%m-%d} {text}"
    return text


def parse_utc(text: str, day: datetime.date | None) -> datetime.datetime:
    """The moment a typed time means, in UTC; raises TimeRefused."""
    text = _UTC_SUFFIX.sub("", text.strip())
    if _OFFSET.search(text) and not _TIME.fullmatch(text):
        raise TimeRefused("offset")
    match = _TIME.fullmatch(text)
    if not match:
        raise TimeRefused("invalid")
    if match["date"]:
        try:
            on = datetime.date.fromisoformat(match["date"])
        except ValueError:
            raise TimeRefused("invalid") from None
    elif day is None:
        raise TimeRefused("needs_date")
    else:
        on = day
    try:
        at = datetime.time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
    except ValueError:
        raise TimeRefused("invalid") from None
    return datetime.datetime.combine(on, at, tzinfo=UTC)


def names_its_day(text: str) -> bool:
    """Whether a typed time carries its own date (``2026-01-30 00:15``) rather than taking the
    incident's (``00:15``)."""
    match = _TIME.fullmatch(_UTC_SUFFIX.sub("", (text or "").strip()))
    return bool(match and match["date"])


# --- numbers -----------------------------------------------------------------------------------
# Typed as people write them: 1200, 1,200 or 1 200 (groups of three after the first, one kind of
# separator), a point for decimals (31.2). Shown as typed: 99.9, 15, 31.2 (a database column
# with four decimal places holds 99.9000; the stored value is never changed for showing it).

# A comma, a space, or the no-break, narrow no-break and thin spaces some keyboards and
# spreadsheets put between groups.
_GROUP_SEPARATORS = ", \u00a0\u202f\u2009"
_GROUPED = re.compile(
    rf"(?P<sign>[+-]?)(?P<head>[0-9]{{1,3}})(?P<sep>[{_GROUP_SEPARATORS}])"
    rf"(?P<tail>[0-9]{{3}}(?:(?P=sep)[0-9]{{3}})*)(?P<fraction>\.[0-9]+)?"
)


class NumberRefused(ValueError):
    """Not a number as people write one (1,20 or 31,2: a comma is not a decimal point here)."""


def ungrouped(text: str) -> str:
    """``1,200`` → ``1200``, ``1 200.5`` → ``1200.5``; anything else returned stripped, as it
    was (the caller's parser decides what it is). Raises NumberRefused for a comma or space
    inside digits that is not a thousands separator (``1,20``, ``31,2``, ``1,2000``)."""
    text = (text or "").strip()
    match = _GROUPED.fullmatch(text)
    if match:
        return (
            match["sign"]
            + match["head"]
            + match["tail"].replace(match["sep"], "")
            + (match["fraction"] or "")
        )
    if re.search(rf"[0-9][{_GROUP_SEPARATORS}]+[0-9]", text):
        raise NumberRefused(text)
    return text


def parse_count(text: str) -> int:
    """A whole number as typed: ``1200``, ``1,200``, ``1 200``; raises NumberRefused."""
    digits = ungrouped(text)
    if not re.fullmatch(r"[+-]?[0-9]{1,30}", digits):  # a bound for int(): the field says how big
        raise NumberRefused(text)
    return int(digits)


def number_text(value, min_places: int = 0) -> str:
    """A number as typed: trailing zeros dropped (99.9000 → 99.9, 15.00 → 15, 100 stays 100,
    never 1E+2), at least `min_places` decimals (99.9 → 99.90 with 2)."""
    number = Decimal(str(value)).normalize()
    places = max(min_places, -number.as_tuple().exponent, 0)
    return f"{number:.{places}f}"


# --- service names -----------------------------------------------------------------------------


def service_name(raw: str) -> str:
    """A service as a tag: lower case ASCII letters, digits, ``-`` and ``_``; accents dropped
    (Zürich → zurich), anything else one hyphen (k8s.io → k8s-io, API Gateway → api-gateway)."""
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_-]+", "-", ascii_text.strip().lower()).strip("-")


# --- text --------------------------------------------------------------------------------------


def bullet_lines(text: str) -> list[str]:
    """Points typed one per line, with any list marker or ✅/❌ the writer added removed."""
    items = []
    for line in text.splitlines():
        item = line.strip().lstrip("-*•").strip().removeprefix("✅").removeprefix("❌").strip()
        if item:
            items.append(item)
    return items


def single_line(text: str) -> str:
    """Text meant for one line (a title, a name, a role, a mail subject): any line break or
    control character becomes a space, runs of spaces one."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def parse_id(value) -> int | None:
    """A number from a query string or a form: ASCII digits that fit a database id, or None.
    (``str.isdigit`` lets ``²`` and ``١`` through; ``int`` takes them, or 4,000 digits.)"""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        return int(value)
    return None


def clipped(text: str, limit: int) -> str:
    """At most `limit` characters: a longer text is cut after its last whole word that fits,
    with an ellipsis (…), never in the middle of a word (one word longer than the limit is cut
    after its last punctuation that fits, and only failing that inside it)."""
    text = text or ""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    if head and not text[len(head)].isspace() and not head[-1].isspace():
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > 0:
            head = head[:space]
        else:
            stop = max((head.rfind(mark) for mark in "/.,;:-_)"), default=-1)
            head = head[: stop + 1] if stop > 0 else head
    return head.rstrip() + "…"


# --- the template's placeholders ---------------------------------------------------------------
# Where the blank template leaves a value to be typed it writes a placeholder: a format
# (`YYYY-MM-DD`), a choice's alternatives (`Draft | Under Review | Final`, `Open/In
# Progress/Done`) or their range (`P0-P3`), which are never a value; or words in brackets
# (`[Name]`, `[INCIDENT-ID] [Brief Description]`), which someone could type, so the importer
# takes them for placeholders only in a text that is the template (postmortems.exchange.guidance).

FORMAT_PLACEHOLDERS = frozenset({"yyyy-mm-dd", "hh:mm", "yyyy-mm-dd hh:mm", "hh:mm utc"})
_BRACKETED = re.compile(r"(?:\[[^\[\]\n]*+\]\s*+)++")
# A choice's alternatives are a few short labels.
_MAX_ALTERNATIVES = 200


def is_format_placeholder(text: str, choices=()) -> bool:
    """`YYYY-MM-DD` and the like, or the alternatives of one choice written out: `SEV-1 |
    SEV-2`, `Open/In Progress/Done`, `P0-P3` (`choices`: the labels it may list)."""
    low = " ".join((text or "").split()).lower()
    if low in FORMAT_PLACEHOLDERS:
        return True
    if len(low) > _MAX_ALTERNATIVES:
        return False
    labels = {str(label).lower() for label in choices}
    for separator in ("|", "/"):
        parts = [part.strip() for part in low.split(separator)]
        if len(parts) >= 2 and all(part in labels for part in parts):
            return True
    return any(
        low[:i].strip() in labels and low[i + 1 :].strip() in labels
        for i, char in enumerate(low)
        if char == "-"
    )


def is_bracketed(text: str) -> bool:
    """Words in brackets and nothing else: `[Name]`, `[INCIDENT-ID] [Brief Description]` (not
    a link, `[text](https://…)`)."""
    text = (text or "").strip()
    return bool(text) and _BRACKETED.fullmatch(text) is not None
