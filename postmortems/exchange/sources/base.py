"""What every timeline source reads into: candidate events, one per chat message, log entry or
alert notification, each at a moment in UTC.

A source module (``slack.py``, ``pagerduty.py`` …) turns what a tool exported or sent into
``Candidate``s and nothing else: no document, no form, no query. Which of them become rows, and
how, is the preview's business. Every reader is bounded: it reads at most ``MAX_CANDIDATES``
and cuts a text at ``MAX_TEXT`` characters.
"""

import datetime
import re
from dataclasses import dataclass

# More than this many messages in one upload is not a timeline any more: pick a channel or a
# shorter export.
MAX_CANDIDATES = 5_000
# A candidate's text is cut here (a timeline row's description holds 2,000 characters).
MAX_TEXT = 1_000

UTC = datetime.UTC


class SourceRefused(ValueError):
    """Nothing could be read: the message says why, in words for the person who uploaded it."""


@dataclass(frozen=True)
class Candidate:
    at: datetime.datetime  # aware, in UTC
    text: str  # plain text: markup resolved to names and "label (url)"
    author: str = ""  # a person's or a bot's display name
    channel: str = ""  # the chat channel, or the paging tool's service / alert group
    milestone: str = ""  # a metrics.Milestone value ("detected", "acknowledged" …) or ""
    bot: bool = False  # written by a bot or an integration, not a person
    reply: bool = False  # a reply in a thread
    source: str = ""  # the format's key: "slack", "pagerduty" …
    ref: str = ""  # the message's or entry's own id in its tool, when it has one


def clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


# Epoch values by magnitude: seconds until the year 5138, then milliseconds, microseconds and
# nanoseconds (a Slack "ts" is seconds with a fraction, as a string).
_EPOCH_DIVISORS = ((1e11, 1), (1e14, 1e3), (1e17, 1e6), (float("inf"), 1e9))
_NUMBER = re.compile(r"-?\d{1,20}(?:\.\d{1,9})?")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)


def from_epoch(value) -> datetime.datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970 (a number or its text)."""
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value.strip()):
            raise SourceRefused(f"Not a time: {value[:40]!r}.")
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise SourceRefused(f"Not a time: {str(value)[:40]!r}.")
    for limit, divisor in _EPOCH_DIVISORS:
        if abs(value) < limit:
            try:
                return datetime.datetime.fromtimestamp(value / divisor, UTC)
            except (OverflowError, OSError, ValueError) as exc:
                raise SourceRefused(f"Not a time: {value!r}.") from exc
    raise SourceRefused(f"Not a time: {value!r}.")


def from_iso(text: str) -> datetime.datetime:
    """An ISO 8601 moment ("2024-01-01T12:00:00.123456789+02:00", "…Z", "… UTC"), in UTC. A
    moment without an offset is read as UTC. Nanoseconds are cut to microseconds."""
    match = _ISO.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise SourceRefused(f"Not a time: {str(text)[:40]!r}.")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
        offset = datetime.timedelta(0)
        if zone and zone not in ("Z", "z", "UTC"):
            digits = zone[1:].replace(":", "")
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            offset = -offset if zone[0] == "-" else offset
        return (moment - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise SourceRefused(f"Not a time: {text[:40]!r}.") from exc


def moment(value) -> datetime.datetime:
    """Either kind: a number (or numeric text) is an epoch value, anything else ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return from_epoch(value)
    return from_iso(value)


def dig(value, *keys):
    """The value at a path of keys in parsed JSON, or None where any step is missing or is not
    an object: an upload's shape is never trusted."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def words(value) -> str:
    """A JSON string (or number) as one line of text; anything else (an object, a list, null)
    as "". Cut well beyond a row's length first, so a huge field costs nothing to fold."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return " ".join(str(value)[: MAX_TEXT * 4].split())
