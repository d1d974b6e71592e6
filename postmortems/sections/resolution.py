"""Resolution: the fix that restored service, permanent or temporary, and how it was verified."""

from django import forms
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import DASH, block, section_heading
from postmortems.forms.base import SectionForm, markdown_area
from postmortems.sections.base import Section, has


class FixType(models.TextChoices):
    PERMANENT = "permanent", "Permanent fix"
    TEMPORARY = "temporary", "Temporary fix (permanent fix still to come)"


class ResolutionFields(models.Model):
    resolution_summary = models.CharField(
        "how was service restored?",
        max_length=300,
        blank=True,
        help_text="The final fix in one line, e.g. Increased the pool size from 100 to 500.",
    )
    fix_type = models.CharField(
        "permanent or temporary",
        max_length=16,
        choices=FixType,
        blank=True,
        help_text="Is the fix that restored service the permanent one?",
    )
    resolution_details = models.TextField(
        blank=True, help_text="The immediate fix and how it was rolled out. Markdown."
    )
    verification = models.TextField(
        blank=True,
        help_text="How did we know it was fixed? Health checks, error rate, latency… Markdown.",
    )

    class Meta:
        abstract = True


class ResolutionForm(SectionForm):
    fix_type = forms.ChoiceField(
        label="Permanent or temporary?",
        choices=FixType.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        fields = ["resolution_summary", "fix_type", "resolution_details", "verification"]
        widgets = {"resolution_details": markdown_area(6), "verification": markdown_area(6)}


# --- the template's Markdown -------------------------------------------------------------------

FIX_LABELS = dict(FixType.choices)


def write(c, ctx) -> list[str]:
    lines = [*section_heading("Resolution"), "### How was service restored?", ""]
    lines.append(f"**Resolution**: {(c.get('resolution_summary') or '').strip() or DASH}")
    lines.append(f"**Fix Type**: {FIX_LABELS.get(c.get('fix_type'), DASH)}")
    details = block(c.get("resolution_details"))
    if details:
        lines += ["", *details]
    return [*lines, "", "### Verification", "", *block(c.get("verification"))]


FIX_TYPES = {
    **{label.lower(): value for value, label in FixType.choices},
    "permanent": FixType.PERMANENT,
    "temporary": FixType.TEMPORARY,
}


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside the Resolution subsections")
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title in ("how was service restored?", "how was service restored"):
            lines, start = blocks.trim(sub.lines), 0
            while start < len(lines) and (label := blocks.LABEL_LINE.match(lines[start][1])):
                number, text = lines[start]
                name, value = blocks.norm(label["label"]), label["value"].strip()
                value = "" if value == DASH else value
                if name == "resolution":
                    parsed.set("resolution_summary", value, number, text)
                elif name == "fix type":
                    fix = FIX_TYPES.get(value.lower(), None if value else "")
                    if fix is None:
                        parsed.problem(
                            number, text, "the fix type is Permanent fix or Temporary fix"
                        )
                    else:
                        parsed.set("fix_type", fix, number, text)
                else:
                    break
                start += 1
            parsed.set("resolution_details", blocks.free(lines[start:]), sub.line, sub.title)
        elif title == "verification":
            parsed.set("verification", blocks.free(sub.lines), sub.line, sub.title)
        else:
            blocks.unknown(parsed, sub)


SECTION = Section(
    "resolution",
    "Resolution",
    "The final fix that restored service, whether it is permanent or temporary, and how you "
    "verified it was fixed.",
    fields_model=ResolutionFields,
    form_base=ResolutionForm,
    checks=(
        ("How service was restored", has("resolution_summary")),
        ("Permanent or temporary", has("fix_type")),
        ("Verification", has("verification")),
    ),
    search=dict.fromkeys(("resolution_summary", "resolution_details", "verification"), "C"),
    unsearched={"fix_type": "a choice"},
    write=write,
    read=read,
    headings=("resolution",),
)
