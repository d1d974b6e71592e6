"""Root Cause: the four guiding questions, then what made it worse (contributing factors)."""

import re

from django import forms
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import DASH, encode_indented, numbered, section_heading
from postmortems.forms.base import RowForm, SectionForm, markdown_area
from postmortems.sections.base import DocumentRow, Rows, Section, has

# The template's four questions, in its order.
ROOT_CAUSE_QUESTIONS = [
    ("root_cause_component", "What component failed?"),
    ("root_cause_why", "Why did it fail?"),
    ("root_cause_underlying", "What was the underlying cause?"),
    ("root_cause_safeguards", "Why didn't existing safeguards catch this?"),
]


class RootCauseFields(models.Model):
    root_cause_summary = models.CharField(
        "root cause in one line",
        max_length=200,
        blank=True,
        help_text="e.g. Database connection pool exhaustion.",
    )
    root_cause_component = models.TextField(
        "1. What component failed?", blank=True, help_text="Markdown."
    )
    root_cause_why = models.TextField("2. Why did it fail?", blank=True, help_text="Markdown.")
    root_cause_underlying = models.TextField(
        "3. What was the underlying cause?", blank=True, help_text="Markdown."
    )
    root_cause_safeguards = models.TextField(
        "4. Why didn't existing safeguards catch this?", blank=True, help_text="Markdown."
    )

    class Meta:
        abstract = True


class ContributingFactor(DocumentRow):
    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="contributing_factors"
    )
    description = models.TextField(max_length=2000)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.description[:60]


class RootCauseForm(SectionForm):
    class Meta:
        fields = [
            "root_cause_summary",
            "root_cause_component",
            "root_cause_why",
            "root_cause_underlying",
            "root_cause_safeguards",
        ]
        widgets = {
            "root_cause_component": markdown_area(3),
            "root_cause_why": markdown_area(3),
            "root_cause_underlying": markdown_area(6),
            "root_cause_safeguards": markdown_area(4),
        }


class ContributingFactorForm(RowForm):
    class Meta:
        model = ContributingFactor
        fields = ["description"]
        labels = {"description": "Contributing factor"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"description": "What made this worse or prevented earlier detection?"}


# --- the template's Markdown -------------------------------------------------------------------


def write(c, ctx) -> list[str]:
    lines = [*section_heading("Root Cause"), "### What Happened", ""]
    lines += [f"**Root Cause**: {(c.get('root_cause_summary') or '').strip() or DASH}", ""]
    for number, (name, question) in enumerate(ROOT_CAUSE_QUESTIONS, 1):
        lines.append(f"{number}. **{question}**")
        answer = (c.get(name) or "").strip()
        if answer:
            lines += ["", *encode_indented(answer, 3)]
        lines.append("")
    lines += ["### Contributing Factors", ""]
    return lines + numbered([f["description"] for f in c.get("contributing_factors", [])])


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside What Happened / Contributing Factors")
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title == "what happened":
            rest = []
            for number, text in sub.lines:
                label = blocks.LABEL_LINE.match(text.strip())
                if (
                    label
                    and blocks.norm(label["label"]) == "root cause"
                    and not text.startswith(" ")
                ):
                    value = label["value"].strip()
                    parsed.set("root_cause_summary", "" if value == DASH else value, number, text)
                else:
                    rest.append((number, text))
            items, leftovers = blocks.numbered(rest)
            for number, text, value in items:
                position = blocks.to_int(blocks.NUMBERED.match(text)["n"])
                if position is None or not 1 <= position <= 4:
                    parsed.problem(
                        number, text, "the template asks four questions, numbered 1 to 4"
                    )
                    continue
                question = re.match(r"^\*\*[^*]*\*\*\s*", value)
                answer = value[question.end() :] if question else value
                name = ROOT_CAUSE_QUESTIONS[position - 1][0]
                parsed.set(name, answer.strip("\n").rstrip(), number, text)
            blocks.leftovers(parsed, leftovers, "not one of the four numbered questions")
        elif title == "contributing factors":
            items, leftovers = blocks.numbered(sub.lines)
            for number, text, value in items:
                parsed.row("contributing_factors", number, text, {"description": value})
            blocks.leftovers(parsed, leftovers, "not a numbered contributing factor")
        else:
            blocks.unknown(parsed, sub)


SECTION = Section(
    "root-cause",
    "Root Cause",
    "A detailed technical explanation, led by the four questions: what component failed, why "
    "it failed, the underlying cause, and why existing safeguards did not catch it. Then what "
    "made it worse or prevented earlier detection.",
    fields_model=RootCauseFields,
    form_base=RootCauseForm,
    rows=Rows(
        ContributingFactor,
        ContributingFactorForm,
        "contributing_factors",
        "contributing factor",
        ("#", "Contributing factor"),
        content_fields=("description",),
        search_fields=("description",),
    ),
    checks=(
        ("What component failed", has("root_cause_component")),
        ("Why it failed", has("root_cause_why")),
        ("The underlying cause", has("root_cause_underlying")),
        ("Why safeguards missed it", has("root_cause_safeguards")),
        ("Contributing factors", lambda p: bool(p.contributing_factors.all())),
    ),
    search=dict.fromkeys(("root_cause_summary", *dict(ROOT_CAUSE_QUESTIONS)), "B"),
    write=write,
    read=read,
    headings=("root cause",),
)
