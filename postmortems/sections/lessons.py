"""Lessons Learned: what we learned, technical, process and cultural."""

import re

from django import forms
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import numbered, section_heading
from postmortems.forms.base import RowForm
from postmortems.sections.base import DocumentRow, Rows, Section, has_rows


class Lesson(DocumentRow):
    class Category(models.TextChoices):
        TECHNICAL = "technical", "Technical"
        PROCESS = "process", "Process"
        CULTURAL = "cultural", "Cultural"

    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="lessons"
    )
    category = models.CharField(max_length=16, choices=Category, default=Category.TECHNICAL)
    text = models.TextField("lesson", max_length=2000)

    class Meta:
        ordering = [
            models.Case(
                models.When(category="technical", then=0),
                models.When(category="process", then=1),
                default=2,
            ),
            "id",
        ]

    def __str__(self):
        return self.text[:60]


class LessonForm(RowForm):
    class Meta:
        model = Lesson
        fields = ["category", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}


# --- the template's Markdown -------------------------------------------------------------------

LESSON_LABELS = [
    (Lesson.Category.TECHNICAL, "Technical Learnings"),
    (Lesson.Category.PROCESS, "Process Learnings"),
    (Lesson.Category.CULTURAL, "Cultural Learnings"),
]


def write(c, ctx) -> list[str]:
    lines = [*section_heading("Lessons Learned"), "### What did we learn?", ""]
    lessons = c.get("lessons", [])
    for category, label in LESSON_LABELS:
        lines.append(f"**{label}**:")
        lines += numbered([lesson["text"] for lesson in lessons if lesson["category"] == category])
        lines.append("")
    return lines[:-1]


LESSON_CATEGORIES = {f"{label.lower()}": value for value, label in LESSON_LABELS}


def read(parsed, block) -> None:
    lines = list(block.lines)
    for sub in block.subs:
        if blocks.norm(sub.title) in ("what did we learn?", "what did we learn"):
            lines += sub.lines
        else:
            blocks.unknown(parsed, sub)
    category, group = None, []

    def flush():
        if category is None:
            blocks.leftovers(parsed, group, "not under Technical, Process or Cultural Learnings")
            return
        items, leftovers = blocks.numbered(group)
        for number, text, value in items:
            parsed.row("lessons", number, text, {"category": category, "text": value})
        blocks.leftovers(parsed, leftovers, "not a numbered lesson")

    for number, text in lines:
        label = blocks.LABEL_LINE.match(text.strip()) or re.match(
            r"^\*\*(?P<label>[^*]+?):?\*\*:?\s*$", text.strip()
        )
        if label and not text.startswith(" ") and blocks.norm(label["label"]) in LESSON_CATEGORIES:
            flush()
            category, group = LESSON_CATEGORIES[blocks.norm(label["label"])], []
        else:
            group.append((number, text))
    flush()


SECTION = Section(
    "lessons",
    "Lessons Learned",
    "What did we learn? Technical, process and cultural learnings.",
    rows=Rows(
        Lesson,
        LessonForm,
        "lessons",
        "lesson",
        ("Kind", "Lesson"),
        content_fields=("category", "text"),
        search_fields=("text",),
        unsearched={"category": "a choice"},
        keep=("category",),
    ),
    checks=(
        ("A technical learning", has_rows("lessons", category=Lesson.Category.TECHNICAL)),
        ("A process learning", has_rows("lessons", category=Lesson.Category.PROCESS)),
    ),
    write=write,
    read=read,
    headings=("lessons learned",),
)
