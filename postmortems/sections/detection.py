"""Detection: how the incident was found and how good that was (TTD and TTA are computed
from the timeline's milestones)."""

import re

from django import forms
from django.db import models

from postmortems import metrics
from postmortems.exchange import blocks
from postmortems.exchange.markup import bullet, section_heading
from postmortems.forms.base import SectionForm, markdown_area
from postmortems.sections.base import Section, has


class DetectionMethod(models.TextChoices):
    MONITORING = "monitoring", "Automated monitoring alert"
    USER_REPORT = "user_report", "User report"
    INTERNAL = "internal", "Internal discovery"
    EXTERNAL = "external", "External notification"


class DetectionFields(models.Model):
    detection_methods = models.JSONField(
        "how was the incident detected?",
        default=list,
        blank=True,
        help_text="Tick every way it was found.",
    )
    detection_description = models.TextField(
        "detection method",
        blank=True,
        help_text="What alerted, or how was it found? e.g. Alert “APIErrorRateHigh” fired. Markdown.",
    )
    detection_notes = models.TextField(
        "detection quality",
        blank=True,
        help_text="Was the alert fast and accurate? What could have warned earlier? Markdown.",
    )

    class Meta:
        abstract = True


class DetectionForm(SectionForm):
    detection_methods = forms.MultipleChoiceField(
        label="How was the incident detected?",
        choices=DetectionMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every way it was found.",
    )

    class Meta:
        fields = ["detection_methods", "detection_description", "detection_notes"]
        widgets = {"detection_description": markdown_area(2), "detection_notes": markdown_area(6)}


# --- the template's Markdown -------------------------------------------------------------------


def write(c, ctx) -> list[str]:
    figures = ctx.figures
    methods = c.get("detection_methods") or []
    lines = [*section_heading("Detection"), "### How was the incident detected?", ""]
    lines += [
        f"- [{'x' if value in methods else ' '}] {label}"
        for value, label in DetectionMethod.choices
    ]
    lines += ["", "### Detection Quality", ""]
    lines += bullet("Time to Detect (TTD)", metrics.format_duration(figures.time_to_detect.value))
    lines += bullet(
        "Time to Acknowledge (TTA)", metrics.format_duration(figures.time_to_acknowledge.value)
    )
    lines += bullet("Detection Method", c.get("detection_description"))
    return lines + bullet("Notes", c.get("detection_notes"))


DETECTION_LABELS = {label.lower(): value for value, label in DetectionMethod.choices}


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside the Detection subsections")
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title in ("how was the incident detected?", "how was the incident detected"):
            methods = []
            for number, text in blocks.trim(sub.lines):
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
            items, leftovers = blocks.bullets(sub.lines)
            for number, text, label, value in items:
                if label in ("time to detect (ttd)", "time to acknowledge (tta)"):
                    continue  # computed from the timeline's milestones
                if label == "detection method":
                    parsed.set("detection_description", value, number, text)
                elif label in ("notes", "quality notes"):
                    parsed.set("detection_notes", value, number, text)
                else:
                    parsed.problem(number, text, "unknown detection line")
            blocks.leftovers(
                parsed, leftovers, "not a “- **Label**: value” line under Detection Quality"
            )
        else:
            blocks.unknown(parsed, sub)


SECTION = Section(
    "detection",
    "Detection",
    "How the incident was found and how good that was. Time to detect and to acknowledge are "
    "computed from the timeline's milestones.",
    fields_model=DetectionFields,
    form_base=DetectionForm,
    shows_figures=True,
    checks=(
        ("How it was detected", has("detection_methods")),
        ("Detection method", has("detection_description")),
    ),
    search={"detection_description": "C", "detection_notes": "C"},
    unsearched={"detection_methods": "choices"},
    write=write,
    read=read,
    headings=("detection",),
)
