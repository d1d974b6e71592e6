"""Overview: what the incident is called, when it was, how severe, who writes the document,
the summary, the services involved, and who may read it."""

import datetime
import re

from django import forms
from django.conf import settings
from django.db import models
from django.template.loader import render_to_string

from postmortems.exchange import blocks
from postmortems.exchange.markup import DASH, block, parse_date, section_heading
from postmortems.fields import MAX_TAGS_TEXT, TagsField
from postmortems.forms.base import DateInput, SectionForm, markdown_area, people
from postmortems.sections.base import Section, has
from postmortems.values import KEY_RE, service_name

# The template's appendix, shown wherever a severity is chosen or displayed.
SEVERITY_DEFINITIONS = {
    "sev1": (
        "Critical",
        [
            "Complete service outage",
            "Major functionality broken for all users",
            "Data loss or security breach",
            "Revenue impact > $10,000/hour",
        ],
    ),
    "sev2": (
        "High",
        [
            "Significant service degradation",
            "Major functionality broken for subset of users",
            "SLO violation",
            "Revenue impact $1,000-$10,000/hour",
        ],
    ),
    "sev3": (
        "Medium",
        [
            "Minor service degradation",
            "Non-critical functionality broken",
            "No SLO violation",
            "Revenue impact < $1,000/hour",
        ],
    ),
    "sev4": (
        "Low",
        ["Minimal impact", "Cosmetic issues", "No user impact", "No revenue impact"],
    ),
}


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV-1"
    SEV2 = "sev2", "SEV-2"
    SEV3 = "sev3", "SEV-3"
    SEV4 = "sev4", "SEV-4"


def severity_definitions() -> list[tuple[str, str, list[str]]]:
    """[(“SEV-1”, “Critical”, [criteria…]), …] in severity order."""
    return [(label, *SEVERITY_DEFINITIONS[value]) for value, label in Severity.choices]


def severity_help_text() -> str:
    return " ".join(
        f"{label} ({name}): {'; '.join(points)}." for label, name, points in severity_definitions()
    )


class OverviewFields(models.Model):
    title = models.CharField(
        max_length=200,
        help_text="A brief description, e.g. “API outage: connection pool exhaustion”.",
    )
    incident_date = models.DateField(help_text="The day the incident began (UTC).")
    severity = models.CharField(
        max_length=8,
        choices=Severity,
        default=Severity.SEV3,
        db_index=True,
        help_text=severity_help_text(),
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="authored_postmortems",
        help_text="Everyone who writes this document; any author may edit any section of a Draft.",
    )
    restricted = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Only its authors, approvers, responders and the people added below can see it "
        "(for security incidents and the like).",
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="also visible to",
        help_text="People who may read a restricted document besides those named in it.",
    )
    executive_summary = models.TextField(
        blank=True,
        help_text="2-3 sentences: what happened, the impact, and how it was resolved. Markdown.",
    )
    tags = models.ManyToManyField(
        "postmortems.Tag",
        blank=True,
        related_name="postmortems",
        help_text="Services and components involved, e.g. api, postgres, payments.",
    )

    class Meta:
        abstract = True

    @property
    def severity_definition(self):
        return SEVERITY_DEFINITIONS[self.severity]


class SeverityHelpMixin:
    def _add_severity_help(self):
        self.fields["severity"].help_text = render_to_string(
            "postmortems/_severity_definitions.html", {"definitions": severity_definitions()}
        )


class OverviewForm(SeverityHelpMixin, SectionForm):
    authors = forms.ModelMultipleChoiceField(
        queryset=people(),
        help_text="Everyone who writes this document. Any author may edit any section. "
        "A click adds or removes one person.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "A postmortem needs at least one author."},
    )
    # Asked only when someone unticks themselves: they would lose the right to edit.
    confirm_leave = forms.BooleanField(
        required=False,
        widget=forms.HiddenInput,
        label="Yes, remove me from the authors: I will no longer be able to edit this document.",
    )
    bookkeeping = (*SectionForm.bookkeeping, "confirm_leave")
    tags = TagsField(
        label="Services",
        required=False,
        help_text="Services and components involved, separated by commas: api, postgres.",
    )

    class Meta:
        # `tags` is saved by the editing service from the typed names, not by save_m2m.
        fields = [
            "title",
            "incident_date",
            "severity",
            "authors",
            "executive_summary",
            "restricted",
            "viewers",
        ]
        widgets = {"incident_date": DateInput(), "executive_summary": markdown_area(5)}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.order_fields(["title", "incident_date", "severity", "authors", "confirm_leave"])
        if self.instance.pk:
            self.initial["tags"] = [t.name for t in self.instance.tags.all()]
        self.fields["viewers"].queryset = people()
        self.fields["viewers"].widget.attrs["size"] = 4
        self._add_severity_help()

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("authors")
        leaving = (
            chosen is not None
            and self.user is not None
            and self.instance.pk
            and self.user in self.instance.authors.all()
            and self.user not in chosen
        )
        if leaving and not cleaned.get("confirm_leave"):
            self.fields["confirm_leave"].widget = forms.CheckboxInput()
            self.add_error(
                "confirm_leave",
                "You unticked yourself. Tick this box to confirm, or tick your name again.",
            )
        return cleaned


# --- the template's Markdown -------------------------------------------------------------------

SEVERITY_LABELS = dict(Severity.choices)
# Every unknown author is reported with the whole line, so the line's length bounds the notes:
# two thousand characters is a hundred names, more than any real list of authors.
MAX_AUTHORS_LINE = 2_000


def write(c, ctx) -> list[str]:
    """The title line and the header lines, then the Executive Summary."""
    day = parse_date(c.get("incident_date"))
    severity = SEVERITY_LABELS.get(c.get("severity"), c.get("severity") or DASH)
    authors = ", ".join(ctx.name(pk) for pk in c.get("authors", [])) or DASH
    lines = [f"# Postmortem: {c.get('key', '')} {c.get('title', '')}".rstrip(), ""]
    lines += [f"**Date**: {day:%Y-%m-%d}" if day else f"**Date**: {DASH}"]
    lines += [f"**Authors**: {authors}"]
    if ctx.status:
        lines.append(f"**Status**: {ctx.status}")
    lines.append(f"**Severity**: {severity}")
    lines.append(f"**Services**: {', '.join(c.get('tags', [])) or DASH}")
    return [*lines, *section_heading("Executive Summary"), *block(c.get("executive_summary"))]


def read_header(parsed, lines) -> None:
    """The title line (with the key) and the header's label lines, before the first ##."""
    for number, text in lines:
        stripped = text.strip()
        heading = blocks.heading(text)
        if heading and heading[0] == 1:
            _read_title(parsed, heading[1].strip())
            continue
        label = blocks.LABEL_LINE.match(stripped)
        if label:
            _read_label(parsed, number, text, blocks.norm(label["label"]), label["value"].strip())
            continue
        if stripped and stripped != "---":
            parsed.problem(number, text, "not part of the template here")


def _read_title(parsed, heading: str) -> None:
    heading = re.sub(r"^postmortem\s*:\s*", "", heading, flags=re.IGNORECASE)
    first, _, rest = heading.partition(" ")
    if re.fullmatch(KEY_RE, first.upper()) and first.upper() not in ("[INCIDENT-ID]",):
        parsed.key, parsed.title = first.upper(), rest.strip()
    else:
        parsed.title = heading
        parsed.notices.append(
            "The title line names no incident key (like INC-2026-0042): the next free key was used."
        )


def _read_label(parsed, number, text, name, value) -> None:
    if name == "date":
        try:
            parsed.incident_date = datetime.date.fromisoformat(value)
        except ValueError:
            parsed.problem(number, text, "not a date like 2026-01-29")
    elif name == "authors" and len(value) > MAX_AUTHORS_LINE:
        parsed.problem(number, text, "Authors: " + blocks.too_long(value, MAX_AUTHORS_LINE))
    elif name == "authors":
        parsed.author_names = [
            (number, text, n.strip()) for n in value.split(",") if n.strip() not in ("", DASH)
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
        parsed.problem(number, text, "Services: " + blocks.too_long(value, MAX_TAGS_TEXT))
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


def read(parsed, block) -> None:
    for sub in block.subs:
        blocks.unknown(parsed, sub)
    parsed.set("executive_summary", blocks.free(block.lines), block.line, block.title)


SECTION = Section(
    "overview",
    "Overview",
    "Name the incident, its date and severity, who writes the document, and summarise it "
    "in 2-3 sentences: what happened, the impact, and the resolution.",
    fields_model=OverviewFields,
    form_base=OverviewForm,
    form_needs_user=True,
    checks=(
        ("Title", has("title")),
        ("Incident date", has("incident_date")),
        ("Authors", lambda p: bool(p.authors.all())),
        ("Executive summary", has("executive_summary")),
    ),
    search={"title": "A", "executive_summary": "B", "tags": "C"},
    unsearched={
        "incident_date": "a date: the search's date range filters on it",
        "severity": "a choice: the search's severity filter",
        "authors": "people: the search's author filter",
    },
    write=write,
    read=read,
    headings=("executive summary",),
)
