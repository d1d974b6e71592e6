"""Three-way merging: what two people changed since the version both started from.

A save that comes after someone else's is not refused as a whole. For every field, the value
the form was opened with (the base), the value saved meanwhile (theirs) and the value typed
(mine) decide:

- only one side changed it: that side's value;
- both changed it to the same value: that value;
- a set (authors, services, related incidents): what either side added, less what either side
  removed;
- a text: a line-by-line three-way merge (merge3) where the two changed different lines;
- otherwise a conflict, which a person resolves.

Pure functions on plain values; ``forms.base`` applies them to a form's fields.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import merge3

# merge3 matches lines with difflib, whose time grows with the product of the lengths. Past this
# product (say 500 × 500 lines) two changed texts are a conflict for a person to resolve.
MAX_LINE_PAIRS = 250_000

TEXT, SET, VALUE = "text", "set", "value"


def comparable(value):
    """A value in the one shape used to decide "changed or not": strings without trailing
    blanks or carriage returns, numbers as written without trailing zeros, people and
    documents by their id, sets sorted."""
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, list | tuple | set | frozenset) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return tuple(sorted(comparable(v) for v in items))
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return normalise(str(value)).strip()


def normalise(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Field:
    """One field's outcome: ``value`` is the merged value (None with a conflict)."""

    name: str
    value: object = None
    conflict: bool = False
    # Who changed it: "" (nobody), "mine", "theirs", "both" (merged or the same).
    changed: str = ""
    # For a text conflict: a proposal keeping both sides' lines (theirs first, then mine).
    both: str = ""


def merge_field(kind: str, base, mine, theirs, name: str = "") -> Field:
    """Merge one field. ``base``, ``mine`` and ``theirs`` are plain values: strings for texts,
    iterables of ids for sets, and anything ``comparable`` takes for the rest."""
    b, m, t = comparable(base), comparable(mine), comparable(theirs)
    if m == b:
        return Field(name, theirs, changed="theirs" if t != b else "")
    if t == b:
        return Field(name, mine, changed="mine")
    if m == t:
        return Field(name, mine, changed="both")
    if kind == SET:
        base_set, mine_set = set(b), set(m)
        merged = (set(t) | (mine_set - base_set)) - (base_set - mine_set)
        return Field(name, sorted(merged), changed="both")
    if kind == TEXT:
        merged, clean = merge_text(str(base or ""), str(mine or ""), str(theirs or ""))
        if clean:
            return Field(name, merged, changed="both")
        return Field(name, None, conflict=True, changed="both", both=merged)
    return Field(name, None, conflict=True, changed="both")


def _lines(text: str) -> list[str]:
    text = normalise(text)
    if text and not text.endswith("\n"):
        text += "\n"
    return text.splitlines(keepends=True)


def merge_text(base: str, mine: str, theirs: str) -> tuple[str, bool]:
    """(merged text, clean). Where both changed the same lines the merge is not clean, and the
    text keeps both: their lines, then mine, so that nothing either wrote is lost."""
    b, m, t = _lines(base), _lines(mine), _lines(theirs)
    if len(b) * max(len(m), len(t), 1) > MAX_LINE_PAIRS:
        return "".join(t).rstrip("\n") + "\n" + "".join(m).rstrip("\n"), False
    out, clean = [], True
    for group in merge3.Merge3(b, m, t).merge_groups():
        kind = group[0]
        if kind == "conflict":
            clean = False
            out += group[3] + group[2]  # theirs, then mine
        else:
            out += group[1]
    return "".join(out).rstrip("\n"), clean
