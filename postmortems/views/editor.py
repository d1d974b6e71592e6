"""The guided editor: one page per section, rows of its table added and edited in place.

Every mutation works as a plain form POST (redirect after success, the page re-rendered with
errors and the typed text on failure); with htmx the row table is swapped in place instead.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import editing, permissions
from postmortems.markdown import render_markdown
from postmortems.models import Postmortem
from postmortems.presentation import document_context
from postmortems.sections import BY_SLUG, next_section
from postmortems.values import parse_id
from postmortems.views.documents import get_postmortem_for_user


def _load(request, key, slug):
    section = BY_SLUG.get(slug)
    if section is None:
        raise Http404("No such section.")
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    if not permissions.can_edit(request.user, postmortem):
        raise PermissionDenied(permissions.edit_refusal(request.user, postmortem))
    return section, postmortem


def _section_form(section, request, postmortem, data=None):
    kwargs = {
        "instance": postmortem,
        "section_revision": editing.section_revision(postmortem, section.slug),
    }
    if section.form_needs_user:
        kwargs["user"] = request.user
    return section.form(data, **kwargs)


def _row_form(section, postmortem, data=None, instance=None):
    # The add form and an open edit form share the page: distinct prefixes keep ids unique.
    prefix = "row" if instance is not None else "new"
    return section.rows.form(data, instance=instance, postmortem=postmortem, prefix=prefix)


def _editor_url(postmortem, section, anchor=""):
    url = reverse("postmortems:edit", args=[postmortem.key, section.slug])
    return f"{url}#{anchor}" if anchor else url


def _render_editor(request, section, postmortem, *, form=None, add_form=None, edit_form=None,
                   conflict=None, previews=None, status=200):  # fmt: skip
    context = document_context(postmortem, request.user)
    if section.form is not None and form is None:
        form = _section_form(section, request, postmortem)
    context.update(
        section=section,
        form=form,
        form_has_markdown=form is not None
        and any(f.widget.attrs.get("data-markdown") for f in form.fields.values()),
        conflict=conflict,
        previews=previews,
        next_section=next_section(section),
        section_state=next(c for c in context["completeness"] if c.section == section),
    )
    if section.rows is not None:
        context.update(_rows_context(section, postmortem, add_form=add_form, edit_form=edit_form))
    return render(request, "postmortems/editor.html", context, status=status)


def _rows_context(section, postmortem, *, add_form=None, edit_form=None):
    rows = list(getattr(postmortem, section.rows.related_name).all())
    return {
        "rows": rows,
        "rows_spec": section.rows,
        "add_form": add_form or _row_form(section, postmortem),
        "edit_form": edit_form,
        "edit_id": edit_form.instance.pk if edit_form is not None else None,
    }


def _render_rows(request, section, postmortem, *, add_form=None, edit_form=None, status=200,
                 focus=False):  # fmt: skip
    """The htmx answer: the section's table and add form, fresh from the database."""
    postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
    context = document_context(postmortem, request.user)
    context["section"] = section
    context["focus_add"] = focus
    context["section_state"] = next(c for c in context["completeness"] if c.section == section)
    context.update(_rows_context(section, postmortem, add_form=add_form, edit_form=edit_form))
    # The sidebar's completeness and the computed figures change with the rows: swapped too.
    return render(request, "postmortems/editor/_rows_response.html", context, status=status)


@require_http_methods(["GET", "POST"])
def edit_section(request, key, section):
    section, postmortem = _load(request, key, section)
    if section.form is None or request.method == "GET":
        edit_id = parse_id(request.GET.get("edit"))
        edit_form = None
        if section.rows is not None and edit_id is not None:
            rows = getattr(postmortem, section.rows.related_name).all()
            row = next((r for r in rows if r.pk == edit_id), None)
            if row is not None:
                edit_form = _row_form(section, postmortem, instance=row)
        return _render_editor(request, section, postmortem, edit_form=edit_form)

    form = _section_form(section, request, postmortem, data=request.POST)
    if "_preview" in request.POST:
        previews = [
            (form[name].label, render_markdown(request.POST.get(name, "")))
            for name, field in form.fields.items()
            if field.widget.attrs.get("data-markdown")
        ]
        return _render_editor(request, section, postmortem, form=form, previews=previews)
    if not form.is_valid():
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
        return _render_editor(request, section, postmortem, form=form, status=200)
    try:
        form, merged, conflict = _save_merging(request, section, postmortem, form)
    except editing.EditRefused as exc:
        return _refused(request, section, postmortem, form, exc)
    if conflict is not None:
        return _render_editor(
            request, section, postmortem, form=form, conflict=conflict, status=409
        )
    _say_merged(request, section.title, merged)
    if not permissions.can_edit(request.user, form.instance):
        # Removed themselves from the authors (confirmed): the document, if still theirs to read.
        if Postmortem.objects.visible_to(request.user).filter(pk=postmortem.pk).exists():
            return redirect(postmortem)
        return redirect("postmortems:list")
    if "_next" in request.POST:
        following = next_section(section)
        if following is None:
            return redirect(postmortem)
        return redirect(_editor_url(postmortem, following))
    return redirect(_editor_url(postmortem, section))


def _save_merging(request, section, postmortem, form, attempts=3):
    """Save the section; if someone saved it since the form was opened, merge field by field
    and save the merge. Returns (form, merged fields, conflict): a conflict (fields both
    changed that no merge could join) saves nothing and comes back with the form to resolve."""
    merged = []
    for _ in range(attempts):
        try:
            editing.save_section(postmortem, section.slug, form, by=request.user)
            return form, merged, None
        except editing.EditConflict as exc:
            postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
            theirs = _section_form(section, request, postmortem)
            data, outcomes = form.merge_with(theirs)
            data["section_revision"] = editing.section_revision(postmortem, section.slug)
            mine = form
            form = _section_form(section, request, postmortem, data=data)
            conflicts = [o for o in outcomes if o.conflict]
            merged += [
                (exc.by, str(mine.fields[o.name].label))
                for o in outcomes
                if o.changed in ("theirs", "both") and not o.conflict
            ]
            if conflicts or not form.is_valid():
                return form, merged, _conflict(exc, mine, theirs, conflicts, merged)
    raise editing.EditRefused("The section kept changing while saving: please save again.")


def _conflict(exc, mine, theirs, conflicts, merged):
    """What the conflict panel shows: each field both changed, their value beside mine."""
    fields = []
    for outcome in conflicts:
        name = outcome.name
        field = mine.fields[name]
        fields.append(
            {
                "name": name,
                "id": mine[name].id_for_label,
                "label": field.label,
                "text": mine.kind(name) == "text",
                "theirs": mine.displayed(name, _shown(mine, theirs, name, opened=True)),
                "mine": mine.displayed(name, _shown(mine, mine, name, opened=False)),
            }
        )
    return {
        "by": exc.by,
        "at": exc.at,
        "fields": fields,
        "merged": sorted({label for _, label in merged}),
    }


def _shown(mine, form, name, *, opened):
    """A field's value to show in the conflict panel: a set as the snapshot this person may
    choose from (never a hidden related incident), anything else as the form shows it."""
    if mine.kind(name) == "set":
        return (form.opened_values() if opened else form.typed_values())[name]
    if opened:
        return form[name].value()
    return form.fields[name].prepare_value(form.cleaned_data.get(name))


def _say_merged(request, title, merged):
    if not merged:
        messages.success(request, f"{title} saved.")
        return
    people = sorted({by for by, _ in merged if by}) or ["someone else"]
    labels = sorted({label for _, label in merged})
    messages.success(
        request,
        f"{title} saved and merged with what {' and '.join(people)} saved meanwhile "
        f"({', '.join(labels)}): every change is kept.",
    )


def _refused(request, section, postmortem, form, exc):
    """The editor again with everything typed kept, and why it could not be saved."""
    messages.error(request, f"Nothing was saved: {exc} Your text is kept below.")
    return _render_editor(request, section, postmortem, form=form, status=403)


def _rows_of(section):
    if section.rows is None:
        raise Http404("This section has no table.")
    return section.rows


def _find_row(section, postmortem, row_id):
    """The row, or None when it is not (or no longer) in this document."""
    return _rows_of(section).model.objects.filter(pk=row_id, postmortem=postmortem).first()


def _kept_section_form(request, section, postmortem):
    """Without JavaScript a row is added or removed with the whole page's form: the section's
    own fields come along, unsaved. They are given back, still unsaved, when they differ from
    what is saved; None when there is nothing to keep."""
    if section.form is None or "section_revision" not in request.POST:
        return None
    form = _section_form(section, request, postmortem, data=request.POST)
    return form if form.has_changed() else None


def _after_row_change(request, section, postmortem, message, anchor="rows", *, sticky=None):
    if request.htmx:
        return _render_rows(request, section, postmortem, add_form=sticky, focus=True)
    messages.success(request, message)
    kept = _kept_section_form(request, section, postmortem)
    if kept is None:
        return redirect(_editor_url(postmortem, section, anchor))
    messages.info(request, f"Your unsaved changes to {section.title} are kept below: save them.")
    postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
    return _render_editor(request, section, postmortem, form=kept, add_form=sticky)


def _row_errors(request, section, postmortem, *, add_form=None, edit_form=None, status=200,
                message="Nothing was saved: please correct the fields marked below."):  # fmt: skip
    if request.htmx:
        return _render_rows(
            request, section, postmortem, add_form=add_form, edit_form=edit_form, status=status
        )
    messages.error(request, message)
    return _render_editor(
        request,
        section,
        postmortem,
        form=_kept_section_form(request, section, postmortem),
        add_form=add_form,
        edit_form=edit_form,
        status=status,
    )


def _sticky_add_form(section, postmortem, posted):
    """A fresh add form that keeps the choices people repeat row after row (category,
    priority…), as the row just added had them."""
    keep = {name: posted.cleaned_data[name] for name in section.rows.keep}
    return section.rows.form(initial=keep, postmortem=postmortem, prefix="new")


@require_POST
def row_add(request, key, section):
    section, postmortem = _load(request, key, section)
    _rows_of(section)
    form = _row_form(section, postmortem, data=request.POST)
    if not form.is_valid():
        return _row_errors(request, section, postmortem, add_form=form)
    try:
        editing.add_row(postmortem, section.slug, form, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return _after_row_change(
        request,
        section,
        postmortem,
        f"The {section.rows.noun} was added.",
        "add-row-title",
        sticky=_sticky_add_form(section, postmortem, form),
    )


@require_http_methods(["GET", "POST"])
def row_edit(request, key, section, row_id):
    section, postmortem = _load(request, key, section)
    row = _find_row(section, postmortem, row_id)
    if row is None and request.method == "GET":
        messages.warning(request, f"That {section.rows.noun} was removed meanwhile.")
        if request.htmx:
            return _render_rows(request, section, postmortem)
        return redirect(_editor_url(postmortem, section, "rows"))
    if row is None:
        return _row_gone(request, section, postmortem)
    if request.method == "GET":
        if request.htmx:
            return _render_rows(
                request, section, postmortem, edit_form=_row_form(section, postmortem, instance=row)
            )
        return redirect(f"{_editor_url(postmortem, section)}?edit={row.pk}#row-{row.pk}")
    form = _row_form(section, postmortem, data=request.POST, instance=row)
    if not form.is_valid():
        return _row_errors(request, section, postmortem, edit_form=form)
    merged = []
    for _ in range(3):
        try:
            editing.update_row(postmortem, section.slug, form, by=request.user)
            break
        except editing.EditRefused as exc:
            raise PermissionDenied(str(exc)) from exc
        except editing.EditConflict as exc:
            if exc.current is None:
                return _row_gone(request, section, postmortem)
            theirs = _row_form(section, postmortem, instance=exc.current)
            data, outcomes = form.merge_with(theirs)
            data[form.add_prefix("revision")] = exc.current.revision
            mine = form
            form = _row_form(section, postmortem, data=data, instance=exc.current)
            merged += [o for o in outcomes if o.changed in ("theirs", "both") and not o.conflict]
            conflicts = [o for o in outcomes if o.conflict]
            if conflicts or not form.is_valid():
                form.is_valid()
                form.conflict_row = exc.current
                form.conflicts = [
                    (
                        mine.fields[o.name].label,
                        mine.displayed(o.name, theirs[o.name].value()),
                        mine.displayed(
                            o.name, mine.fields[o.name].prepare_value(mine.cleaned_data[o.name])
                        ),
                    )
                    for o in conflicts
                ]
                return _row_errors(
                    request,
                    section,
                    postmortem,
                    edit_form=form,
                    status=409,
                    message=f"Someone else changed this {section.rows.noun} meanwhile: "
                    "nothing was saved. Choose below what to keep.",
                )
    else:
        raise PermissionDenied("The row kept changing while saving: please save again.")
    message = f"The {section.rows.noun} was saved."
    if merged:
        labels = ", ".join(sorted({str(form.fields[o.name].label) for o in merged}))
        message += f" Changes saved meanwhile by someone else were kept ({labels})."
    return _after_row_change(request, section, postmortem, message, f"row-{row.pk}")


def _row_gone(request, section, postmortem):
    """Someone removed the row being edited: say so, and offer what was typed as a new row."""
    noun = section.rows.noun
    data = request.POST.copy()
    for name in section.rows.form.base_fields:
        if f"row-{name}" in request.POST:
            data.setlist(f"new-{name}", request.POST.getlist(f"row-{name}"))
    add_form = _row_form(section, postmortem, data=data)
    add_form.is_valid()
    add_form.gone = True
    return _row_errors(
        request,
        section,
        postmortem,
        add_form=add_form,
        status=409,
        message=f"Someone removed this {noun} while you were editing it. What you typed is "
        f"kept in “Add {noun}” below: add it again if it is still needed.",
    )


@require_POST
def row_delete(request, key, section, row_id):
    section, postmortem = _load(request, key, section)
    row = _find_row(section, postmortem, row_id)
    if row is None:
        return _after_row_change(
            request, section, postmortem, f"The {section.rows.noun} was already removed."
        )
    try:
        editing.delete_row(postmortem, section.slug, row, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return _after_row_change(request, section, postmortem, f"The {section.rows.noun} was removed.")
