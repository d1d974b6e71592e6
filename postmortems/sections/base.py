"""What a section is: the parts every section module declares, and the helpers they share.

A section module (``postmortems/sections/<slug>.py``) holds everything about one part of the
document, side by side: its fields on the document (an abstract model the ``Postmortem``
inherits), its table's model if it has one, its form, what makes it complete, how much a
search match in it counts, and how it is written to and read from the template's Markdown.
The registry (``postmortems.sections``) lists them in the template's order; the editor, the
read view, the export, the import, the search index and the checks all loop over it.
"""

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

from django.apps import apps
from django.db import models
from django.forms import modelform_factory

from postmortems.exchange import blocks
from postmortems.exchange.markup import block as markdown_block
from postmortems.forms.base import markdown_area


class DocumentRow(models.Model):
    """A row of one of the document's tables. `revision` guards concurrent edits of the row."""

    postmortem = models.ForeignKey(
        "postmortems.Postmortem", on_delete=models.CASCADE, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Rows:
    """A section's table: its model and form, and how the document names it."""

    model: type
    form: type
    related_name: str
    noun: str
    columns: tuple[str, ...]
    # The row's fields that are signed content (in this order), and searchable ones.
    content_fields: tuple[str, ...]
    search_fields: tuple[str, ...] = ()
    unsearched: dict = field(default_factory=dict)
    # How the import turns a person's name into an account: (name field, account field).
    person: tuple[str, str] | None = None
    # The choices the add form keeps from the row just added (people add items of one
    # category and priority in a run).
    keep: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # a section is itself: compared and hashed by identity
class Section:
    """One part of the document, in the template's order (see the module's docstring)."""

    slug: str
    title: str
    guidance: str
    # The abstract model of the section's fields on the document (None: a table only).
    fields_model: type | None = None
    # The form's base: a SectionForm with a Meta naming its fields, bound to the document
    # model when first used (the document model is built from the sections).
    form_base: type | None = None
    rows: Rows | None = None
    required: bool = True
    # Where the table stands relative to the form, as in the template.
    rows_first: bool = False
    # The editor shows the computed figures beside this section's form.
    shows_figures: bool = False
    # The form lists only what this person may choose (related incidents they may read).
    form_needs_user: bool = False
    # What must be filled in for the section to count as complete: (label, test(postmortem)).
    checks: tuple = ()
    # How much a search match in a field counts: {field: "A" | "B" | "C"}; and the content
    # fields not searched as text, with the reason (a number, a date: filters find them).
    search: dict = field(default_factory=dict)
    unsearched: dict = field(default_factory=dict)
    # The template's Markdown: the lines of the section (heading included) from the content,
    # and the reader of its ## block (the headings it answers to, normalised).
    write: object = None
    read: object = None
    headings: tuple[str, ...] = ()
    # Free texts shown after the section's own layout, each under its field's name: the
    # editor, the read view, the export and the import take them from this list, with no
    # template or reader of their own. A new text field of a section goes in its fields
    # model, here and in `search`, with a migration: nothing else changes.
    extra_texts: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return f"postmortems/sections/_{self.slug.replace('-', '_')}.html"

    @property
    def field_names(self) -> tuple[str, ...]:
        """The section's own fields on the document, as declared."""
        if self.fields_model is None:
            return ()
        opts = self.fields_model._meta
        return tuple(f.name for f in [*opts.local_fields, *opts.local_many_to_many])

    @cached_property
    def form(self):
        """The section's form, bound to the document model (its extra texts last)."""
        if self.form_base is None:
            return None
        postmortem = apps.get_model("postmortems", "Postmortem")
        meta = self.form_base.Meta
        return modelform_factory(
            postmortem,
            form=self.form_base,
            fields=[*meta.fields, *self.extra_texts],
            widgets={
                **getattr(meta, "widgets", {}),
                **{name: markdown_area(4) for name in self.extra_texts},
            },
        )

    def heading_of(self, name: str) -> str:
        """An extra text's heading: its field's name, as the form labels it."""
        label = str(self.fields_model._meta.get_field(name).verbose_name)
        return label[:1].upper() + label[1:]

    def extras(self, values) -> list[tuple[str, str]]:
        """[(heading, text)] of the extra texts that are filled in (``values``: the document
        or its content dict)."""
        get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
        return [(self.heading_of(n), get(n)) for n in self.extra_texts if (get(n) or "").strip()]

    def markdown(self, c, ctx) -> list[str]:
        """The section's Markdown: as its module writes it, then each extra text that is
        filled in (an empty one adds nothing, so the export keeps the template's shape)."""
        lines = list(self.write(c, ctx))
        for heading, text in self.extras(c):
            lines += ["", f"### {heading}", "", *markdown_block(text)]
        return lines

    def parse(self, parsed, block) -> None:
        """Read the section's ## block: the extra texts' subsections here, the rest by the
        module's reader."""
        names = {blocks.norm(self.heading_of(n)): n for n in self.extra_texts}
        if names:
            kept = []
            for sub in block.subs:
                name = names.get(blocks.norm(sub.title))
                if name is None:
                    kept.append(sub)
                else:
                    parsed.set(name, blocks.free(sub.lines), sub.line, sub.title)
            block = dataclasses.replace(block, subs=kept)
        self.read(parsed, block)

    def completeness(self, postmortem) -> "Completeness":
        done = [label for label, test in self.checks if test(postmortem)]
        missing = [label for label, test in self.checks if not test(postmortem)]
        return Completeness(self, done, missing)


@dataclass(frozen=True)
class Completeness:
    section: Section
    done: list
    missing: list

    @property
    def percent(self) -> int:
        total = len(self.done) + len(self.missing)
        return round(100 * len(self.done) / total) if total else 100

    @property
    def complete(self) -> bool:
        return not self.missing


# --- what the completeness checks test ---------------------------------------------------------


def has(attr):
    return lambda p: bool(getattr(p, attr))


def has_rows(related_name, **filters):
    def test(p):
        rows = getattr(p, related_name).all()
        return any(all(getattr(r, k) == v for k, v in filters.items()) for r in rows)

    return test


def milestone(name):
    return lambda p: any(e.milestone == name for e in p.timeline.all())
