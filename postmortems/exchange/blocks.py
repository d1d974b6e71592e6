"""Reading the template's Markdown: its blocks and lines, and what was read from them.

The importer splits the text into ``##`` blocks (with their ``###`` sub-blocks) and every
section's reader (``postmortems.sections``) reads its own block with these helpers, putting
what it read into ``Parsed`` and every line it cannot place into a ``Problem`` with its line
number. Nothing here knows a section: only the shapes the template uses (label lines,
numbered lists, tables).

Every pattern here runs on text of any length (a 2 MB upload may be one line), so none may
backtrack over a run of characters more than once: no two neighbouring quantifiers that can
take the same characters, possessive quantifiers where a run is all or nothing, str methods
where a pattern would try every split of a run. tests/postmortems/test_import_bounds.py times
each on the inputs that used to take minutes.
"""

import datetime
import re
from dataclasses import dataclass, field

from postmortems.exchange.markup import (
    DASH,
    decode_block,
    decode_cell,
    dedent,
    is_separator_row,
    split_row,
)


@dataclass
class Problem:
    line: int
    text: str
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}: {self.text}"


@dataclass
class Parsed:
    """What an import read: the document's fields, its tables' rows, and the problems."""

    key: str = ""
    title: str = ""
    incident_date: datetime.date | None = None
    severity: str = ""
    author_names: list = field(default_factory=list)  # (line, text, name)
    tags: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    field_lines: dict = field(default_factory=dict)  # field → (line, text), for messages
    # Rows of each table by its related name: [(line, text, {field: value})].
    rows: dict = field(default_factory=dict)
    related: list = field(default_factory=list)  # (line, text, key)
    approvals: list = field(default_factory=list)  # (line, text, role, required, name)
    problems: list = field(default_factory=list)
    notices: list = field(default_factory=list)  # about the whole import, not one line
    # Header lines that held the template's placeholder (`**Date**: YYYY-MM-DD`): by label.
    dropped_labels: set = field(default_factory=set)

    def problem(self, line, text, reason):
        self.problems.append(Problem(line, text, reason))

    def set(self, name, value, number, text):
        """A document field's value, and the line it was read from."""
        self.fields[name] = value
        self.field_lines[name] = (number, text)

    def row(self, related_name, number, text, values):
        self.rows.setdefault(related_name, []).append((number, text, values))


HEADING = re.compile(r"(#{1,3}) ++(.*)")
BULLET = re.compile(r"^[-*+] +\*\*(?P<label>[^*]+?)\*\*\s*:?\s*(?::\s*)?(?P<value>.*)$")
NUMBERED = re.compile(r"^(?P<n>\d+)[.)] +(?P<text>.*)$")
LABEL_LINE = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*\s*:\s*(?P<value>.*)$")


def heading(text):
    """(level, title) of a `#`, `##` or `###` line, else None.

    The title loses trailing closing `#`s and the whitespace around them, as in Markdown.
    """
    match = HEADING.match(text)
    if match is None:
        return None
    return len(match[1]), match[2].rstrip().rstrip("#").rstrip()


def norm(title: str) -> str:
    return re.sub(r"\s+", " ", title.strip().lower().rstrip(":"))


@dataclass
class Block:
    line: int  # of the heading
    title: str
    lines: list  # [(number, text)]
    subs: list = field(default_factory=list)  # [Block] for ### inside ##


def split(lines):
    """(header lines, [## blocks with their ### sub-blocks])."""
    header, blocks = [], []
    current = None
    for number, text in lines:
        level, title = heading(text) or (0, "")
        if level == 2:
            current = Block(number, title, [])
            blocks.append(current)
        elif level == 3 and current is not None:
            current.subs.append(Block(number, title, []))
        elif current is None:
            header.append((number, text))
        elif current.subs:
            current.subs[-1].lines.append((number, text))
        else:
            current.lines.append((number, text))
    return header, blocks


def blank_or_rule(text) -> bool:
    return text.strip() in ("", "---")


def trim(lines):
    """Without blank lines and `---` rules at either end."""
    start, end = 0, len(lines)
    while start < end and blank_or_rule(lines[start][1]):
        start += 1
    while end > start and blank_or_rule(lines[end - 1][1]):
        end -= 1
    return lines[start:end]


def free(lines) -> str:
    return decode_block([text for _, text in trim(lines)])


def leftovers(parsed, lines, reason):
    for number, text in lines:
        if text.strip() and text.strip() != "---":
            parsed.problem(number, text, reason)


def items(lines, pattern, indent_of):
    """List items matching `pattern` with their indented continuation lines.

    Returns ([(number, first line, match, value)], leftovers).
    """
    items, leftovers = [], []
    lines = trim(lines)
    i = 0
    while i < len(lines):
        number, text = lines[i]
        match = pattern.match(text)
        if not match:
            leftovers.append((number, text))
            i += 1
            continue
        indent = indent_of(match)
        body, j = [], i + 1
        while j < len(lines):
            nxt = lines[j][1]
            if nxt.startswith(" ") and nxt.strip():
                body.append(dedent(nxt, indent))
            elif not nxt.strip():
                # A blank line continues the item only if an indented line follows.
                k = j
                while k < len(lines) and not lines[k][1].strip():
                    k += 1
                if k < len(lines) and lines[k][1].startswith(" "):
                    body += [""] * (k - j)
                    j = k
                    continue
                break
            else:
                break
            j += 1
        items.append((number, text, match, body))
        i = j
    return items, leftovers


def bullets(lines):
    found, leftovers = items(lines, BULLET, lambda m: 2)
    result = []
    for number, text, match, body in found:
        first = match["value"].strip()
        value = "\n".join(([first] if first else []) + body).strip("\n").rstrip()
        result.append((number, text, norm(match["label"]), "" if value == DASH else value))
    return result, leftovers


def numbered(lines):
    found, leftovers = items(lines, NUMBERED, lambda m: len(m["n"]) + 2)
    return [
        (number, text, "\n".join([match["text"].strip(), *body]).strip("\n").rstrip())
        for number, text, match, body in found
    ], leftovers


def table(parsed, lines, columns: dict[int, str], name: str):
    """Rows of the first table in `lines` whose column count is one of `columns`.

    Returns ([(number, text, [decoded cells])], leftovers). A row with another number of cells
    is a problem, kept in the notes.
    """
    rows, leftovers, header_seen = [], [], False
    for number, text in trim(lines):
        cells = split_row(text)
        if cells is None:
            leftovers.append((number, text))
            continue
        if is_separator_row(cells):
            continue
        if not header_seen:
            header_seen = True
            if len(cells) not in columns:
                parsed.problem(
                    number,
                    text,
                    f"the {name} table should have the columns "
                    + " or ".join(columns.values())
                    + f", not {len(cells)}",
                )
            continue
        if len(cells) not in columns:
            parsed.problem(
                number,
                text,
                f"this {name} row has {len(cells)} cells; expected "
                + " or ".join(str(n) for n in columns)
                + " — row not imported",
            )
            continue
        rows.append((number, text, [decode_cell(c) for c in cells]))
    return rows, leftovers


def unknown(parsed, block):
    marker = "##" if block.subs or block.title in () else "###"
    parsed.problem(
        block.line, f"{marker} {block.title}", "unknown heading — its text is kept in the notes"
    )
    leftovers(parsed, block.lines, f"under the unknown heading “{block.title}”")
    for sub in block.subs:
        unknown(parsed, sub)


def to_int(digits: str) -> int | None:
    """The number, or None for one with more digits than Python converts (4,300)."""
    try:
        return int(digits)
    except ValueError:
        return None


def too_long(value, limit) -> str:
    return f"This is {len(value):,} characters; the limit is {limit:,}."
