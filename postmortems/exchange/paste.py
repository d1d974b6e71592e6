"""Rows in bulk: a paste of many rows, in whatever shape it came, read into the rows of one
of the document's tables.

``parse(slug, text, day=…)`` finds the paste's shape (a Markdown table, tab-separated rows
from a spreadsheet, CSV, or lines: ``14:15 - text``, ``[13:26] text``, bullets, numbered
items), reads each row's values by column name (a header row) or by what each cell looks like
(a time, a date, a link, a priority…), and for the timeline puts a time that goes back past
midnight on the next day and suggests milestones from the words. ``form_data`` turns a row into
the data of the section's own row form, which decides whether it is valid: nothing here
checks a value the form checks.

Everything here is linear in the paste's length: lines are split with str methods, every
pattern is anchored and bounded, cells are compared after their whitespace is collapsed, and
a CSV line is read on its own (a field cannot run on over the following lines, and no line
longer than MAX_LINE is read as cells). What is kept is bounded too: MAX_ROWS rows, MAX_SKIPPED
lines listed as not rows.
"""

import contextlib
import csv
import datetime
import hashlib
import re
from dataclasses import dataclass, field

from postmortems.exchange import paste_words as words
from postmortems.exchange.markup import DASH, decode_cell, is_separator_row, split_row
from postmortems.sections.action_items import ACTION_LINK, ActionItem
from postmortems.sections.lessons import Lesson
from postmortems.values import TimeRefused, parse_utc, utc_text

MAX_CHARS = 200_000
MAX_ROWS = 500
# One row stands on one line; no row's fields together hold more than this.
MAX_LINE = 10_000
# Lines that are not rows (headings…) listed one by one; the others are counted.
MAX_SKIPPED = 50
# A time that goes back past midnight moves to a later day, never further than this.
MAX_SHIFT_DAYS = 7


class PasteRefused(ValueError):
    """Nothing was read: the message says why and what to do."""


@dataclass
class Row:
    line: int
    text: str
    values: dict
    end: int = 0  # the row's last line (a one-column row may go on over indented lines)
    problem: str = ""  # why the row cannot be added although it was read
    notes: list = field(default_factory=list)
    # The timeline: the milestone the row is given (from a column, or suggested), and the
    # days it was moved forward because its time went back past midnight.
    milestone: str = ""
    suggested: bool = False
    shift: int = 0
    moment: datetime.datetime | None = None


@dataclass
class Skipped:
    line: int
    text: str
    reason: str


@dataclass
class Paste:
    shape: str  # "table", "tsv", "csv" or "lines"
    rows: list
    skipped: list  # the first MAX_SKIPPED lines that are not rows (headings…)
    columns: list  # (header as typed, field or "") of the last header row read
    skipped_count: int = 0

    def skip(self, number, text, reason) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPPED:
            self.skipped.append(Skipped(number, text[:200], reason))


SHAPES = {
    "table": "a Markdown table",
    "tsv": "tab-separated rows (a spreadsheet)",
    "csv": "comma-separated rows (CSV)",
    "lines": "one row per line",
}

# --- the shapes of a line ----------------------------------------------------------------------

_TIME = r"(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?i:z| ?utc| ?gmt)?"
# `14:15 - text`, `[13:26] text`, `12:17 UTC – text`, `2026-01-30 14:15 text`, bulleted or not.
TIME_LINE = re.compile(
    rf"(?:[-*+•] |\d{{1,3}}[.)] )?\[?(?P<time>{_TIME})\]?(?: ?[-–—:|] ?| |$)(?P<text>.*)"
)
TIME_CELL = re.compile(rf"\[?(?P<time>{_TIME})\]?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MARKER = re.compile(r"(?:[-*+•]|\d{1,3}[.)])(?: |$)")
HEADING = re.compile(r"#{1,6}(?: |$)")
URL = re.compile(r"https?://\S+", re.IGNORECASE)
# Between the parts of one line: ` - `, ` – `, ` — `, ` | ` (whitespace is collapsed first).
PARTS = re.compile(r" [-–—|] ")


def _unmark(text: str) -> str:
    """A list item's text: without its bullet or number, its checkbox, ✅ or ❌."""
    marker = MARKER.match(text)
    if marker:
        text = text[marker.end() :]
    text = text.removeprefix("[ ] ").removeprefix("[x] ").removeprefix("[X] ")
    return text.strip().removeprefix("✅").removeprefix("❌").strip()


# --- reading ---------------------------------------------------------------------------------


def parse(slug: str, text: str, *, day=None, existing=frozenset(), empty=True) -> Paste:
    """The rows of a paste for the table of section `slug`. `day`: the incident's date (times
    without a date fall on it); `existing`: the milestones the timeline has already, not
    suggested again; `empty`: the table has no rows yet (the first event may then be
    suggested as the start). Raises PasteRefused."""
    if slug not in words.FIELDS:
        raise PasteRefused("This section has no table to paste rows into.")
    if len(text) > MAX_CHARS:
        raise PasteRefused(
            f"The paste is {len(text):,} characters; the limit is {MAX_CHARS:,}. "
            "Paste the rows in parts."
        )
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    lines = list(enumerate(text.split("\n"), 1))
    content = [(n, t) for n, t in lines if t.strip() and not _frame(t)]
    if not content:
        raise PasteRefused("Nothing to read: paste some rows into the box.")
    shape = _shape(slug, [t for _, t in content])
    paste = Paste(shape, [], [], [])
    _read(slug, shape, lines, paste)
    if slug == "timeline":
        _plan_timeline(paste.rows, day, existing, empty)
    return paste


def _frame(line: str) -> bool:
    """Code fences and rules around a paste: not rows, not worth a word."""
    stripped = line.strip()
    return stripped.startswith(("```", "~~~")) or stripped in ("---", "***", "___")


def _shape(slug: str, lines: list[str]) -> str:
    # Only lines that can be rows: a CSV field is then at most MAX_LINE characters.
    bodies = [_body(line) for line in lines if len(line) <= MAX_LINE]
    rows = [b for b in bodies if not HEADING.match(b) and words.group(slug, b) is None]
    if any(b.startswith("|") for b in rows):
        return "table"
    if any("\t" in b for b in rows):
        return "tsv"
    if rows and len(words.FIELDS[slug]) > 1 and not any(MARKER.match(b) for b in rows):
        cells = [_csv_cells(b) for b in rows]
        first = cells[0]
        if first and len(first) > 1 and words.header(slug, first, sure=False):
            return "csv"
        counts = {len(c) for c in cells if c is not None}
        reads = slug == "timeline" and any(TIME_LINE.match(words.squash(b)) for b in rows)
        if None not in cells and len(counts) == 1 and counts.pop() > 1 and not reads:
            return "csv"
    return "lines"


def _body(line: str) -> str:
    """A line without the `> ` of a quote and its outer whitespace."""
    stripped = line.strip()
    while stripped.startswith(">"):
        stripped = stripped[1:].strip()
    return stripped


def _csv_cells(line: str) -> list[str] | None:
    try:
        return next(csv.reader([line], skipinitialspace=True), [])
    except csv.Error:
        return None


def _read(slug, shape, lines, paste) -> None:
    group_field = words.GROUPS.get(slug, ("", {}))[0]
    last_field = words.FIELDS[slug][-1]
    one_column = len(words.FIELDS[slug]) == 1 or slug == "lessons"
    group, header, goes_on = "", None, False
    for index, (number, raw) in enumerate(lines):
        indented = raw[:1] in (" ", "\t")
        if not raw.strip() or _frame(raw):
            goes_on = False
            if shape == "table":
                header = None  # a table ends at a blank line; the next has its own header
            continue
        if len(raw) > MAX_LINE:
            row = Row(number, raw[:200] + "…", {}, number)
            row.problem = f"this line is {len(raw):,} characters; a row is at most {MAX_LINE:,}"
            _add(paste, row)
            continue
        body = _body(raw)
        if goes_on and indented and one_column and shape == "lines":
            last = paste.rows[-1]  # an indented line goes on with the item above it
            last.values[last_field] = last.values.get(last_field, "") + "\n" + body
            last.end = number
            continue
        goes_on = False
        value = words.group(slug, body)
        if value is not None or HEADING.match(body):
            if value is None:
                paste.skip(number, body, "a heading, not a row")
            else:
                group = value
            header = None
            continue
        cells = _cells(shape, body)
        if shape == "lines":
            values = _line_row(slug, body)
        elif cells is None:
            paste.skip(number, body, f"not one of the {SHAPES[shape]}")
            continue
        elif shape == "table" and is_separator_row(cells):
            continue
        else:
            if header is None:
                following = lines[index + 1][1] if index + 1 < len(lines) else ""
                sure = shape == "table" and is_separator_row(split_row(following) or [])
                header = words.header(slug, cells, sure=sure)
                if header is not None:
                    if not any(name for _, name in header):
                        paste.skip(number, body, "a header row with no column of this table")
                        header = []
                        continue
                    paste.columns = header
                    continue
                header = []
            values = _cell_row(slug, cells, header)
        if group_field and not values.get(group_field):
            values[group_field] = group
        row = Row(number, body, values, number)
        _check(slug, row)
        _add(paste, row)
        goes_on = True


def _add(paste, row) -> None:
    paste.rows.append(row)
    if len(paste.rows) > MAX_ROWS:
        raise PasteRefused(
            f"The paste has more than {MAX_ROWS} rows; add at most {MAX_ROWS} at a time "
            f"(line {row.line} is row {MAX_ROWS + 1})."
        )


def _cells(shape: str, body: str) -> list[str] | None:
    if shape == "table":
        cells = split_row(body)
        return [decode_cell(c) for c in cells] if cells is not None else None
    if shape == "tsv":
        return [c.strip() for c in body.split("\t")]
    if shape == "csv":
        return _csv_cells(body)
    return None


def _cell_row(slug: str, cells: list[str], header: list) -> dict:
    """A row's values by its header's columns, else by what each cell looks like."""
    cells = [words.squash(c) if "\n" not in c else c.strip() for c in cells]
    cells = ["" if c == DASH else c for c in cells]
    if header:
        values = {}
        for (_, name), cell in zip(header, cells, strict=False):
            if name and cell and not values.get(name):
                values[name] = cell
        date = values.pop("date", "")
        if date:
            time = values.get("time", "")
            values["time"] = time if DATE.match(time) else f"{date} {time}".strip()
        return values
    return _classify(slug, [c for c in cells if c])


def _line_row(slug: str, body: str) -> dict:
    line = words.squash(body)
    if slug == "timeline":
        match = TIME_LINE.fullmatch(line)
        if match is None:
            return {"description": _unmark(line), "problem": "no time at the start of the line "
                    "(like 14:23, [14:23] or 2026-01-30 00:15)"}  # fmt: skip
        return {"time": match["time"], "description": match["text"].strip()}
    text = _unmark(line)
    if slug == "root-cause":
        return {"description": text}
    if slug == "lessons":
        kind, sep, rest = text.partition(": ")
        if sep and len(kind) <= words.MAX_NAME and words.norm(kind) in words.LESSON_KINDS:
            return {"category": words.LESSON_KINDS[words.norm(kind)], "text": rest.strip()}
        return {"text": text}
    if slug == "supporting":
        link = URL.search(text)
        if link:
            title = (text[: link.start()] + text[link.end() :]).strip().rstrip(":–—-").strip()
            return {"title": title, "url": link[0]}
        title, sep, rest = text.rpartition(": ")
        return {"title": title, "url": rest} if sep else {"title": "", "url": text}
    return _classify(slug, [p.strip() for p in PARTS.split(text) if p.strip()])


def _classify(slug: str, cells: list[str]) -> dict:
    """A row without a header: a cell that looks like a time, a date, a link, a priority, a
    status or a kind goes there; the others fill the text fields in order."""
    values, texts = {}, []
    for index, cell in enumerate(cells):
        low = cell.lower() if len(cell) <= words.MAX_NAME else ""
        if slug in ("timeline", "response") and TIME_CELL.fullmatch(cell):
            name = "time" if slug == "timeline" else "joined_at"
            if name not in values:
                values[name] = TIME_CELL.fullmatch(cell)["time"]
                continue
        if slug == "timeline" and DATE.fullmatch(cell) and "date" not in values:
            values["date"] = cell
            continue
        typed = {
            "timeline": [("milestone", words.MILESTONES)] if index == len(cells) - 1 and texts else [],
            "action-items": [
                ("priority", words.PRIORITIES), ("status", words.STATUSES), ("category", words.CATEGORIES),
            ],
            "lessons": [("category", words.LESSON_KINDS)] if len(cells) > 1 else [],
            "supporting": [("kind", words.LINK_KINDS)],
        }.get(slug, [])  # fmt: skip
        name = next((n for n, names in typed if low in names and n not in values), None)
        if name:
            values[name] = cell
        elif slug == "action-items" and DATE.fullmatch(cell) and "due_date" not in values:
            values["due_date"] = cell
        elif slug in ("action-items", "supporting") and URL.fullmatch(cell):
            values["tracker_url" if slug == "action-items" else "url"] = cell
        else:
            texts.append(cell)
    if "date" in values:
        time = values.get("time", "")
        values["time"] = f"{values.pop('date')} {time}".strip() if not DATE.match(time) else time
    text_fields = {
        "timeline": ["description"],
        "response": ["role", "name"],
        "root-cause": ["description"],
        "action-items": ["action", "owner"],
        "lessons": ["text"],
        "supporting": ["title"],
    }[slug]
    if len(text_fields) == 1:
        if texts:
            values[text_fields[0]] = " — ".join(texts)
    else:
        values |= dict(zip(text_fields, texts, strict=False))
        if len(texts) > len(text_fields):
            extra = texts[len(text_fields) :]
            values["problem"] = "cells that fit no column: " + "; ".join(
                f"“{c[:40]}”" for c in extra
            )
    return values


def _check(slug: str, row: Row) -> None:
    """What reading found wrong with the row, and choices written in another way."""
    row.problem = row.values.pop("problem", "")
    if slug == "action-items":
        action = row.values.get("action", "")
        link = ACTION_LINK.match(action) if len(action) <= MAX_LINE else None
        if link:  # the export's `[action](https://tracker…)`
            row.values["action"] = decode_cell(link["text"])
            row.values.setdefault("tracker_url", link["url"])
    for name, known in [*words.CHOICES.items(), words.GROUPS.get(slug, ("", {}))]:
        value = row.values.get(name, "")
        if value and value.lower() not in known and value not in known.values():
            if name in ("milestone", "category", "kind"):
                row.notes.append(f"“{value[:40]}” is not a {name}; left at the default")
                row.values[name] = ""
        elif value:
            row.values[name] = known.get(value.lower(), value)


# --- the timeline: days and milestones ---------------------------------------------------------


def _plan_timeline(rows, day, existing, empty) -> None:
    previous = None
    for row in rows:
        text = row.values.get("time", "")
        if row.problem or not text:
            continue
        try:
            moment = parse_utc(text.strip("[]"), day)
        except TimeRefused:
            continue
        if previous is not None and not DATE.match(text):
            with contextlib.suppress(OverflowError):  # at either end of the calendar: as typed
                gap = previous - datetime.timedelta(hours=12) - moment
                if gap > datetime.timedelta(0):
                    shift = -(-gap // datetime.timedelta(days=1))
                    if shift <= MAX_SHIFT_DAYS:
                        moment += datetime.timedelta(days=shift)
                        row.shift = shift
        row.moment = moment
        previous = moment
    given = [r for r in rows if r.values.get("milestone")]
    for row in given:
        row.milestone = row.values["milestone"]
    if given:
        return
    descriptions = [r.values.get("description", "") if not r.problem else "" for r in rows]
    for index, milestone in words.suggest_milestones(descriptions, existing, empty).items():
        rows[index].milestone, rows[index].suggested = milestone, True


# --- a row as its form's data ------------------------------------------------------------------


def when(row: Row, *, shifted: bool) -> str:
    """The time a timeline row is saved at, as the form takes it."""
    text = row.values.get("time", "").strip("[]")
    if shifted and row.shift and row.moment is not None:
        return utc_text(row.moment)
    return text


def form_data(slug: str, row: Row, *, milestone=None, shifted=True, find_person=None) -> dict:
    """The row as the data of the section's row form (without its prefix). `find_person`
    turns a name into an account (or None: the name is kept as typed)."""
    v = row.values
    if slug == "timeline":
        chosen = row.milestone if milestone is None else milestone
        return {"occurred_at": when(row, shifted=shifted), "description": v.get("description",
                ""), "milestone": chosen}  # fmt: skip
    if slug == "root-cause":
        return {"description": v.get("description", "")}
    if slug == "lessons":
        return {"category": v.get("category") or _default(Lesson, "category"),
                "text": v.get("text", "")}  # fmt: skip
    if slug == "supporting":
        url = v.get("url", "")
        return {"kind": v.get("kind") or words.guess_kind(v.get("title", ""), url),
                "title": v.get("title") or url, "url": url}  # fmt: skip
    name_field, account_field, person = {
        "response": ("name", "user", v.get("name", "")),
        "action-items": ("owner_name", "owner", v.get("owner", "")),
    }[slug]
    account = find_person(person) if find_person and person else None
    data = {
        account_field: str(account.pk) if account is not None else "",
        name_field: "" if account is not None else person,
    }
    if slug == "response":
        return {**data, "role": v.get("role", ""), "joined_at": v.get("joined_at", "")}
    return {
        **data,
        "category": v.get("category") or _default(ActionItem, "category"),
        "action": v.get("action", ""),
        "due_date": v.get("due_date", ""),
        "priority": v.get("priority") or _default(ActionItem, "priority"),
        "status": v.get("status") or _default(ActionItem, "status"),
        "tracker_url": v.get("tracker_url", ""),
    }


def _default(model, name) -> str:
    return model._meta.get_field(name).default


def digest(slug: str, text: str, day) -> str:
    """What a preview was made of: a choice posted with another digest belongs to another
    paste, and is not applied."""
    seed = f"{slug}\n{day}\n{text.replace(chr(13), '')}"
    return hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:32]
