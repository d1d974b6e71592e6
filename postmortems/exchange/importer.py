"""Read a filled-in postmortem in the template's Markdown back into a Draft.

``parse`` turns the text into fields and rows and a list of problems; every line it cannot
place is a problem with its line number, so nothing is dropped silently: the problems are
shown to the person importing and kept, line by line, in the Draft's ``import_notes``.
``import_markdown`` creates the Draft (through ``workflow.create_draft``) in one transaction.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Q, TextField, Value
from django.db.models.functions import Concat, Lower

from accounts.models import User
from postmortems import markdown, workflow
from postmortems.activity import log_action
from postmortems.exchange.export import (
    BLAMELESS,
    LESSON_LABELS,
    LINK_HEADINGS,
    ROOT_CAUSE_QUESTIONS,
)
from postmortems.exchange.markup import (
    DASH,
    decode_block,
    decode_cell,
    dedent,
    is_separator_row,
    normalize_newlines,
    parse_decimal,
    parse_time,
    split_row,
)
from postmortems.fields import MAX_TAGS_TEXT
from postmortems.forms import MAX_TEXT
from postmortems.keys import key_refusal
from postmortems.markdown import renderable_error
from postmortems.models import (
    KEY_RE,
    MAX_RELATED,
    POINT_FIELDS,
    ActionItem,
    Activity,
    Approval,
    ContributingFactor,
    DetectionMethod,
    FixType,
    Lesson,
    Postmortem,
    Responder,
    Severity,
    SupportingLink,
    Tag,
    TimelineEvent,
    severity_definitions,
)
from postmortems.values import service_name

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Rows of one table an import creates: far more than any document, few enough that the
# document stays quick to show.
MAX_ROWS = 1000
# Formatting time for every text an import checks (each within the forms' own budget).
FORMAT_SECONDS = 10.0
# Every unknown author is reported with the whole line, so the line's length bounds the notes:
# two thousand characters is a hundred names, more than any real list of authors.
MAX_AUTHORS_LINE = 2_000


class ImportRefused(Exception):
    """Nothing was imported; the message says why and what to do."""


@dataclass
class Problem:
    line: int
    text: str
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}: {self.text}"


@dataclass
class Parsed:
    key: str = ""
    title: str = ""
    incident_date: datetime.date | None = None
    severity: str = ""
    author_names: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    field_lines: dict = field(default_factory=dict)  # field → (line, text), for messages
    timeline: list = field(default_factory=list)
    factors: list = field(default_factory=list)
    responders: list = field(default_factory=list)
    action_items: list = field(default_factory=list)
    lessons: list = field(default_factory=list)
    links: list = field(default_factory=list)
    related: list = field(default_factory=list)  # (line, text, key)
    approvals: list = field(default_factory=list)  # (line, text, role, required, name)
    problems: list = field(default_factory=list)
    notices: list = field(default_factory=list)  # about the whole import, not one line

    def problem(self, line, text, reason):
        self.problems.append(Problem(line, text, reason))


# --- reading the bytes -------------------------------------------------------------------------


def decode_upload(data: bytes) -> str:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRefused(
            f"The file is {len(data) / (1024 * 1024):.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportRefused(
            f"The file is not UTF-8 text: line {line}, column {column} has a byte UTF-8 does not "
            "allow. Save it as UTF-8 (most editors: “Save with encoding”) and upload it again; "
            "nothing was imported."
        ) from None


# --- splitting into sections -------------------------------------------------------------------

# Every pattern here runs on text of any length (a 2 MB upload may be one line), so none may
# backtrack over a run of characters more than once: no two neighbouring quantifiers that can
# take the same characters, possessive quantifiers where a run is all or nothing, str methods
# where a pattern would try every split of a run. tests/postmortems/test_import_bounds.py times
# each on the inputs that used to take minutes.
HEADING = re.compile(r"(#{1,3}) ++(.*)")
BULLET = re.compile(r"^[-*+] +\*\*(?P<label>[^*]+?)\*\*\s*:?\s*(?::\s*)?(?P<value>.*)$")
NUMBERED = re.compile(r"^(?P<n>\d+)[.)] +(?P<text>.*)$")
LABEL_LINE = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*\s*:\s*(?P<value>.*)$")


def _heading(text):
    """(level, title) of a `#`, `##` or `###` line, else None.

    The title loses trailing closing `#`s and the whitespace around them, as in Markdown.
    """
    match = HEADING.match(text)
    if match is None:
        return None
    return len(match[1]), match[2].rstrip().rstrip("#").rstrip()


def _norm(title: str) -> str:
    return re.sub(r"\s+", " ", title.strip().lower().rstrip(":"))


@dataclass
class Block:
    line: int  # of the heading
    title: str
    lines: list  # [(number, text)]
    subs: list = field(default_factory=list)  # [Block] for ### inside ##


def _split(lines):
    """(header lines, [## blocks with their ### sub-blocks])."""
    header, blocks = [], []
    current = None
    for number, text in lines:
        level, title = _heading(text) or (0, "")
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


def _blank_or_rule(text) -> bool:
    return text.strip() in ("", "---")


def _trim(lines):
    """Without blank lines and `---` rules at either end."""
    start, end = 0, len(lines)
    while start < end and _blank_or_rule(lines[start][1]):
        start += 1
    while end > start and _blank_or_rule(lines[end - 1][1]):
        end -= 1
    return lines[start:end]


def _free(lines) -> str:
    return decode_block([text for _, text in _trim(lines)])


def _leftovers(parsed, lines, reason):
    for number, text in lines:
        if text.strip() and text.strip() != "---":
            parsed.problem(number, text, reason)


def _items(lines, pattern, indent_of):
    """List items matching `pattern` with their indented continuation lines.

    Returns ([(number, first line, match, value)], leftovers).
    """
    items, leftovers = [], []
    lines = _trim(lines)
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


def _bullets(lines):
    found, leftovers = _items(lines, BULLET, lambda m: 2)
    result = []
    for number, text, match, body in found:
        first = match["value"].strip()
        value = "\n".join(([first] if first else []) + body).strip("\n").rstrip()
        result.append((number, text, _norm(match["label"]), "" if value == DASH else value))
    return result, leftovers


def _numbered(lines):
    found, leftovers = _items(lines, NUMBERED, lambda m: len(m["n"]) + 2)
    return [
        (number, text, "\n".join([match["text"].strip(), *body]).strip("\n").rstrip())
        for number, text, match, body in found
    ], leftovers


def _table(parsed, lines, columns: dict[int, str], name: str):
    """Rows of the first table in `lines` whose column count is one of `columns`.

    Returns ([(number, text, [decoded cells])], leftovers). A row with another number of cells
    is a problem, kept in the notes.
    """
    rows, leftovers, header_seen = [], [], False
    for number, text in _trim(lines):
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


# --- the sections ------------------------------------------------------------------------------


def _set(parsed, name, value, number, text):
    parsed.fields[name] = value
    parsed.field_lines[name] = (number, text)


def _header(parsed, lines):
    for number, text in lines:
        stripped = text.strip()
        heading = _heading(text)
        if heading and heading[0] == 1:
            heading = heading[1].strip()
            heading = re.sub(r"^postmortem\s*:\s*", "", heading, flags=re.IGNORECASE)
            first, _, rest = heading.partition(" ")
            if re.fullmatch(KEY_RE, first.upper()) and first.upper() not in ("[INCIDENT-ID]",):
                parsed.key, parsed.title = first.upper(), rest.strip()
            else:
                parsed.title = heading
                parsed.notices.append(
                    "The title line names no incident key (like INC-2026-0042): "
                    "the next free key was used."
                )
            continue
        label = LABEL_LINE.match(stripped)
        if label:
            name, value = _norm(label["label"]), label["value"].strip()
            if name == "date":
                try:
                    parsed.incident_date = datetime.date.fromisoformat(value)
                except ValueError:
                    parsed.problem(number, text, "not a date like 2026-01-29")
            elif name == "authors" and len(value) > MAX_AUTHORS_LINE:
                parsed.problem(number, text, "Authors: " + _too_long(value, MAX_AUTHORS_LINE))
            elif name == "authors":
                parsed.author_names = [
                    (number, text, n.strip())
                    for n in value.split(",")
                    if n.strip() not in ("", DASH)
                ]
            elif name == "status":
                parsed.notices.append("An import is always a Draft, whatever its Status line says.")
            elif name == "severity":
                sev = re.search(r"([1-4])", value)
                if value and sev and re.match(r"(?i)^sev[- ]?[1-4]", value):
                    parsed.severity = f"sev{sev.group(1)}"
                else:
                    parsed.problem(number, text, "not a severity (SEV-1 to SEV-4)")
            elif name in ("services", "tags") and len(value) > MAX_TAGS_TEXT:  # as the form
                parsed.problem(number, text, "Services: " + _too_long(value, MAX_TAGS_TEXT))
            elif name in ("services", "tags"):
                for raw in value.split(","):
                    raw = raw.strip()
                    if raw in ("", DASH):
                        continue
                    slug = service_name(raw)
                    if slug and len(slug) <= 60:
                        parsed.tags.append(slug)
                    else:
                        parsed.problem(number, text, f"“{raw}” is not a service name")
            else:
                parsed.problem(number, text, "unknown header line")
            continue
        if stripped and stripped != "---":
            parsed.problem(number, text, "not part of the template here")


def _impact(parsed, block):
    for sub in block.subs:
        title = _norm(sub.title)
        if title not in ("user impact", "business impact"):
            _unknown(parsed, sub)
            continue
        items, leftovers = _bullets(sub.lines)
        _leftovers(parsed, leftovers, f"not a “- **Label**: value” line under {sub.title}")
        for number, text, label, value in items:
            handler = IMPACT_LABELS.get(label)
            if handler is None:
                parsed.problem(number, text, "unknown impact line")
            elif value and handler(parsed, value, number, text) is False:
                parsed.problem(number, text, "could not read this value")
    _leftovers(parsed, block.lines, "text outside the User Impact / Business Impact lists")


def _affected(parsed, value, number, text):
    match = re.fullmatch(
        r"(?:~?(?P<n>[\d,]+)(?: [\w ]*?users?(?: affected)?)?)?\s*"
        r"(?:\((?:(?P<pct>[\d.]+)%)?\s*(?:of (?P<basis>.*))?\))?",
        value.strip(),
    )
    if not match or not (match["n"] or match["pct"] or match["basis"]):
        return False
    if match["n"]:
        if (users := _int(match["n"].replace(",", ""))) is None:
            return False
        _set(parsed, "affected_users", users, number, text)
    if match["pct"]:
        _set(parsed, "affected_users_percent", parse_decimal(match["pct"]), number, text)
    if match["basis"]:
        _set(parsed, "affected_users_basis", match["basis"].strip(), number, text)
    return True


def _duration(parsed, value, number, text):
    match = re.search(r"\((?P<s>[^–()]*?)–(?P<e>[^–()]*?) UTC\)\s*$", value)
    if not match:
        # A computed duration (from the timeline) carries nothing to import.
        return bool(re.search(r"from the timeline|minute|\bh\b|\bd\b", value))
    day = parsed.incident_date
    for group, name in (("s", "outage_started_at"), ("e", "outage_ended_at")):
        raw = match[group].strip()
        if raw in ("?", ""):
            continue
        moment = parse_time(raw, day)
        if moment is None:
            return False
        _set(parsed, name, moment, number, text)
    return True


def _degraded(parsed, value, number, text):
    match = re.fullmatch(
        r"(?:(?:additional )?(?P<m>\d+) minutes?|—)?\s*(?:\((?P<d>.*)\))?", value.strip()
    )
    if not match or not (match["m"] or match["d"]):
        return False
    if match["m"]:
        if (minutes := _int(match["m"])) is None:
            return False
        _set(parsed, "degraded_minutes", minutes, number, text)
    if match["d"]:
        _set(parsed, "degraded_description", match["d"].strip(), number, text)
    return True


# The name ends before a non-space (the spaces before SLO are never part of it): so the spaces
# are scanned once from the start of their run, not again from each space of it.
SLO_LINE = re.compile(
    r"(?P<name>(?:.*?\S)??)\s*+SLO(?: violated| met)?"
    r"(?: \((?:(?P<t>[\d.]+)%|\?)(?: → (?P<a>[\d.]+)%)?\))?"
)
BUDGET_WINDOW = re.compile(r"(?<!\d)(?P<w>\d++)-day")  # from the start of a run of digits


def _slo(parsed, value, number, text):
    match = SLO_LINE.fullmatch(value.strip())
    if not match:
        return False
    if match["name"]:
        _set(parsed, "slo_name", match["name"].strip(), number, text)
    if match["t"]:
        _set(parsed, "slo_target", parse_decimal(match["t"]), number, text)
    if match["a"]:
        _set(parsed, "slo_achieved", parse_decimal(match["a"]), number, text)
    return True


def _budget(parsed, value, number, text):
    consumed = re.search(r"\((?P<c>[\d.]+)(?: of [\d.]+)? minutes", value)
    window = BUDGET_WINDOW.search(value)
    if not consumed and not window:
        return False
    days = _int(window["w"]) if window else None
    if window and days is None:
        return False
    if consumed:
        _set(parsed, "error_budget_consumed_minutes", parse_decimal(consumed["c"]), number, text)
    if window:
        _set(parsed, "slo_window_days", days, number, text)
    return True


def _int(digits: str) -> int | None:
    """The number, or None for one with more digits than Python converts (4,300)."""
    try:
        return int(digits)
    except ValueError:
        return None


def _text_field(name):
    def handler(parsed, value, number, text):
        _set(parsed, name, value, number, text)

    return handler


IMPACT_LABELS = {
    "affected users": _affected,
    "geographic impact": _text_field("regions"),
    "duration": _duration,
    "degraded period": _degraded,
    "revenue impact": _text_field("revenue_impact"),
    "reputation impact": _text_field("reputation_impact"),
    "slo impact": _slo,
    "error budget": _budget,
}

MILESTONES = {
    **{value: value for value, _ in TimelineEvent.Milestone.choices},
    **{label.lower(): value for value, label in TimelineEvent.Milestone.choices},
}


def _timeline(parsed, block):
    lines = block.lines + [line for sub in block.subs for line in sub.lines]
    for sub in block.subs:
        parsed.problem(sub.line, f"### {sub.title}", "unknown heading in the Timeline")
    rows, leftovers = _table(
        parsed, lines, {2: "Time | Event", 3: "Time | Event | Milestone"}, "timeline"
    )
    for number, text, cells in rows:
        moment = parse_time(cells[0], parsed.incident_date)
        milestone = cells[2].strip().lower() if len(cells) == 3 else ""
        if moment is None:
            parsed.problem(
                number, text, "the time is not like 14:23 or 2026-01-30 00:15 — row not imported"
            )
            continue
        if not cells[1]:
            parsed.problem(number, text, "the event is empty — row not imported")
            continue
        if milestone and milestone not in MILESTONES:
            parsed.problem(
                number, text, f"“{cells[2]}” is not a milestone; the event was imported without it"
            )
            milestone = ""
        parsed.timeline.append(
            (
                number,
                text,
                {
                    "occurred_at": moment,
                    "description": cells[1],
                    "milestone": MILESTONES.get(milestone, ""),
                },
            )
        )
    _leftovers(parsed, leftovers, "not a row of the timeline table")


def _root_cause(parsed, block):
    _leftovers(parsed, block.lines, "text outside What Happened / Contributing Factors")
    for sub in block.subs:
        title = _norm(sub.title)
        if title == "what happened":
            rest = []
            for number, text in sub.lines:
                label = LABEL_LINE.match(text.strip())
                if label and _norm(label["label"]) == "root cause" and not text.startswith(" "):
                    value = label["value"].strip()
                    _set(parsed, "root_cause_summary", "" if value == DASH else value, number, text)
                else:
                    rest.append((number, text))
            items, leftovers = _numbered(rest)
            for number, text, value in items:
                position = _int(NUMBERED.match(text)["n"])
                if position is None or not 1 <= position <= 4:
                    parsed.problem(
                        number, text, "the template asks four questions, numbered 1 to 4"
                    )
                    continue
                question = re.match(r"^\*\*[^*]*\*\*\s*", value)
                answer = value[question.end() :] if question else value
                name = ROOT_CAUSE_QUESTIONS[position - 1][0]
                _set(parsed, name, answer.strip("\n").rstrip(), number, text)
            _leftovers(parsed, leftovers, "not one of the four numbered questions")
        elif title == "contributing factors":
            items, leftovers = _numbered(sub.lines)
            for number, text, value in items:
                parsed.factors.append((number, text, {"description": value}))
            _leftovers(parsed, leftovers, "not a numbered contributing factor")
        else:
            _unknown(parsed, sub)


DETECTION_LABELS = {label.lower(): value for value, label in DetectionMethod.choices}


def _detection(parsed, block):
    _leftovers(parsed, block.lines, "text outside the Detection subsections")
    for sub in block.subs:
        title = _norm(sub.title)
        if title in ("how was the incident detected?", "how was the incident detected"):
            methods = []
            for number, text in _trim(sub.lines):
                match = re.match(r"^[-*] \[(?P<x>[ xX])\] (?P<label>.+)$", text.strip())
                if not match:
                    if text.strip():
                        parsed.problem(number, text, "not a checkbox line like “- [x] User report”")
                    continue
                value = DETECTION_LABELS.get(match["label"].strip().lower())
                if value is None:
                    parsed.problem(number, text, "unknown detection method")
                elif match["x"] != " ":
                    methods.append(value)
            parsed.fields["detection_methods"] = methods
        elif title == "detection quality":
            items, leftovers = _bullets(sub.lines)
            for number, text, label, value in items:
                if label in ("time to detect (ttd)", "time to acknowledge (tta)"):
                    continue  # computed from the timeline's milestones
                if label == "detection method":
                    _set(parsed, "detection_description", value, number, text)
                elif label in ("notes", "quality notes"):
                    _set(parsed, "detection_notes", value, number, text)
                else:
                    parsed.problem(number, text, "unknown detection line")
            _leftovers(parsed, leftovers, "not a “- **Label**: value” line under Detection Quality")
        else:
            _unknown(parsed, sub)


def _response(parsed, block):
    _leftovers(parsed, block.lines, "text outside the Response subsections")
    for sub in block.subs:
        title = _norm(sub.title)
        if title == "responders":
            rows, leftovers = _table(
                parsed, sub.lines, {3: "Role | Name | Joined At"}, "responders"
            )
            for number, text, (role, name, joined) in rows:
                joined_at = None
                if joined and joined != DASH:
                    joined_at = parse_time(joined, parsed.incident_date)
                    if joined_at is None:
                        parsed.problem(number, text, "“Joined At” is not a time; left empty")
                if not role:
                    parsed.problem(number, text, "the role is empty — row not imported")
                    continue
                parsed.responders.append(
                    (
                        number,
                        text,
                        {
                            "role": role,
                            "name": "" if name == DASH else name,
                            "joined_at": joined_at,
                        },
                    )
                )
            _leftovers(parsed, leftovers, "not a row of the responders table")
        elif title == "response actions":
            _set(parsed, "response_actions", _free(sub.lines), sub.line, sub.title)
        elif title in ("what went well", "what went poorly"):
            points = []
            for number, text in _trim(sub.lines):
                match = re.match(r"^[-*•] +(?P<p>.*)$", text)
                if match:
                    point = match["p"].strip().removeprefix("✅").removeprefix("❌").strip()
                    if point:
                        points.append(point)
                elif text.strip():
                    parsed.problem(number, text, f"not a bullet point under {sub.title}")
            name = "went_well" if title == "what went well" else "went_poorly"
            _set(parsed, name, "\n".join(points), sub.line, sub.title)
        else:
            _unknown(parsed, sub)


FIX_TYPES = {
    **{label.lower(): value for value, label in FixType.choices},
    "permanent": FixType.PERMANENT,
    "temporary": FixType.TEMPORARY,
}


def _resolution(parsed, block):
    _leftovers(parsed, block.lines, "text outside the Resolution subsections")
    for sub in block.subs:
        title = _norm(sub.title)
        if title in ("how was service restored?", "how was service restored"):
            lines, start = _trim(sub.lines), 0
            while start < len(lines) and (label := LABEL_LINE.match(lines[start][1])):
                number, text = lines[start]
                name, value = _norm(label["label"]), label["value"].strip()
                value = "" if value == DASH else value
                if name == "resolution":
                    _set(parsed, "resolution_summary", value, number, text)
                elif name == "fix type":
                    fix = FIX_TYPES.get(value.lower(), None if value else "")
                    if fix is None:
                        parsed.problem(
                            number, text, "the fix type is Permanent fix or Temporary fix"
                        )
                    else:
                        _set(parsed, "fix_type", fix, number, text)
                else:
                    break
                start += 1
            _set(parsed, "resolution_details", _free(lines[start:]), sub.line, sub.title)
        elif title == "verification":
            _set(parsed, "verification", _free(sub.lines), sub.line, sub.title)
        else:
            _unknown(parsed, sub)


CATEGORIES = {label.lower(): value for value, label in ActionItem.Category.choices}
PRIORITIES = {label.lower(): value for value, label in ActionItem.Priority.choices}
STATUSES = {label.lower(): value for value, label in ActionItem.Status.choices}
ACTION_LINK = re.compile(r"^\[(?P<text>(?:\\.|[^\]\\])*)\]\((?P<url>https?://[^\s)]+)\)$")


def _action_items(parsed, block):
    _leftovers(parsed, block.lines, "text outside the four action item tables")
    for sub in block.subs:
        category = CATEGORIES.get(_norm(sub.title))
        if category is None:
            _unknown(parsed, sub)
            continue
        columns = {5: "Action | Owner | Due Date | Priority | Status"}
        rows, leftovers = _table(parsed, sub.lines, columns, "action items")
        for number, text, (action, owner, due, priority, status) in rows:
            raw = split_row(text)[0]
            tracker = ""
            link = ACTION_LINK.match(raw)
            if link:
                action, tracker = decode_cell(link["text"]), link["url"]
            if not action:
                parsed.problem(number, text, "the action is empty — row not imported")
                continue
            due_date = None
            if due and due != DASH:
                try:
                    due_date = datetime.date.fromisoformat(due)
                except ValueError:
                    parsed.problem(number, text, "the due date is not like 2026-02-05; left empty")
            prio = PRIORITIES.get(priority.lower())
            if prio is None:
                parsed.problem(number, text, "the priority is P0 to P3; P1 was used")
                prio = ActionItem.Priority.P1
            state = STATUSES.get(status.lower())
            if state is None:
                parsed.problem(
                    number, text, "the status is Open, In Progress or Done; Open was used"
                )
                state = ActionItem.Status.OPEN
            parsed.action_items.append(
                (
                    number,
                    text,
                    {
                        "category": category,
                        "action": action,
                        "owner": "" if owner == DASH else owner,
                        "due_date": due_date,
                        "priority": prio,
                        "status": state,
                        "tracker_url": tracker,
                    },
                )
            )
        _leftovers(parsed, leftovers, "not a row of the action items table")


LESSON_CATEGORIES = {f"{label.lower()}": value for value, label in LESSON_LABELS}


def _lessons(parsed, block):
    lines = list(block.lines)
    for sub in block.subs:
        if _norm(sub.title) in ("what did we learn?", "what did we learn"):
            lines += sub.lines
        else:
            _unknown(parsed, sub)
    category, group = None, []

    def flush():
        if category is None:
            _leftovers(parsed, group, "not under Technical, Process or Cultural Learnings")
            return
        items, leftovers = _numbered(group)
        for number, text, value in items:
            parsed.lessons.append((number, text, {"category": category, "text": value}))
        _leftovers(parsed, leftovers, "not a numbered lesson")

    for number, text in lines:
        label = LABEL_LINE.match(text.strip()) or re.match(
            r"^\*\*(?P<label>[^*]+?):?\*\*:?\s*$", text.strip()
        )
        if label and not text.startswith(" ") and _norm(label["label"]) in LESSON_CATEGORIES:
            flush()
            category, group = LESSON_CATEGORIES[_norm(label["label"])], []
        else:
            group.append((number, text))
    flush()


LINK_KINDS = {heading.lower(): kind for kind, heading in LINK_HEADINGS.items()}
LINK_LINE = re.compile(r"^[-*] ++(?:(?P<title>.*?):\s++)?(?P<url>https?://\S++)$")
RELATED_LINE = re.compile(
    r"^[-*] +Related Incident:\s*(?P<key>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)\b"
)


def _supporting(parsed, block):
    _leftovers(parsed, block.lines, "text outside the Supporting Information subsections")
    for sub in block.subs:
        title = _norm(sub.title)
        if title in LINK_KINDS:
            for number, text in _trim(sub.lines):
                match = LINK_LINE.match(text.strip())
                if match:
                    parsed.links.append(
                        (
                            number,
                            text,
                            {
                                "kind": LINK_KINDS[title],
                                "title": (match["title"] or match["url"]).strip(),
                                "url": match["url"],
                            },
                        )
                    )
                elif text.strip():
                    parsed.problem(number, text, "not a “- Title: https://…” link line")
        elif title == "references":
            lines, start = _trim(sub.lines), 0
            while start < len(lines) and (match := RELATED_LINE.match(lines[start][1])):
                parsed.related.append((*lines[start], match["key"].upper()))
                start += 1
            _set(parsed, "references", _free(lines[start:]), sub.line, sub.title)
        else:
            _unknown(parsed, sub)


def _approvals(parsed, block):
    for sub in block.subs:
        _unknown(parsed, sub)
    rows, leftovers = _table(
        parsed, block.lines, {4: "Role | Name | Date | Signature"}, "approvals"
    )
    for number, text, (role, name, _date, _signature) in rows:
        required = not role.endswith("(optional)")
        role = role.removesuffix("(optional)").strip()
        if not role:
            parsed.problem(number, text, "the role is empty — row not imported")
            continue
        parsed.approvals.append((number, text, role, required, "" if name == DASH else name))
    _leftovers(parsed, leftovers, "not a row of the approvals table")
    if rows:
        parsed.notices.append(
            "Signatures are never imported: the Draft is reviewed and signed again."
        )


def _static_lines():
    lines = {line.strip() for line in BLAMELESS}
    for label, name, points in severity_definitions():
        lines.add(f"**{label} ({name})**:")
        lines |= {f"- {point}" for point in points}
    return lines


STATIC = _static_lines()
FOOTER = re.compile(r"^\*\*(Document Version|Last Updated|Next Review)\*\*\s*:")


def _static(parsed, block):
    """The blameless reminder and the appendix: the template's own text, and the footer."""
    for number, text in block.lines + [line for sub in block.subs for line in sub.lines]:
        stripped = text.strip()
        if not stripped or stripped == "---" or stripped in STATIC or FOOTER.match(stripped):
            continue
        parsed.problem(number, text, f"not part of the template's {block.title}")
    for sub in block.subs:
        if _norm(sub.title) != "incident severity definitions":
            parsed.problem(sub.line, f"### {sub.title}", "unknown heading")


def _executive_summary(parsed, block):
    for sub in block.subs:
        _unknown(parsed, sub)
    _set(parsed, "executive_summary", _free(block.lines), block.line, block.title)


def _unknown(parsed, block):
    marker = "##" if block.subs or block.title in () else "###"
    parsed.problem(
        block.line, f"{marker} {block.title}", "unknown heading — its text is kept in the notes"
    )
    _leftovers(parsed, block.lines, f"under the unknown heading “{block.title}”")
    for sub in block.subs:
        _unknown(parsed, sub)


SECTIONS = {
    "executive summary": _executive_summary,
    "impact": _impact,
    "timeline": _timeline,
    "timeline (all times utc)": _timeline,
    "root cause": _root_cause,
    "detection": _detection,
    "response": _response,
    "resolution": _resolution,
    "action items": _action_items,
    "lessons learned": _lessons,
    "supporting information": _supporting,
    "approvals": _approvals,
    "blameless culture reminder": _static,
    "appendix": _static,
}


def parse(text: str) -> Parsed:
    parsed = Parsed()
    if "\x00" in text:
        parsed.notices.append("NUL characters in the text were removed.")
        text = text.replace("\x00", "")
    text = normalize_newlines(text)
    if not text.strip():
        raise ImportRefused("Nothing to import: paste the Markdown or choose a file.")
    lines = list(enumerate(text.split("\n"), 1))
    header, blocks = _split(lines)
    _header(parsed, header)
    seen = set()
    for block in blocks:
        name = _norm(block.title)
        handler = SECTIONS.get(name)
        if handler is None:
            parsed.problem(
                block.line, f"## {block.title}", "unknown heading — its text is kept in the notes"
            )
            _leftovers(parsed, block.lines, f"under the unknown heading “{block.title}”")
            for sub in block.subs:
                parsed.problem(
                    sub.line, f"### {sub.title}", f"under the unknown heading “{block.title}”"
                )
                _leftovers(parsed, sub.lines, f"under the unknown heading “{block.title}”")
            continue
        if name in seen and handler is not _static:
            parsed.problem(
                block.line, f"## {block.title}", "this section appears twice; the later one wins"
            )
        seen.add(name)
        handler(parsed, block)
    if not header and not blocks:
        pass
    parsed.problems.sort(key=lambda p: p.line)
    return parsed


# --- people and the Draft ----------------------------------------------------------------------


class People:
    """Names to accounts: display name, full name or username; ambiguous or unknown → None.

    ``load`` looks up every name of the document in a few queries (one per 500 names), so a
    document naming thousands of people costs no more than a handful of queries.
    """

    CHUNK = 500

    def __init__(self):
        self.cache = {}

    def load(self, names) -> None:
        wanted = sorted(
            {n.strip() for n in names if n.strip() and n.strip() != DASH} - set(self.cache)
        )
        for start in range(0, len(wanted), self.CHUNK):
            chunk = wanted[start : start + self.CHUNK]
            lowered = [name.lower() for name in chunk]
            users = list(
                User.objects.filter(is_active=True)
                .annotate(
                    display=Lower("display_name"),
                    login=Lower("username"),
                    full=Concat(Lower("first_name"), Value(" "), Lower("last_name")),
                )
                .filter(Q(display__in=lowered) | Q(login__in=lowered) | Q(full__in=lowered))
            )
            for name in chunk:
                self.cache[name] = self._pick(name, users)

    @staticmethod
    def _pick(name, users):
        low = name.lower()
        matches = [
            u
            for u in users
            if u.display == low
            or u.login == low
            or (" " in name and not u.display_name and u.full == low)
        ][:3]
        exact = [u for u in matches if u.name == name]
        return (exact or matches)[0] if len(exact or matches) == 1 else None

    def find(self, name: str):
        name = name.strip()
        if not name or name == DASH:
            return None
        if name not in self.cache:
            self.load([name])
        return self.cache[name]


@dataclass
class Result:
    postmortem: Postmortem
    problems: list
    notices: list


NOTES_HEADER = "Lines of the imported Markdown that were not imported, with their line numbers:"


# The notes are shown on the document: every line of a 2 MB upload could be a problem.
MAX_NOTES = 1000
MAX_NOTE_TEXT = 300


def _notes(problems) -> str:
    if not problems:
        return ""
    lines = [
        f"Line {p.line} ({p.reason}): "
        + (p.text if len(p.text) <= MAX_NOTE_TEXT else p.text[:MAX_NOTE_TEXT] + "…")
        for p in problems[:MAX_NOTES]
    ]
    if len(problems) > MAX_NOTES:
        lines.append(
            f"… and {len(problems) - MAX_NOTES:,} more lines that were not imported (not listed)."
        )
    return NOTES_HEADER + "\n\n" + "\n".join(lines)


def _too_long(value, limit) -> str:
    return f"This is {len(value):,} characters; the limit is {limit:,}."


def _fits(model, name, value) -> str:
    """The validation error for one field value, or ''.

    Text gets the forms' limits: the field's max_length (a 2,000-character table cell), else
    MAX_TEXT, which a TextField's own clean() does not check; and free text must format in
    time, as in the forms.
    """
    model_field = model._meta.get_field(name)
    if isinstance(value, str) and isinstance(model_field, CharField | TextField):
        limit = model_field.max_length or MAX_TEXT
        if len(value) > limit:
            return _too_long(value, limit)
    try:
        model_field.clean(value, None)
    except ValidationError as exc:
        return "; ".join(exc.messages)
    if isinstance(value, str) and isinstance(model_field, TextField):
        # Every free text is shown as Markdown: as the forms do, refuse what cannot be.
        return renderable_error(value, lines=name in POINT_FIELDS)
    return ""


def import_markdown(text: str, *, by, key: str = "") -> Result:
    """Create a Draft from the Markdown; raise ImportRefused if nothing can be created."""
    parsed = parse(text)
    key = (key or parsed.key).strip().upper()
    key_limit = Postmortem._meta.get_field("key").max_length
    if len(key) > key_limit:
        raise ImportRefused(
            f"The key is {len(key):,} characters; the limit is {key_limit}. Give the import a "
            "shorter key (the Key field, or the first line “# Postmortem: KEY Title”)."
        )
    if key and not re.fullmatch(KEY_RE, key):
        raise ImportRefused(
            f"“{key}” is not a usable key: use capital letters, digits and hyphens, like INC-2026-0042."
        )
    if key and key_refusal(key, restricted=False):
        # One message whatever the reason: it must not tell that a hidden document has it.
        raise ImportRefused(
            f"{key} cannot be used: give the import another key (the Key field, or the first "
            "line “# Postmortem: KEY Title”), or leave the Key field empty and take the key out "
            "of the first line for the next free one; your text is kept below."
        )
    title = parsed.title.strip() or "Imported postmortem"
    if not parsed.title.strip():
        parsed.notices.append(
            "No title line (“# Postmortem: KEY Title”): the title is “Imported postmortem”."
        )
    if len(title) > 200:
        parsed.problem(1, title, "the title is longer than 200 characters; it was shortened")
        title = title[:200]
    incident_date = parsed.incident_date
    if incident_date is None:
        incident_date = datetime.date.today()
        parsed.notices.append(
            "No **Date** line: the incident date is today; change it in the Overview."
        )
    severity = parsed.severity or Severity.SEV3
    if not parsed.severity:
        parsed.notices.append("No **Severity** line: SEV-3 was used; change it in the Overview.")

    people = People()
    people.load(_names(parsed))
    authors = []
    for number, line, name in parsed.author_names:
        user = people.find(name)
        if user is None:
            parsed.problem(
                number, line, f"author “{name}” has no account here (or several do); not added"
            )
        elif user not in authors:
            authors.append(user)
    if parsed.author_names and not authors:
        parsed.notices.append("No author named has an account here: you are the author.")

    with markdown.page_budget(FORMAT_SECONDS):
        fields = {}
        for name, value in parsed.fields.items():
            error = _fits(Postmortem, name, value)
            if error:
                number, line = parsed.field_lines.get(name, (0, name))
                parsed.problem(
                    number, line, f"{Postmortem._meta.get_field(name).verbose_name}: {error}"
                )
            else:
                fields[name] = value
        rows = _rows(parsed, people)
    parsed.problems.sort(key=lambda p: p.line)
    with transaction.atomic():
        try:
            postmortem = workflow.create_draft(
                by=by,
                title=title,
                incident_date=incident_date,
                severity=severity,
                key=key,
                authors=authors,
                **fields,
            )
        except workflow.TransitionError as exc:
            raise ImportRefused(str(exc)) from None
        for model, objects in rows.items():
            for obj in objects:
                obj.postmortem = postmortem
            model.objects.bulk_create(objects)
        if parsed.tags:
            postmortem.tags.set(
                [Tag.objects.get_or_create(name=name)[0] for name in dict.fromkeys(parsed.tags)]
            )
        _related(parsed, postmortem, by)
        _approval_slots(parsed, postmortem, people, by)
        parsed.problems.sort(key=lambda p: p.line)
        postmortem.import_notes = _notes(parsed.problems)
        postmortem.save(update_fields=["import_notes"])
        log_action(
            postmortem,
            by,
            Activity.Verb.EDITED,
            section="import",
            detail=f"imported from Markdown; {len(parsed.problems)} line(s) kept in the notes",
        )
    return Result(postmortem, parsed.problems, parsed.notices)


def _names(parsed) -> list[str]:
    """Every name the document gives a person: authors, responders, owners, approvers."""
    return [
        *(name for _, _, name in parsed.author_names),
        *(values["name"] for _, _, values in parsed.responders),
        *(values["owner"] for _, _, values in parsed.action_items),
        *(name for *_, name in parsed.approvals if name),
    ]


def _rows(parsed, people) -> dict:
    rows = {
        TimelineEvent: [],
        ContributingFactor: [],
        Responder: [],
        ActionItem: [],
        Lesson: [],
        SupportingLink: [],
    }

    def add(model, number, line, values):
        if len(rows[model]) >= MAX_ROWS:
            parsed.problem(
                number,
                line,
                f"more than {MAX_ROWS:,} rows of {model._meta.verbose_name_plural} — row not "
                "imported",
            )
            return
        for name, value in values.items():
            if name in ("owner", "user"):
                continue
            error = _fits(model, name, value)
            if error:
                parsed.problem(
                    number,
                    line,
                    f"{model._meta.get_field(name).verbose_name}: {error} — row not imported",
                )
                return
        rows[model].append(model(**values))

    for number, line, values in parsed.timeline:
        add(TimelineEvent, number, line, values)
    for number, line, values in parsed.factors:
        add(ContributingFactor, number, line, values)
    for number, line, values in parsed.responders:
        user = people.find(values["name"])
        add(
            Responder,
            number,
            line,
            {**values, "user": user, "name": "" if user else values["name"]},
        )
    for number, line, values in parsed.action_items:
        owner_name = values.pop("owner")
        owner = people.find(owner_name)
        add(
            ActionItem,
            number,
            line,
            {**values, "owner": owner, "owner_name": "" if owner else owner_name},
        )
    for number, line, values in parsed.lessons:
        add(Lesson, number, line, values)
    for number, line, values in parsed.links:
        add(SupportingLink, number, line, values)
    return rows


def _related(parsed, postmortem, by):
    if not parsed.related:
        return
    keys = [key for _, _, key in parsed.related]
    found = {p.key: p for p in Postmortem.objects.visible_to(by).filter(key__in=keys[:1000])}
    linked = []
    for number, line, key in parsed.related:
        if key not in found or key == postmortem.key:
            parsed.problem(number, line, f"there is no postmortem {key} you can see; not linked")
        elif len(linked) >= MAX_RELATED:
            parsed.problem(number, line, f"more than {MAX_RELATED} related incidents; not linked")
        elif found[key] not in linked:
            linked.append(found[key])
    postmortem.related_incidents.set(linked)


def _approval_slots(parsed, postmortem, people, by):
    """The approvals table's people (never its signatures) fill the approval policy's slots;
    its other roles become slots of the authors' own. Through the workflow, so that its rules
    hold: a policy slot stays required, nobody who wrote the document reviews it, nobody holds
    two slots. What a rule refuses is a problem, and the slot stays unassigned."""
    slots = {a.role.casefold(): a for a in Approval.objects.filter(postmortem=postmortem)}
    for number, line, role, required, name in parsed.approvals:
        if len(role) > 100:
            parsed.problem(
                number, line, "the role is longer than 100 characters — row not imported"
            )
            continue
        assignee = people.find(name) if name else None
        if name and assignee is None:
            parsed.problem(number, line, f"“{name}” has no account here; the slot is unassigned")
        slot = slots.get(role.casefold())
        if slot is not None and slot.from_policy and not required:
            parsed.problem(
                number, line, f"the approval policy requires {slot.role}; it stays required"
            )
        try:
            if slot is None:
                slot = workflow.add_approval(
                    postmortem,
                    by=by,
                    role=role,
                    required=required,
                    is_author_slot=role.lower().startswith("author"),
                )
                slots[role.casefold()] = slot
            if assignee is not None:
                workflow.update_approval(
                    slot,
                    by=by,
                    role=slot.role,
                    assignee=assignee,
                    required=required or slot.from_policy,
                )
        except workflow.TransitionError as refused:
            parsed.problem(number, line, f"{refused} The slot is unassigned.")


def decimal_or_none(value):
    return None if value is None else Decimal(value)
