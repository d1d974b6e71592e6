"""The blank template's own text, told apart from what a document says: its placeholders, its
guidance and its examples.

Where a value is to be typed, the template (../shared/postmortem-template.md) writes a
placeholder (`[Name]`, `YYYY-MM-DD`, `P0-P3`: the rules are ``postmortems.values``) or guidance
(`**Template**:` and its four questions, `How did we know it was fixed?`); and every section
shows an example of the filled-in document: a `### Example` block, `**Example**:` followed by a
code block or a quote, the `### Detailed Timeline Example`. Where an example is a table's rows
or a list (the responders, what went well and poorly, the other groups of action items) it
stands in the section itself, beside the placeholders: a section that has an example and still
holds placeholders or guidance is the template's, so what else it holds is the example too.

``Template.prepare`` runs before the sections read their blocks: a placeholder becomes an
empty value, guidance goes, and each example is taken out whole. With ``examples`` every one
goes to its section, rewritten into the lines that section reads (``exchange.examples``);
without, none does, and a notice says where they were. All of the example or none of it.

A text is the template when it has an example block (or the template's `[INCIDENT-ID]` title):
only then are words in brackets placeholders, since a document may say `[REDACTED]`. Formats
and a choice's alternatives are never a value, in any text. Every pass here reads each line a
bounded number of times: linear in the text.
"""

import re
from dataclasses import dataclass, field

from postmortems.exchange import blocks, examples
from postmortems.exchange.blocks import BULLET, LABEL_LINE, NUMBERED
from postmortems.exchange.markup import DASH, decode_cell, is_separator_row, split_row
from postmortems.models import ActionItem, Postmortem, Severity
from postmortems.sections import SECTIONS
from postmortems.values import clipped, is_bracketed, is_format_placeholder

# The labels a choice's alternatives are written with: `Draft | Under Review | Final`…
CHOICES = frozenset(
    str(label)
    for choices in (Postmortem.Status, Severity, ActionItem.Priority, ActionItem.Status)
    for _, label in choices.choices
)
# The template's guidance that is a line of its own (not a placeholder: no brackets).
GUIDANCE = frozenset({"**what was done to mitigate/resolve?**", "how did we know it was fixed?"})
EXAMPLE_LABELS = frozenset({"**example**:", "**example:**", "**example**"})
TEMPLATE_LABELS = frozenset({"**template**:", "**template:**", "**template**"})
FENCES = ("```", "~~~")
# A table cell that says when, not what: a row left with only these says nothing.
WHEN_CELL = re.compile(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}(?: \d{1,2}:\d{2})?")
SLUGS = {heading: section.slug for section in SECTIONS for heading in section.headings}
# Names listed in the notice, at most.
LISTED = 8


def is_example_title(title: str) -> bool:
    name = blocks.norm(title)
    return name == "example" or name.endswith(" example")


@dataclass
class Template:
    """What an import found of the template's own text, and what it did with it."""

    examples: bool  # import the template's examples as content
    is_template: bool = False
    placeholders: list = field(default_factory=list)  # distinct, as written
    dropped: set = field(default_factory=set)  # header labels that were placeholders
    left_out: list = field(default_factory=list)  # (first line, last line) of examples
    taken: int = 0  # examples given to their sections
    # Timeline lines (`14:15 - event`), read once the timeline's table is: (number, text).
    time_lines: list = field(default_factory=list)

    # --- finding it ---------------------------------------------------------------------------

    def find(self, header, found) -> None:
        """Whether the text is the template: an example block, its `[INCIDENT-ID]` title, or a
        header line that is a placeholder (`**Date**: YYYY-MM-DD`)."""
        title = next((text for _, text in header if text.lstrip().startswith("# ")), "")
        labels = [LABEL_LINE.match(text.strip()) for _, text in header]
        if "[INCIDENT-ID]" in title.upper() or any(
            label and is_format_placeholder(label["value"], CHOICES) for label in labels
        ):
            self.is_template = True
            return
        for block in found:
            for part in (block, *block.subs):
                if part is not block and is_example_title(part.title):
                    self.is_template = True
                    return
                if any(text.strip().lower() in EXAMPLE_LABELS for _, text in part.lines):
                    self.is_template = True
                    return

    def placeholder(self, value: str) -> bool:
        value = value.strip()
        if not value or value == DASH:
            return False
        if is_format_placeholder(value, CHOICES) or (self.is_template and is_bracketed(value)):
            shown = clipped(value, 60)
            if len(self.placeholders) <= LISTED and shown not in self.placeholders:
                self.placeholders.append(shown)
            return True
        return False

    # --- the header ---------------------------------------------------------------------------

    def header(self, lines) -> list:
        """The header without its placeholder lines (`**Date**: YYYY-MM-DD`), and the title
        without the template's `[INCIDENT-ID] [Brief Description]`."""
        kept = []
        for number, text in lines:
            heading = blocks.heading(text)
            if heading and heading[0] == 1 and self.is_template:
                title = self._title(heading[1])
                if title is None:
                    self.dropped.add("title")
                    continue
                text = title
            label = LABEL_LINE.match(text.strip())
            if label and self.placeholder(label["value"]):
                self.dropped.add(blocks.norm(label["label"]))
                continue
            kept.append((number, text))
        return kept

    def _title(self, title: str) -> str | None:
        """`# Postmortem: [INCIDENT-ID] Checkout errors` → `# Postmortem: Checkout errors`;
        None when nothing but placeholders is left."""
        prefix, colon, rest = title.partition(":")
        if not colon:
            prefix, rest = "", title
        first, _, tail = rest.strip().partition(" ")
        if self.placeholder(first):
            rest = tail
        if self.placeholder(rest):
            rest = ""
        if not rest.strip():
            return None
        return f"# {prefix}{colon} {rest.strip()}".replace("#  ", "# ")

    # --- the sections -------------------------------------------------------------------------

    def prepare(self, parsed, found) -> None:
        """Each ## block without the template's placeholders, guidance and examples; with
        `examples`, each example given to its section instead."""
        for block in found:
            slug = SLUGS.get(blocks.norm(block.title))
            taken = self._take_examples(block)
            touched = self.is_template and self._clean(block)
            if slug == "timeline":
                self._time_lines(block)
            if not taken:
                continue
            if not self.examples:
                self.left_out += [(e.first, e.last) for e in taken]
                if touched:
                    self._leave_out_the_rest(block)
                continue
            for example in taken:
                if slug == "timeline":
                    self.time_lines += example.lines
                else:
                    examples.give(parsed, slug, block, example)
                self.taken += 1

    def _take_examples(self, block) -> list:
        """The block's examples, taken out of it: `### Example` blocks (each belonging to the
        ### block before it) and `**Example**:` with the code block or quote after it."""
        taken, kept, before = [], [], None
        for sub in block.subs:
            if is_example_title(sub.title):
                lines = [(n, t) for n, t in sub.lines if not t.strip().startswith(FENCES)]
                last = sub.lines[-1][0] if sub.lines else sub.line
                taken.append(examples.Example(before, sub.line, last, blocks.trim(lines)))
                continue
            kept.append(sub)
            before = sub
        block.subs = kept
        for part in (block, *block.subs):
            part.lines, found = _take_labelled(part.lines)
            holder = None if part is block else part
            taken += [examples.Example(holder, first, last, lines) for first, last, lines in found]
        return sorted(taken, key=lambda e: e.first)

    def _clean(self, block) -> bool:
        """Placeholders and guidance out of the block's lines (only in the template: a
        document's own text is never changed); whether there were any."""
        touched = False
        for part in (block, *block.subs):
            part.lines, changed = self._clean_lines(part.lines)
            touched |= changed
        return touched

    def _clean_lines(self, lines):
        kept, touched, i = [], False, 0
        while i < len(lines):
            number, text = lines[i]
            low = text.strip().lower()
            if low in TEMPLATE_LABELS:
                # `**Template**:` and the numbered questions after it: guidance, not answers.
                i += 1
                while i < len(lines) and (
                    not lines[i][1].strip() or NUMBERED.match(lines[i][1].strip())
                ):
                    i += 1
                touched = True
                continue
            i += 1
            if low in GUIDANCE:
                touched = True
                continue
            line = self._line(text)
            touched |= line != text
            if line is not None:
                kept.append((number, line))
        return kept, touched

    def _line(self, text: str) -> str | None:
        """The line with its placeholder values empty (`—`); None when nothing is left."""
        stripped = text.strip()
        if stripped.startswith("|"):
            return self._row(text)
        bullet = BULLET.match(stripped)
        if bullet:
            if self.placeholder(bullet["value"]):
                return stripped[: bullet.start("value")] + DASH
            return text
        label = LABEL_LINE.match(stripped)
        if label:
            if self.placeholder(label["value"]):
                return stripped[: label.start("value")] + DASH
            return text
        item = NUMBERED.match(stripped)
        body = item["text"] if item else stripped.removeprefix("- ").removeprefix("* ")
        if is_bracketed(body) and self.placeholder(body):
            return None
        return text

    def _row(self, text: str) -> str | None:
        cells = split_row(text)
        if not cells or is_separator_row(cells):
            return text
        empty = [self.placeholder(decode_cell(cell)) for cell in cells]
        if not any(empty):
            return text
        left = [c for c, e in zip(cells, empty, strict=True) if not e and c not in ("", DASH)]
        if all(WHEN_CELL.fullmatch(c) for c in left):
            return None  # `| 14:15 | [Event leading to incident] |`: nothing but guidance
        return "| " + " | ".join(DASH if e else c for c, e in zip(cells, empty, strict=True)) + " |"

    def _leave_out_the_rest(self, block) -> None:
        """A section of the template left as it was: what it holds besides its placeholders
        (the responders' table, what went well…) is its example, left out with the rest."""
        for part in (block, *block.subs):
            content = [n for n, t in part.lines if _says_something(t)]
            if content:
                self.left_out.append((content[0], content[-1]))
            part.lines = []

    def _time_lines(self, block) -> None:
        """`14:15 - event` lines in the Timeline (outside its table): read as its rows once the
        table is read (examples.read_time_lines), with the code fence around them."""
        for part in (block, *block.subs):
            kept, moved = [], False
            for number, text in part.lines:
                if examples.is_time_line(text):
                    self.time_lines.append((number, text))
                    moved = True
                else:
                    kept.append((number, text))
            if moved:
                part.lines = [(n, t) for n, t in kept if not t.strip().startswith(FENCES)]

    # --- after the sections read their blocks ------------------------------------------------

    def finish(self, parsed, *, rows_limit) -> None:
        if self.time_lines:
            examples.read_time_lines(parsed, self.time_lines, limit=rows_limit)
        if self.placeholders:
            listed = ", ".join(self.placeholders[:LISTED])
            more = ", …" if len(self.placeholders) > LISTED else "."
            parsed.notices.append(f"The template's placeholders were read as empty: {listed}{more}")
        if self.left_out:
            parsed.notices.append(
                f"The template's examples were left out ({_ranges(self.left_out)}). To import "
                "them as content, import again with “Import the template's examples as content”."
            )
        elif self.taken:
            parsed.notices.append(
                f"The template's examples were imported as content ({self.taken} of them): "
                "read each section through before you submit it."
            )


def _take_labelled(lines):
    """(the lines without them, [(first, last, content)]): each `**Example**:` line and the
    code block or quote after it."""
    kept, found, i = [], [], 0
    while i < len(lines):
        number, text = lines[i]
        if text.strip().lower() not in EXAMPLE_LABELS:
            kept.append((number, text))
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j][1].strip():
            j += 1
        content, last = [], number
        if j < len(lines) and lines[j][1].strip().startswith(FENCES):
            fence = lines[j][1].strip()[:3]
            k = j + 1
            while k < len(lines) and not lines[k][1].strip().startswith(fence):
                content.append(lines[k])
                k += 1
            last = lines[min(k, len(lines) - 1)][0]
            i = k + 1
        elif j < len(lines) and lines[j][1].lstrip().startswith(">"):
            k = j
            while k < len(lines) and lines[k][1].lstrip().startswith(">"):
                quoted = lines[k][1].lstrip()[1:]
                content.append((lines[k][0], quoted[1:] if quoted.startswith(" ") else quoted))
                k += 1
            last = lines[k - 1][0]
            i = k
        else:
            i += 1
        found.append((number, last, blocks.trim(content)))
    return kept, found


def _says_something(text: str) -> bool:
    """Not a blank line, a rule, a value left empty (`- **Duration**: —`), a table's header
    or separator, or an unticked box."""
    stripped = text.strip()
    if not stripped or stripped == "---" or stripped.endswith(DASH) or stripped.startswith("- [ ]"):
        return False
    cells = split_row(stripped)
    return cells is None or not (is_separator_row(cells) or all(c[:1].isupper() for c in cells))


def _ranges(spans) -> str:
    merged = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 3:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    shown = [str(a) if a == b else f"{a}–{b}" for a, b in merged[:12]]
    word = "line" if len(merged) == 1 and merged[0][0] == merged[0][1] else "lines"
    return f"{word} " + ", ".join(shown) + (", …" if len(merged) > 12 else "")
