"""Rows in bulk: paste many rows into one of the guided editor's tables, check them in a
preview, then add them in one submission.

One URL takes both. A preview (the box's live htmx request, or the Preview button without
JavaScript) reads the paste (``exchange.paste``), validates every row with the section's own
row form and shows them; nothing is saved. "Add N rows" adds the ticked rows that are valid
through ``editing.add_rows`` (one lock, one revision, one activity entry). The choices made
in a preview (rows unticked, milestones, next-day times) apply only to the text they were made
on (its digest), and the rows are added only to the document as it was previewed (its
revision), so a changed text or a second submission of the same preview adds nothing twice.
The pasted text always comes back in the box, except the lines that were added.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from postmortems import editing, permissions
from postmortems.exchange import paste
from postmortems.exchange.people import People
from postmortems.markdown import page_budget
from postmortems.metrics import Milestone
from postmortems.models import Postmortem
from postmortems.sections import BY_SLUG
from postmortems.values import parse_id
from postmortems.views import editor
from postmortems.views.documents import get_postmortem_for_user

# Formatting time for every text of one preview (each row's text must format, as in its form):
# CPU time, so that on a busy machine a preview still waits at most 8 times this.
FORMAT_SECONDS = 2.0

# What the preview shows of each row: (form field, heading). "person": the account or name.
COLUMNS = {
    "timeline": [("occurred_at", "Time (UTC)"), ("description", "Event")],
    "response": [("role", "Role"), ("person", "Person"), ("joined_at", "Joined at")],
    "root-cause": [("description", "Contributing factor")],
    "action-items": [
        ("category", "Category"),
        ("action", "Action"),
        ("person", "Owner"),
        ("due_date", "Due date"),
        ("priority", "Priority"),
        ("status", "Status"),
        ("tracker_url", "Tracker link"),
    ],
    "lessons": [("category", "Kind"), ("text", "Lesson")],
    "supporting": [("kind", "Kind"), ("title", "Title"), ("url", "Link")],
}


@dataclass
class Line:
    """One row of the preview."""

    index: int
    row: paste.Row
    form: object
    cells: list  # [(heading, text, is a name without an account)]
    errors: list
    take: bool = True
    milestone: str = ""
    shifted: bool = False
    when_shifted: str = ""
    when_typed: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Preview:
    text: str
    digest: str
    revision: int
    error: str = ""
    message: str = ""
    shape: str = ""
    columns: list = field(default_factory=list)  # (header as typed, what it was read as)
    headings: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    skipped_count: int = 0
    milestones: list = field(default_factory=list)

    @property
    def good(self) -> list:
        return [line for line in self.lines if line.ok]

    @property
    def bad(self) -> list:
        return [line for line in self.lines if not line.ok]

    @property
    def notes(self) -> bool:
        return any(line.errors or line.row.notes for line in self.lines)

    @property
    def chosen(self) -> list:
        return [line for line in self.good if line.take]


def _load(request, key, slug):
    """The section and the document, as the editor loads them: only an author of a Draft."""
    section = BY_SLUG.get(slug)
    if section is None or section.rows is None:
        raise Http404("This section has no table.")
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    if not permissions.can_edit(request.user, postmortem):
        raise PermissionDenied(permissions.edit_refusal(request.user, postmortem))
    return section, postmortem


def preview(section, postmortem, text: str, post=None) -> Preview:
    """The paste read and every row checked by its form; the choices in `post` apply when
    they were made on this same text."""
    day = postmortem.incident_date
    state = Preview(text, paste.digest(section.slug, text, day), postmortem.revision)
    state.headings = [heading for _, heading in COLUMNS[section.slug]]
    state.milestones = [("", "—"), *Milestone.choices]
    if not text.strip():
        return state
    events = list(postmortem.timeline.all()) if section.slug == "timeline" else []
    try:
        parsed = paste.parse(
            section.slug,
            text,
            day=day,
            existing={e.milestone for e in events if e.milestone},
            empty=not events,
        )
    except paste.PasteRefused as refused:
        state.error = str(refused)
        return state
    state.shape, state.skipped = paste.SHAPES[parsed.shape], parsed.skipped
    state.skipped_count = parsed.skipped_count
    state.columns = [(typed, name.replace("_", " ") or "—") for typed, name in parsed.columns]
    same = post is not None and post.get("digest") == state.digest
    people = People()
    if section.rows.person:
        people.load(row.values.get("name") or row.values.get("owner") or "" for row in parsed.rows)
    with page_budget(FORMAT_SECONDS):
        state.lines = [
            _line(section, postmortem, index, row, post if same else None, people)
            for index, row in enumerate(parsed.rows)
        ]
    # A column nobody filled in (the tracker link, usually) is left out of the preview.
    keep = [
        i for i in range(len(state.headings)) if not i or any(x.cells[i][1] for x in state.lines)
    ]
    state.headings = [state.headings[i] for i in keep]
    for line in state.lines:
        line.cells = [line.cells[i] for i in keep]
    return state


def _line(section, postmortem, index, row, post, people) -> Line:
    milestone, shifted, take = row.milestone, bool(row.shift), True
    if post is not None:
        take = f"take-{index}" in post
        milestone = post.get(f"milestone-{index}", milestone)
        shifted = bool(row.shift) and f"nextday-{index}" in post
    data = paste.form_data(
        section.slug, row, milestone=milestone, shifted=shifted, find_person=people.find
    )
    prefix = f"r{index}"
    form = section.rows.form(
        {f"{prefix}-{name}": value for name, value in data.items()},
        postmortem=postmortem,
        prefix=prefix,
    )
    errors = [row.problem] if row.problem else _errors(form)
    line = Line(index, row, form, _cells(section, form, data), errors, take, milestone, shifted)
    if row.shift:
        line.when_shifted = paste.when(row, shifted=True)
        line.when_typed = paste.when(row, shifted=False)
    return line


def _errors(form) -> list[str]:
    if form.is_valid():
        return []
    found = []
    for name, messages_ in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        found += [f"{label}: {m}" if label else m for m in messages_]
    return found


def _cells(section, form, data) -> list:
    cells = []
    for name, heading in COLUMNS[section.slug]:
        if name == "person":
            account_field, name_field = section.rows.person[1], section.rows.person[0]
            account = form.cleaned_data.get(account_field) if form.is_valid() else None
            typed = data.get(name_field, "")
            cells.append((heading, account.name if account else typed, bool(typed)))
            continue
        value = data.get(name, "")
        choices = getattr(form.fields.get(name), "choices", None)
        if choices is not None and name != "occurred_at":
            value = dict(choices).get(value, value)
        cells.append((heading, str(value), False))
    return cells


def _editor_url(postmortem, section) -> str:
    return reverse("postmortems:edit", args=[postmortem.key, section.slug]) + "#rows"


def _show(request, section, postmortem, state, *, status=200):
    # The editor's own page with this preview in its paste box (the box reads it from the
    # request, so the editor needs to know nothing about it); htmx gets the box alone.
    request.paste_preview = state
    if request.htmx:
        context = {"section": section, "postmortem": postmortem}
        return render(request, "postmortems/editor/_paste.html", context, status=status)
    return editor._render_editor(request, section, postmortem, status=status)


@require_POST
def paste_rows(request, key, section):
    section, postmortem = _load(request, key, section)
    text = request.POST.get("paste", "")
    state = preview(section, postmortem, text, request.POST)
    if "_add" not in request.POST or state.error:
        return _show(request, section, postmortem, state)
    if request.POST.get("digest") != state.digest:
        state.message = "The text changed after the preview: check the rows below, then add them."
        return _show(request, section, postmortem, state)
    forms = [line.form for line in state.chosen]
    if not forms:
        state.message = "Nothing to add: tick at least one row without a problem."
        return _show(request, section, postmortem, state)
    try:
        editing.add_rows(
            postmortem,
            section.slug,
            forms,
            by=request.user,
            revision=parse_id(request.POST.get("revision")),
        )
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except editing.EditConflict:
        postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
        state = preview(section, postmortem, text, request.POST)
        state.message = (
            "Nothing was added: the document changed since this preview (someone saved, or "
            "these rows were added already). Check the table and the rows below, then add again."
        )
        return _show(request, section, postmortem, state, status=409)
    meta = section.rows.model._meta
    noun = meta.verbose_name if len(forms) == 1 else meta.verbose_name_plural
    messages.success(request, f"{len(forms)} {noun} added.")
    if not state.bad:
        return redirect(_editor_url(postmortem, section))
    # The rows with a problem stay in the box (with the headers and headings around them).
    postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
    done = {n for line in state.lines if line.ok for n in range(line.row.line, line.row.end + 1)}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rest = "\n".join(line for n, line in enumerate(lines, 1) if n not in done)
    state = preview(section, postmortem, rest)
    state.message = (
        f"{len(state.bad)} row(s) with a problem were not added: they are still in the box. "
        "Correct them and add them, or clear the box."
    )
    return _show(request, section, postmortem, state)
