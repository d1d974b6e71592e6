"""Supporting Information: links to dashboards, logs and runbooks, references, and related
past incidents (some of which the reader may not be allowed to see)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from postmortems.exchange import blocks
from postmortems.exchange.markup import block, section_heading
from postmortems.fields import HttpsURLField
from postmortems.forms.base import RowForm, SectionForm, markdown_area
from postmortems.sections.base import DocumentRow, Rows, Section
from postmortems.uploads import megabytes
from postmortems.values import http_url_validator

# Related incidents one person links to a document (links they cannot see are not counted).
MAX_RELATED = 50


class SupportingFields(models.Model):
    related_incidents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="related_to",
        help_text="Earlier incidents like this one.",
    )
    references = models.TextField(
        blank=True,
        help_text="Anything that is not a web link: file paths, log lines, documents. Markdown.",
    )

    class Meta:
        abstract = True


class SupportingLink(DocumentRow):
    class Kind(models.TextChoices):
        DASHBOARD = "dashboard", "Metrics and graphs"
        LOGS = "logs", "Logs and traces"
        RUNBOOK = "runbook", "Runbooks and documentation"
        OTHER = "other", "Other"

    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="links"
    )
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.DASHBOARD)
    title = models.CharField(max_length=200, help_text="e.g. Error Rate Graph.")
    url = models.URLField(
        "link",
        max_length=1000,
        validators=[http_url_validator],
        help_text="http:// or https:// only.",
    )

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return self.title


class SupportingForm(SectionForm):
    related_incidents = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        help_text="Earlier incidents like this one.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        fields = ["related_incidents", "references"]
        widgets = {"references": markdown_area(5)}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        visible = self._meta.model.objects.visible_to(user).exclude(pk=self.instance.pk)
        self.fields["related_incidents"].queryset = visible.order_by("-incident_date")
        # Links to documents this person may not see are kept as they are, and never shown.
        self.hidden_related = (
            list(self.instance.related_incidents.exclude(pk__in=visible.values("pk")))
            if self.instance.pk
            else []
        )

    def clean_related_incidents(self):
        chosen = list(self.cleaned_data["related_incidents"])
        if len(chosen) > MAX_RELATED:
            raise ValidationError(f"Link at most {MAX_RELATED} related incidents.")
        return [*chosen, *self.hidden_related]


class SupportingLinkForm(RowForm):
    class Meta:
        model = SupportingLink
        fields = ["kind", "title", "url"]
        field_classes = {"url": HttpsURLField}


# --- the template's Markdown -------------------------------------------------------------------

# Where links of each kind stand; runbooks and other links have no heading in the template.
LINK_HEADINGS = {
    SupportingLink.Kind.DASHBOARD: "Metrics and Graphs",
    SupportingLink.Kind.LOGS: "Logs and Traces",
    SupportingLink.Kind.RUNBOOK: "Runbooks and Documentation",
    SupportingLink.Kind.OTHER: "Other Links",
}


def write(c, ctx) -> list[str]:
    lines = section_heading("Supporting Information")
    links = c.get("links", [])
    for kind, title in LINK_HEADINGS.items():
        of_kind = [link for link in links if link["kind"] == kind]
        if of_kind or kind in (SupportingLink.Kind.DASHBOARD, SupportingLink.Kind.LOGS):
            lines += [f"### {title}", ""]
            lines += [f"- {link['title']}: {link['url']}" for link in of_kind]
            lines.append("")
    lines += ["### References", ""]
    # A related incident the reader may not see is not even named.
    related_keys = [key for key in c.get("related_incidents", []) if key not in ctx.hidden]
    for key in related_keys:
        title, on = ctx.related.get(key, ("", None))
        about = ", ".join(x for x in (title, f"{on:%Y-%m-%d}" if on else "") if x)
        lines.append(f"- Related Incident: {key}" + (f" ({about})" if about else ""))
    references = block(c.get("references"))
    if references and related_keys:
        lines.append("")
    lines += references
    attached = _attachments(c.get("attachments") or [])
    if attached and lines[-1] != "":
        lines.append("")
    return lines + attached


def _attachments(attached) -> list[str]:
    """The attached files by name (the zip export has them beside the document): only when
    there are some, so that a document without any keeps the template's shape."""
    if not attached:
        return []
    lines = ["### Attachments", ""]
    for a in attached:
        size = megabytes(a["size"])
        lines.append(f"- {a['name']} ({a['content_type']}, {size}, SHA-256 {a['sha256'][:12]})")
    return lines


LINK_KINDS = {heading.lower(): kind for kind, heading in LINK_HEADINGS.items()}
LINK_LINE = re.compile(r"^[-*] ++(?:(?P<title>.*?):\s++)?(?P<url>https?://\S++)$")
RELATED_LINE = re.compile(
    r"^[-*] +Related Incident:\s*(?P<key>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)\b"
)


def read(parsed, block) -> None:
    blocks.leftovers(parsed, block.lines, "text outside the Supporting Information subsections")
    for sub in block.subs:
        title = blocks.norm(sub.title)
        if title in LINK_KINDS:
            for number, text in blocks.trim(sub.lines):
                match = LINK_LINE.match(text.strip())
                if match:
                    values = {
                        "kind": LINK_KINDS[title],
                        "title": (match["title"] or match["url"]).strip(),
                        "url": match["url"],
                    }
                    parsed.row("links", number, text, values)
                elif text.strip():
                    parsed.problem(number, text, "not a “- Title: https://…” link line")
        elif title == "references":
            lines, start = blocks.trim(sub.lines), 0
            while start < len(lines) and (match := RELATED_LINE.match(lines[start][1])):
                parsed.related.append((*lines[start], match["key"].upper()))
                start += 1
            parsed.set("references", blocks.free(lines[start:]), sub.line, sub.title)
        elif title == "attachments":
            # Files are not in the Markdown: each is listed in the notes, to attach again.
            for number, text in blocks.trim(sub.lines):
                if text.strip():
                    parsed.problem(
                        number, text, "an attached file: attach it again on the Supporting step"
                    )
        else:
            blocks.unknown(parsed, sub)


SECTION = Section(
    "supporting",
    "Supporting Information",
    "Links to dashboards and graphs, log queries and traces, runbooks and documentation, and "
    "related past incidents.",
    fields_model=SupportingFields,
    form_base=SupportingForm,
    form_needs_user=True,
    rows=Rows(
        SupportingLink,
        SupportingLinkForm,
        "links",
        "link",
        ("Kind", "Link"),
        content_fields=("kind", "title", "url"),
        search_fields=("title",),
        unsearched={"kind": "a choice", "url": "a link"},
        keep=("kind",),
    ),
    rows_first=True,
    required=False,
    checks=(("Links or references", lambda p: bool(p.links.all() or p.references)),),
    search={"references": "C"},
    unsearched={"related_incidents": "other documents: found by their own text"},
    write=write,
    read=read,
    headings=("supporting information",),
)
