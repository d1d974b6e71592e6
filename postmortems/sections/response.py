"""Response: who responded and when they joined, what was done, and what went well and
poorly (one point per line)."""

import re

from django import forms
from django.conf import settings
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import (
    DASH,
    block,
    encode_cell,
    format_time,
    parse_date,
    parse_time,
    section_heading,
    table,
)
from postmortems.fields import UTCDateTimeField
from postmortems.forms.base import RowForm, SectionForm, markdown_area, people
from postmortems.sections.base import DocumentRow, Rows, Section, has
from postmortems.values import bullet_lines


class ResponseFields(models.Model):
    response_actions = models.TextField(
        blank=True,
        help_text="What was done to mitigate and resolve, step by step, with times. Markdown.",
    )
    went_well = models.TextField("what went well", blank=True, help_text="One point per line.")
    went_poorly = models.TextField("what went poorly", blank=True, help_text="One point per line.")

    class Meta:
        abstract = True

    @property
    def went_well_items(self) -> list[str]:
        return bullet_lines(self.went_well)

    @property
    def went_poorly_items(self) -> list[str]:
        return bullet_lines(self.went_poorly)


class Responder(DocumentRow):
    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="responders"
    )
    role = models.CharField(max_length=100, help_text="e.g. Incident Commander, SME - Database.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responded_to",
        help_text="Pick a person who has an account…",
    )
    name = models.CharField(
        max_length=150, blank=True, help_text="…or type the name of someone who has none."
    )
    joined_at = models.DateTimeField("joined at (UTC)", null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self):
        return f"{self.role}: {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.user.name if self.user_id else self.name


class ResponseForm(SectionForm):
    point_fields = ("went_well", "went_poorly")

    class Meta:
        fields = ["response_actions", "went_well", "went_poorly"]
        widgets = {
            "response_actions": markdown_area(10),
            "went_well": forms.Textarea(attrs={"rows": 5}),
            "went_poorly": forms.Textarea(attrs={"rows": 5}),
        }


class ResponderForm(RowForm):
    joined_at = UTCDateTimeField(label="Joined at (UTC)", required=False)

    class Meta:
        model = Responder
        fields = ["role", "user", "name", "joined_at"]
        labels = {"user": "Person", "name": "…or name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["joined_at"].base_date = (
            self.postmortem.incident_date if self.postmortem else None
        )
        self.fields["user"].queryset = people()
        self.fields["user"].empty_label = "— someone without an account —"

    def clean(self):
        data = super().clean()
        if not data.get("user") and not (data.get("name") or "").strip():
            self.add_error("name", "Pick a person or type a name.")
        return data


# --- the template's Markdown -------------------------------------------------------------------


def write(c, ctx) -> list[str]:
    day = parse_date(c.get("incident_date"))
    rows = [
        [
            encode_cell(r["role"]),
            encode_cell(ctx.name(r.get("user_id"), r.get("name"))),
            encode_cell(format_time(r.get("joined_at"), day)),
        ]
        for r in c.get("responders", [])
    ]
    lines = [*section_heading("Response"), "### Responders", ""]
    lines += table(["Role", "Name", "Joined At"], rows)
    lines += ["", "### Response Actions", "", *block(c.get("response_actions"))]
    lines += ["", "### What Went Well", ""]
    lines += [f"- ✅ {item}" for item in bullet_lines(c.get("went_well") or "")]
    lines += ["", "### What Went Poorly", ""]
    return lines + [f"- ❌ {item}" for item in bullet_lines(c.get("went_poorly") or "")]


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside the Response subsections")
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title == "responders":
            rows, leftovers = blocks.table(
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
                values = {
                    "role": role,
                    "name": "" if name == DASH else name,
                    "joined_at": joined_at,
                }
                parsed.row("responders", number, text, values)
            blocks.leftovers(parsed, leftovers, "not a row of the responders table")
        elif title == "response actions":
            parsed.set("response_actions", blocks.free(sub.lines), sub.line, sub.title)
        elif title in ("what went well", "what went poorly"):
            points = []
            for number, text in blocks.trim(sub.lines):
                match = re.match(r"^[-*•] +(?P<p>.*)$", text)
                if match:
                    point = match["p"].strip().removeprefix("✅").removeprefix("❌").strip()
                    if point:
                        points.append(point)
                elif text.strip():
                    parsed.problem(number, text, f"not a bullet point under {sub.title}")
            name = "went_well" if title == "what went well" else "went_poorly"
            parsed.set(name, "\n".join(points), sub.line, sub.title)
        else:
            blocks.unknown(parsed, sub)


SECTION = Section(
    "response",
    "Response",
    "Who responded and when they joined, what was done to mitigate and resolve, and what "
    "went well and poorly.",
    fields_model=ResponseFields,
    form_base=ResponseForm,
    rows=Rows(
        Responder,
        ResponderForm,
        "responders",
        "responder",
        ("Role", "Name", "Joined At"),
        content_fields=("role", "user_id", "name", "joined_at"),
        search_fields=("role", "name"),
        unsearched={"user_id": "a person: found by their name", "joined_at": "a time"},
        person=("name", "user"),
    ),
    rows_first=True,
    checks=(
        ("Responders", lambda p: bool(p.responders.all())),
        ("Response actions", has("response_actions")),
        ("What went well", has("went_well")),
        ("What went poorly", has("went_poorly")),
    ),
    search=dict.fromkeys(("response_actions", "went_well", "went_poorly"), "C"),
    write=write,
    read=read,
    headings=("response",),
)
