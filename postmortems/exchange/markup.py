"""Reversible encodings shared by the exporter and the importer.

Every function here comes in a pair (``encode_*`` / ``decode_*``) such that decoding what was
encoded gives the original text back: that is what makes export → import → export stable.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from postmortems.values import TimeRefused, number_text, parse_utc, utc_text

# --- table cells -------------------------------------------------------------------------------
# A cell holds one line: `\` → `\\`, `|` → `\|`, a literal `<br>` → `\<br>`, a newline → `<br>`.
# On the way back, `\` before ASCII punctuation is dropped (as Markdown itself does).

_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def encode_cell(text: str) -> str:
    text = normalize_newlines(text or "").strip()
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<br>", "\\<br>")
    return text.replace("\n", "<br>")


def decode_cell(raw: str) -> str:
    out, i = [], 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw) and raw[i + 1] in _PUNCTUATION:
            out.append(raw[i + 1])
            i += 2
        elif raw.startswith("<br>", i):
            out.append("\n")
            i += 4
        else:
            out.append(char)
            i += 1
    return "".join(out).strip()


def split_row(line: str) -> list[str] | None:
    """The raw cells of a Markdown table row (escaped pipes kept), or None if not a row."""
    line = line.strip()
    if not line.startswith("|"):
        return None
    cells, current, i = [], [], 1
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            current.append(line[i : i + 2])
            i += 2
            continue
        if char == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    tail = "".join(current).strip()
    if tail:  # a row without the closing pipe
        cells.append(tail)
    return cells


def is_separator_row(cells: list[str]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?-{3,}:?", c.replace(" ", "")) for c in cells)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("-" * (len(h) + 2) for h in headers) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines


# --- free Markdown blocks ----------------------------------------------------------------------
# A field's Markdown stands between headings as typed, except that a line which would read as a
# heading or a section rule gets one more leading backslash (and loses it on the way back).

_STRUCTURAL = re.compile(r"^\\*(#|-{3,}\s*$)")
_ESCAPED = re.compile(r"^\\+(#|-{3,}\s*$)")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def encode_block(text: str) -> list[str]:
    lines = normalize_newlines(text or "").strip("\n").split("\n")
    return ["\\" + line if _STRUCTURAL.match(line) else line for line in lines]


def decode_block(lines: list[str]) -> str:
    decoded = [line[1:] if _ESCAPED.match(line) else line for line in lines]
    return "\n".join(decoded).strip("\n").rstrip()


def encode_indented(text: str, indent: int) -> list[str]:
    """A multi-line value under a list item: every non-empty line indented."""
    pad = " " * indent
    return [pad + line if line else "" for line in normalize_newlines(text).strip("\n").split("\n")]


def dedent(line: str, indent: int) -> str:
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


# --- values ------------------------------------------------------------------------------------

DASH = "—"


def parse_datetime(value) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC)
    return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)


def parse_date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def format_time(value, day: datetime.date | None) -> str:
    """A stored time (a datetime or its ISO text) as the template writes it (values.utc_text)."""
    return utc_text(parse_datetime(value), day)


def parse_time(text: str, day: datetime.date | None) -> datetime.datetime | None:
    """The inverse of `format_time` (values.parse_utc); None when the text is not a time."""
    try:
        return parse_utc(text, day)
    except TimeRefused:
        return None


def format_decimal(value, min_places: int = 0) -> str:
    """Trailing zeros dropped (31.20 → 31.2), at least `min_places` decimals (99.9 → 99.90):
    the editor and the read view show numbers by the same rule (values.number_text)."""
    return number_text(value, min_places)


def parse_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


# --- writing the template's shapes -------------------------------------------------------------


def bullet(label: str, value: str) -> list[str]:
    value = (value or "").strip()
    if not value:
        return [f"- **{label}**: {DASH}"]
    if "\n" in value:
        return [f"- **{label}**:", *encode_indented(value, 2)]
    return [f"- **{label}**: {value}"]


def numbered(items: list[str]) -> list[str]:
    lines = []
    for number, text in enumerate(items, 1):
        marker = f"{number}. "
        first, *rest = encode_indented(text, len(marker))
        lines.append(marker + first.lstrip(" "))
        lines += rest
    return lines


def block(text: str) -> list[str]:
    return encode_block(text) if (text or "").strip() else []


def section_heading(title: str) -> list[str]:
    """A ## section, set apart from the one before by a rule, as the template does."""
    return ["", "---", "", f"## {title}", ""]
