"""Version history: record the content after every save, and compare any two versions.

Every content change writes an activity entry through ``postmortems.activity.log_action``,
which calls ``record`` in the same transaction, so a version knows who changed which section
and when, and holds the canonical content as it then stood.
Two versions are compared on their Markdown export (the same exporter as the download), section
by section, line by line; every line reaches the page through the template's autoescaping.
"""

import difflib
import re
from dataclasses import dataclass, field

from postmortems.content import canonical_content, content_hash
from postmortems.exchange.export import context_for, to_markdown
from postmortems.models import DocumentVersion, Postmortem
from postmortems.values import clipped


def record(activity) -> DocumentVersion:
    """Store the document's content as it is now, for the change `activity` describes."""
    pm = Postmortem.objects.with_document().get(pk=activity.postmortem_id)
    content = canonical_content(pm)
    last = (
        DocumentVersion.objects.filter(postmortem=pm)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return DocumentVersion.objects.create(
        postmortem=pm,
        number=(last or 0) + 1,
        revision=pm.revision,
        document_version=pm.version,
        section=activity.section,
        detail=clipped(activity.detail or activity.get_verb_display(), 300),
        changed_by_id=activity.actor_id,
        content=content,
        content_hash=content_hash(content),
        action_item_statuses=[item.status for item in pm.action_items.all()],
        created_at=activity.created_at,
    )


def version_at_revision(postmortem, revision):
    """The version whose content a signature on `revision` saw (the last one at or before it)."""
    if revision is None:
        return None
    return (
        DocumentVersion.objects.filter(postmortem=postmortem, revision__lte=revision)
        .order_by("-revision", "-number")
        .defer("content", "action_item_statuses")
        .first()
    )


def version_markdown(version, user=None) -> str:
    """The version as the template's Markdown, as ``user`` may read it."""
    ctx = context_for(version.content, version.action_item_statuses, user)
    return to_markdown(version.content, ctx)


# --- the diff ----------------------------------------------------------------------------------


@dataclass
class Line:
    kind: str  # "same", "del", "ins", "gap"
    old_no: int | None = None
    new_no: int | None = None
    # [(changed, text)] so that the template can mark the changed part of a changed line.
    segments: list = field(default_factory=list)


@dataclass
class SectionDiff:
    title: str
    changed: bool
    lines: list = field(default_factory=list)
    added: int = 0
    removed: int = 0


def _sections(text: str) -> list[tuple[str, list[str]]]:
    sections, title, lines = [], "Header", []
    for line in text.split("\n"):
        if line.startswith("## "):
            sections.append((title, lines))
            title, lines = line[3:].strip(), []
        lines.append(line)
    sections.append((title, lines))
    return sections


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# difflib's matching grows with the product of the two lengths (and worse on repetitive text:
# 1,000 words took 28 s). Past these products a line is marked changed as a whole, and lines
# between the common start and end of a section are shown as replaced without matching.
MAX_WORD_PAIRS = 40_000
MAX_LINE_PAIRS = 250_000


def _segments(old: str, new: str):
    """The changed words of a changed line, for marking them inside the line."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) * len(b) > MAX_WORD_PAIRS:
        return [(True, old)], [(True, new)]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append((False, "".join(a[i1:i2])))
            right.append((False, "".join(b[j1:j2])))
        else:
            if i2 > i1:
                left.append((True, "".join(a[i1:i2])))
            if j2 > j1:
                right.append((True, "".join(b[j1:j2])))
    return left, right


def _opcodes(old: list[str], new: list[str]):
    """difflib's opcodes, or, for long sections, the common start and end kept and everything
    between them replaced (found in linear time)."""
    if len(old) * len(new) <= MAX_LINE_PAIRS:
        return difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    codes = [("equal", 0, start, 0, start)] if start else []
    codes.append(("replace", start, len(old) - end, start, len(new) - end))
    if end:
        codes.append(("equal", len(old) - end, len(old), len(new) - end, len(new)))
    return codes


class _GivenOpcodes(difflib.SequenceMatcher):
    """difflib's grouping (changes with their context) of opcodes found elsewhere."""

    def __init__(self, codes):
        super().__init__(None, "", "")
        self._codes = codes

    def get_opcodes(self):
        return self._codes


def _grouped(codes, context):
    return _GivenOpcodes(codes).get_grouped_opcodes(context)


def _line_diff(old: list[str], new: list[str], context: int = 2) -> tuple[list[Line], int, int]:
    out, added, removed = [], 0, 0
    for group in _grouped(_opcodes(old, new), context):
        if out:
            out.append(Line("gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [
                    Line("same", i1 + k + 1, j1 + k + 1, [(False, old[i1 + k])])
                    for k in range(i2 - i1)
                ]
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            dels, inss = [], []
            for k in range(i2 - i1):
                dels.append(Line("del", i1 + k + 1, None, [(True, old[i1 + k])]))
            for k in range(j2 - j1):
                inss.append(Line("ins", None, j1 + k + 1, [(True, new[j1 + k])]))
            for k in range(pairs):
                left, right = _segments(old[i1 + k], new[j1 + k])
                dels[k].segments, inss[k].segments = left, right
            out += dels + inss
            removed += len(dels)
            added += len(inss)
    return out, added, removed


def diff(old_text: str, new_text: str) -> list[SectionDiff]:
    """Section by section (## headings), the changed lines with two lines of context."""
    old_sections, new_sections = dict(_sections(old_text)), dict(_sections(new_text))
    order = list(new_sections)
    order += [t for t in old_sections if t not in new_sections]
    result = []
    for title in order:
        old, new = old_sections.get(title, []), new_sections.get(title, [])
        if old == new:
            result.append(SectionDiff(title, False))
            continue
        lines, added, removed = _line_diff(old, new)
        result.append(SectionDiff(title, True, lines, added, removed))
    return result
