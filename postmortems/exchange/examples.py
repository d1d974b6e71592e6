"""The template's examples, read as a document's content when the import is asked to.

Each example of the blank template (``exchange.guidance`` finds and takes them out) is written
its own way: a quote, numbered lines in a code block, `Label: value` lines, a table. ``give``
rewrites one into the lines its section reads (the export's own shapes: `- **Label**: value`
bullets, the four numbered questions, `**Technical Learnings**:` groups, link lines…) and puts
them where that section's reader finds them, so the section reads and checks them as it reads
any document: there is no second reader of values here. The `14:15 - event` lines of the
timeline are read by the paste reader (``exchange.paste``), times, days and milestones alike.

A line of an example that fits nowhere in its section is a problem with its line number, as
any line an import cannot place.
"""

import re
from dataclasses import dataclass

from postmortems.exchange import blocks, paste
from postmortems.exchange.blocks import Block
from postmortems.exchange.markup import encode_indented, split_row
from postmortems.sections.detection import DETECTION_LABELS
from postmortems.sections.impact import IMPACT_LABELS
from postmortems.sections.lessons import LESSON_CATEGORIES
from postmortems.sections.root_cause import ROOT_CAUSE_QUESTIONS
from postmortems.sections.supporting import LINK_LINE, RELATED_LINE


@dataclass
class Example:
    """One example of the template: the ### block it belongs to (None: the ## block itself),
    its first and last line, and its content without code fences or quote marks."""

    holder: Block | None
    first: int
    last: int
    lines: list  # [(number, text)]


# `Label: value`, as the examples write a field (not Markdown's `**Label**:`).
PLAIN_LABEL = re.compile(r"(?P<label>[A-Za-z][A-Za-z ()/&-]{0,60}?):\s*(?P<value>.*)")


def _label(text: str) -> tuple[str, str] | None:
    match = PLAIN_LABEL.fullmatch(text.strip())
    return (blocks.norm(match["label"]), match["value"].strip()) if match else None


def _sub(block: Block, title: str, first: int) -> Block:
    """The ### block of that title, added at the end when the block has none."""
    for sub in block.subs:
        if blocks.norm(sub.title) == blocks.norm(title):
            return sub
    sub = Block(first, title, [])
    block.subs.append(sub)
    return sub


def _append(lines: list, new: list) -> None:
    """`new` after what `lines` holds, a blank line between them."""
    if any(text.strip() for _, text in lines) and new:
        lines.append((new[0][0], ""))
    lines += new


def _without_title(lines, title: str) -> list:
    """An example's own first line naming what it is (`Response Actions:` under Response
    Actions, `Verification Steps:` under Verification) says nothing more: left out."""
    lines = blocks.trim(lines)
    head = _label(lines[0][1]) if lines else None
    if head and not head[1] and head[0].startswith(blocks.norm(title)):
        return blocks.trim(lines[1:])
    return lines


def give(parsed, slug, block, example) -> None:
    """Put the example where the section `slug` reads it (the timeline's are read apart)."""
    holder = example.holder
    if holder is not None and slug in ("overview", "response", "resolution", "root-cause"):
        target = blocks.norm(holder.title)
        if target in ("verification", "response actions", "contributing factors"):
            _append(holder.lines, _without_title(example.lines, holder.title))
            return
    reader = READERS.get(slug)
    if reader is None:
        for number, text in example.lines:
            if text.strip():
                parsed.problem(number, text, "a line of the template's example that fits no field")
        return
    reader(parsed, block, example)


# --- each section's example --------------------------------------------------------------------


def _summary(parsed, block, example) -> None:
    _append(block.lines, _without_title(example.lines, "executive summary"))


# Where a line of the Impact example goes: its label, else the first of these its group has
# and its words name; any other line of the business impact is the reputation impact.
IMPACT_WORDS = {
    "user impact": [
        ("affected users", ("users", "affected")),
        ("geographic impact", ("global", "region", "regions", "geographic")),
        ("duration", ("outage", "downtime", "duration")),
        ("degraded period", ("degraded", "degradation")),
    ],
    "business impact": [("revenue impact", ("revenue",))],
}
USER_LABELS = ("affected users", "geographic impact", "duration", "degraded period")
SPAN = re.compile(r"\((?P<s>\d{1,2}:\d{2})-(?P<e>\d{1,2}:\d{2})( UTC\))")


def _impact(parsed, block, example) -> None:
    """`User Impact:` / `Business Impact:` lists of prose, each line under the label its words
    name (`- ~1,200 active users affected…` → Affected Users); the other business lines are
    the reputation impact."""
    found, reputation, group = {}, [], "user impact"
    for number, text in blocks.trim(example.lines):
        line = text.strip().removeprefix("- ").removeprefix("* ").strip()
        head = _label(line)
        if head and not head[1] and head[0] in ("user impact", "business impact"):
            group = head[0]
            continue
        if not line:
            continue
        label, value = _impact_label(line, group)
        if label is None and group == "business impact":
            reputation.append((number, f"  - {line}"))
        elif label is None or label in found:
            parsed.problem(
                number, text, "a line of the template's example that fits no impact line"
            )
        else:
            found[label] = (number, value)
    for title, labels in (("User Impact", USER_LABELS), ("Business Impact", IMPACT_LABELS)):
        lines = [
            (found[label][0], f"- **{label.title()}**: {found[label][1]}")
            for label in labels
            if label in found and (title == "User Impact" or label not in USER_LABELS)
        ]
        if title == "Business Impact" and reputation:
            lines += [(reputation[0][0], "- **Reputation Impact**:"), *reputation]
        if lines:
            _append(_sub(block, title, example.first).lines, lines)


def _impact_label(line: str, group: str):
    """(label, value) of one line of the Impact example, or (None, line)."""
    head = _label(line)
    if head and head[0] in IMPACT_LABELS:
        return head[0], head[1]
    words = set(re.findall(r"[a-z]+", line.lower()))
    for label, cues in IMPACT_WORDS[group]:
        if words & set(cues):
            value = head[1] if head and label in ("duration", "degraded period") else line
            if label == "duration":  # `(14:23-15:10 UTC)`: the export's dash between times
                value = SPAN.sub(r"(\g<s>–\g<e>\3", value)
            if label == "degraded period":
                value = value[:1].lower() + value[1:]
            return label, value
    return None, line


def _root_cause(parsed, block, example) -> None:
    """`Root Cause: …` and numbered points, as the four questions: with more than four, the
    first two answer the first two questions, the last the fourth, the others the third."""
    summary, rest = None, []
    for number, text in example.lines:
        head = _label(text)
        if summary is None and head and head[0] == "root cause":
            summary = (number, f"**Root Cause**: {head[1]}")
        else:
            rest.append((number, text))
    items, leftovers = blocks.numbered(rest)
    blocks.leftovers(
        parsed, leftovers, "a line of the template's example outside its numbered points"
    )
    if len(items) > len(ROOT_CAUSE_QUESTIONS):
        middle = items[2:-1]
        joined = "\n\n".join(value for _, _, value in middle)
        items = [*items[:2], (middle[0][0], middle[0][1], joined), items[-1]]
    lines = [summary, (example.first, "")] if summary else []
    for position, (number, _, value) in enumerate(items, 1):
        question = ROOT_CAUSE_QUESTIONS[position - 1][1]
        lines += [(number, f"{position}. **{question}**"), (number, "")]
        lines += [(number, line) for line in encode_indented(value, 3)] + [(number, "")]
    _append(_sub(block, "What Happened", example.first).lines, lines)


def _detection(parsed, block, example) -> None:
    """`Detection Method: …` ticks its box and is the method; the rest are the notes."""
    method, notes = None, []
    for number, text in example.lines:
        head = _label(text)
        if method is None and head and head[0] == "detection method" and head[1]:
            method = (number, head[1])
        else:
            notes.append(text)
    lines = []
    if method is not None:
        number, value = method
        if value.lower() in DETECTION_LABELS:
            box = _sub(block, "How was the incident detected?", example.first)
            box.lines.append((number, f"- [x] {value}"))
        lines.append((number, f"- **Detection Method**: {value}"))
    text = "\n".join(notes).strip("\n")
    if text:
        lines += [(example.first, "- **Notes**:")]
        lines += [(example.first, line) for line in encode_indented(text, 2)]
    _append(_sub(block, "Detection Quality", example.first).lines, lines)


def _response(parsed, block, example) -> None:
    target = _sub(block, "Response Actions", example.first)
    _append(target.lines, _without_title(example.lines, target.title))


FIX = re.compile(r"(?:✅\s*)?(?P<fix>permanent fix|temporary fix)\b", re.IGNORECASE)


def _resolution(parsed, block, example) -> None:
    """`Resolution: …` is what restored service, a ticked `✅ Permanent fix` its kind, and
    everything else the details."""
    label, fix, details = None, None, []
    for number, text in example.lines:
        head = _label(text)
        bullet = text.strip().removeprefix("- ").strip()
        if label is None and head and head[0] == "resolution" and head[1]:
            label = (number, f"**Resolution**: {head[1]}")
            continue
        if fix is None and bullet.startswith("✅") and (match := FIX.match(bullet)):
            fix = (number, f"**Fix Type**: {match['fix'].capitalize()}")
        details.append((number, text))
    lines = [line for line in (label, fix) if line]
    details = blocks.trim(details)
    if details:
        lines += [(details[0][0], ""), *details]
    _append(_sub(block, "How was service restored?", example.first).lines, lines)


def _action_items(parsed, block, example) -> None:
    """The example's table: its rows join the table of the group it follows."""
    holder = example.holder or next(iter(block.subs), None)
    if holder is None:
        holder = _sub(block, "Prevent Recurrence", example.first)
    has_table = any(split_row(text) is not None for _, text in holder.lines)
    rows, header_seen = [], False
    for number, text in example.lines:
        if has_table and split_row(text) is not None and not header_seen:
            header_seen = True  # the table already has its header and separator
            continue
        if has_table and split_row(text) is not None and set(text.strip()) <= set("|-: "):
            continue
        rows.append((number, text))
    holder.lines += [(n, t) for n, t in rows if t.strip()]


def _lessons(parsed, block, example) -> None:
    """`Technical Learnings:` and its numbered lessons, as the template's `**…**:` groups."""
    lines = []
    for number, text in example.lines:
        head = _label(text)
        if head and not head[1] and head[0] in LESSON_CATEGORIES:
            text = f"**{text.strip().removesuffix(':')}**:"
        lines.append((number, text))
    subs = [s for s in block.subs if blocks.norm(s.title).startswith("what did we learn")]
    _append(subs[0].lines if subs else block.lines, lines)


def _supporting(parsed, block, example) -> None:
    """Link lines under their heading; a related incident first under References, and any
    other line (a file path is not a link) with the references' text."""
    holder = example.holder or _sub(block, "References", example.first)
    references = _sub(block, "References", example.first)
    related, other = [], []
    for number, text in blocks.trim(example.lines):
        if references is not holder and LINK_LINE.match(text.strip()):
            holder.lines.append((number, text))
        elif RELATED_LINE.match(text.strip()):
            related.append((number, text.strip()))
        elif text.strip():
            other.append((number, text))
    references.lines[:0] = related
    _append(references.lines, other)


READERS = {
    "overview": _summary,
    "impact": _impact,
    "root-cause": _root_cause,
    "detection": _detection,
    "response": _response,
    "resolution": _resolution,
    "action-items": _action_items,
    "lessons": _lessons,
    "supporting": _supporting,
}


# --- the timeline's `14:15 - event` lines ------------------------------------------------------

# A paste is read in parts of at most this many lines and characters (paste.MAX_ROWS, MAX_CHARS).
PART_LINES = 400
PART_CHARS = 150_000


def is_time_line(text: str) -> bool:
    """A line of the timeline written as the template's example writes them: `14:15 - …`,
    `[14:15] …`, `- 14:23 - …` (not a table row)."""
    stripped = text.strip()
    if (
        not stripped
        or stripped.startswith("|")
        or not (stripped[0].isdigit() or stripped[0] in "[-*")
    ):
        return False
    return paste.TIME_LINE.fullmatch(" ".join(stripped[: paste.MAX_LINE + 1].split())) is not None


def read_time_lines(parsed, lines, *, limit: int) -> None:
    """The lines as timeline rows, read by the paste reader on the incident's day: a time past
    midnight on the next day, milestones suggested from the words (none the table has).
    At most `limit` rows; a line over that is a problem, as a table's row over it is."""
    existing = {values["milestone"] for *_, values in parsed.rows.get("timeline", [])}
    empty = not parsed.rows.get("timeline")
    kept, suggested = lines[:limit], 0
    for number, text in lines[limit:]:
        parsed.problem(
            number, text, f"more than {limit:,} rows of timeline events — row not imported"
        )
    for part in _parts(parsed, kept):
        try:
            read = paste.parse(
                "timeline",
                "\n".join(" ".join(text.split()) for _, text in part),
                day=parsed.incident_date,
                existing=frozenset(existing - {""}),
                empty=empty,
            )
        except paste.PasteRefused as refused:
            for number, text in part:
                parsed.problem(number, text, f"{refused} — row not imported")
            continue
        for row in read.rows:
            number, text = part[row.line - 1]
            description = row.values.get("description", "").strip()
            if row.problem:
                parsed.problem(number, text, f"{row.problem} — row not imported")
            elif row.moment is None:
                parsed.problem(
                    number,
                    text,
                    "the time is not like 14:23 or 2026-01-30 00:15 — row not imported",
                )
            elif not description:
                parsed.problem(number, text, "the event is empty — row not imported")
            else:
                values = {"occurred_at": row.moment, "description": description,
                          "milestone": row.milestone}  # fmt: skip
                parsed.row("timeline", number, text, values)
                existing.add(row.milestone)
                suggested += row.suggested
                empty = False
    if suggested:
        parsed.notices.append(
            f"Milestones were suggested for {suggested} timeline event"
            f"{'s' if suggested != 1 else ''} from their words: check them on the Timeline step."
        )


def _parts(parsed, lines):
    part, size = [], 0
    for number, text in lines:
        if len(text) > PART_CHARS:
            parsed.problem(
                number, text[:200] + "…", f"this line is {len(text):,} characters; a row is at "
                f"most {paste.MAX_LINE:,} — row not imported",
            )  # fmt: skip
            continue
        if part and (len(part) >= PART_LINES or size + len(text) > PART_CHARS):
            yield part
            part, size = [], 0
        part.append((number, text))
        size += len(text) + 1
    if part:
        yield part
