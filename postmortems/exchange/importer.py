"""Read a filled-in postmortem in the template's Markdown back into a Draft.

``parse`` splits the text into its blocks (``exchange.blocks``) and gives each ``##`` block to
the section that answers to its heading (``postmortems.sections``: each section reads its own
block); every line nobody can place is a problem with its line number, so nothing is dropped
silently: the problems are shown to the person importing and kept, line by line, in the
Draft's ``import_notes``. ``import_markdown`` creates the Draft through the workflow's
functions, in one transaction.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, TextField
from django.utils import timezone

from postmortems import markdown, workflow
from postmortems.activity import log_action
from postmortems.exchange import blocks, guidance
from postmortems.exchange.blocks import Parsed, Problem  # noqa: F401 — the import's results
from postmortems.exchange.export import BLAMELESS_PRINCIPLES, BLAMELESS_QUOTE
from postmortems.exchange.markup import DASH, normalize_newlines
from postmortems.exchange.people import People
from postmortems.forms.base import MAX_TEXT
from postmortems.keys import key_refusal
from postmortems.markdown import renderable_error
from postmortems.models import (
    KEY_RE,
    MAX_RELATED,
    POINT_FIELDS,
    Activity,
    Approval,
    Postmortem,
    Severity,
    Tag,
    severity_definitions,
)
from postmortems.sections import ROWS, SECTIONS
from postmortems.sections.overview import read_header

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Rows of one table an import creates: far more than any document, few enough that the
# document stays quick to show.
MAX_ROWS = 1000
# Formatting time for every text an import checks (each within the forms' own budget).
FORMAT_SECONDS = 10.0


class ImportRefused(Exception):
    """Nothing was imported; the message says why and what to do."""


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


# --- the blocks around the sections: approvals, the template's own text ----------------------


def _approvals(parsed, block):
    for sub in block.subs:
        blocks.unknown(parsed, sub)
    rows, leftovers = blocks.table(
        parsed, block.lines, {4: "Role | Name | Date | Signature"}, "approvals"
    )
    for number, text, (role, name, _date, _signature) in rows:
        required = not role.endswith("(optional)")
        role = role.removesuffix("(optional)").strip()
        if not role:
            parsed.problem(number, text, "the role is empty — row not imported")
            continue
        parsed.approvals.append((number, text, role, required, "" if name == DASH else name))
    blocks.leftovers(parsed, leftovers, "not a row of the approvals table")
    # Only where a row says it was signed (a date, a signature): not the template's blanks.
    if any(cell not in ("", DASH) for *_, cells in rows for cell in cells[2:]):
        parsed.notices.append(
            "Signatures are never imported: the Draft is reviewed and signed again."
        )


def _static_lines():
    lines = {line.strip() for line in BLAMELESS_PRINCIPLES}
    for label, name, points in severity_definitions():
        lines.add(f"**{label} ({name})**:")
        lines |= {f"- {point}" for point in points}
    return lines


STATIC = _static_lines()
# The reminder's quote names an organisation: this install's, the template's (VirtEngine), any.
QUOTE_START, _, QUOTE_END = BLAMELESS_QUOTE.partition("{organisation}")


def _is_static(line: str) -> bool:
    return line in STATIC or (
        line.startswith(QUOTE_START)
        and line.endswith(QUOTE_END)
        and len(line) > len(QUOTE_START) + len(QUOTE_END)
    )


FOOTER = re.compile(r"^\*\*(Document Version|Last Updated|Next Review)\*\*\s*:")


def _static(parsed, block):
    """The blameless reminder and the appendix: the template's own text, and the footer."""
    for number, text in block.lines + [line for sub in block.subs for line in sub.lines]:
        stripped = text.strip()
        if not stripped or stripped == "---" or _is_static(stripped) or FOOTER.match(stripped):
            continue
        parsed.problem(number, text, f"not part of the template's {block.title}")
    for sub in block.subs:
        if blocks.norm(sub.title) != "incident severity definitions":
            parsed.problem(sub.line, f"### {sub.title}", "unknown heading")


# The ## headings a section of the registry answers to, and the others the template has.
READERS = {
    **{heading: section.parse for section in SECTIONS for heading in section.headings},
    "approvals": _approvals,
    "blameless culture reminder": _static,
    "appendix": _static,
}


def parse(text: str, *, examples: bool = False, today=None) -> Parsed:
    """What the text says, block by block. The template's own placeholders, guidance and
    examples are told apart first (``exchange.guidance``): with `examples`, the examples are
    read as content, else left out. A document without a date is dated `today` (by default
    today), so that its times (`14:23`) are read on the day the Draft will have."""
    parsed = Parsed()
    if "\x00" in text:
        parsed.notices.append("NUL characters in the text were removed.")
        text = text.replace("\x00", "")
    text = normalize_newlines(text)
    if not text.strip():
        raise ImportRefused("Nothing to import: paste the Markdown or choose a file.")
    lines = list(enumerate(text.split("\n"), 1))
    header, found = blocks.split(lines)
    template = guidance.Template(examples)
    template.find(header, found)
    read_header(parsed, template.header(header))
    parsed.dropped_labels = template.dropped
    if parsed.incident_date is None:
        parsed.incident_date = today or timezone.now().date()
        parsed.notices.append(
            "The **Date** line is the template's placeholder: the incident date is today; "
            "change it in the Overview."
            if "date" in template.dropped
            else "No **Date** line: the incident date is today; change it in the Overview."
        )
    template.prepare(parsed, found)
    seen = set()
    for block in found:
        name = blocks.norm(block.title)
        reader = READERS.get(name)
        if reader is None:
            parsed.problem(
                block.line, f"## {block.title}", "unknown heading — its text is kept in the notes"
            )
            blocks.leftovers(parsed, block.lines, f"under the unknown heading “{block.title}”")
            for sub in block.subs:
                parsed.problem(
                    sub.line, f"### {sub.title}", f"under the unknown heading “{block.title}”"
                )
                blocks.leftovers(parsed, sub.lines, f"under the unknown heading “{block.title}”")
            continue
        if reader in seen and reader is not _static:
            parsed.problem(
                block.line, f"## {block.title}", "this section appears twice; the later one wins"
            )
        seen.add(reader)
        reader(parsed, block)
    template.finish(parsed, rows_limit=MAX_ROWS)
    parsed.problems.sort(key=lambda p: p.line)
    return parsed


# --- the Draft ---------------------------------------------------------------------------------


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
            return blocks.too_long(value, limit)
    try:
        model_field.clean(value, None)
    except ValidationError as exc:
        return "; ".join(exc.messages)
    if isinstance(value, str) and isinstance(model_field, TextField):
        # Every free text is shown as Markdown: as the forms do, refuse what cannot be.
        return renderable_error(value, lines=name in POINT_FIELDS)
    return ""


def import_markdown(text: str, *, by, key: str = "", now=None, examples: bool = False) -> Result:
    """Create a Draft from the Markdown (at ``now``, by default now); raise ImportRefused if
    nothing can be created. With `examples`, the template's examples are read as content."""
    parsed = parse(text, examples=examples, today=(now or timezone.now()).date())
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
            "The title line is the template's placeholder: the title is “Imported postmortem”."
            if "title" in parsed.dropped_labels
            else "No title line (“# Postmortem: KEY Title”): the title is “Imported postmortem”."
        )
    if len(title) > 200:
        parsed.problem(1, title, "the title is longer than 200 characters; it was shortened")
        title = title[:200]
    incident_date = parsed.incident_date
    severity = parsed.severity or Severity.SEV3
    if not parsed.severity:
        parsed.notices.append(
            "The **Severity** line is the template's placeholder: SEV-3 was used; change it in "
            "the Overview."
            if "severity" in parsed.dropped_labels
            else "No **Severity** line: SEV-3 was used; change it in the Overview."
        )

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
                now=now,
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
        _approval_slots(parsed, postmortem, people, by, now)
        parsed.problems.sort(key=lambda p: p.line)
        postmortem.import_notes = _notes(parsed.problems)
        postmortem.save(update_fields=["import_notes"])
        log_action(
            postmortem,
            by,
            Activity.Verb.EDITED,
            section="import",
            detail=f"imported from Markdown; {len(parsed.problems)} line(s) kept in the notes",
            at=now,
        )
    return Result(postmortem, parsed.problems, parsed.notices)


def _names(parsed) -> list[str]:
    """Every name the document gives a person: authors, approvers, and the tables' people."""
    names = [name for _, _, name in parsed.author_names]
    names += [name for *_, name in parsed.approvals if name]
    for rows in ROWS:
        if rows.person:
            names += [
                values[rows.person[0]] for _, _, values in parsed.rows.get(rows.related_name, [])
            ]
    return names


def _rows(parsed, people) -> dict:
    """{row model: [unsaved rows]} of every table, each value checked as the forms check it; a
    person typed by name is their account when one matches."""
    made = {rows.model: [] for rows in ROWS}
    for rows in ROWS:
        model = rows.model
        for number, line, values in parsed.rows.get(rows.related_name, []):
            if len(made[model]) >= MAX_ROWS:
                parsed.problem(
                    number,
                    line,
                    f"more than {MAX_ROWS:,} rows of {model._meta.verbose_name_plural} — row not "
                    "imported",
                )
                continue
            error = next(
                (
                    f"{model._meta.get_field(name).verbose_name}: {problem} — row not imported"
                    for name, value in values.items()
                    if (problem := _fits(model, name, value))
                ),
                None,
            )
            if error:
                parsed.problem(number, line, error)
                continue
            if rows.person:
                name_field, account_field = rows.person
                account = people.find(values[name_field])
                values = {**values, account_field: account}
                if account is not None:
                    values[name_field] = ""
            made[model].append(model(**values))
    return made


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


def _approval_slots(parsed, postmortem, people, by, now):
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
                    now=now,
                )
                slots[role.casefold()] = slot
            if assignee is not None:
                workflow.update_approval(
                    slot,
                    by=by,
                    role=slot.role,
                    assignee=assignee,
                    required=required or slot.from_policy,
                    now=now,
                )
        except workflow.TransitionError as refused:
            parsed.problem(number, line, f"{refused} The slot is unassigned.")
