"""The guided editor: one page per section, rows of its table added and edited in place.

Every mutation works as a plain form POST (redirect after success, the page re-rendered with
errors and the typed text on failure); with htmx the row table is swapped in place instead.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
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


def _render_rows(request, section, postmortem, *, add_form=None, edit_form=None, status=200):
    """The htmx answer: the section's table and add form, fresh from the database."""
    postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
    context = document_context(postmortem, request.user)
    context["section"] = section
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
        editing.save_section(postmortem, section.slug, form, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except editing.EditConflict as exc:
        conflict = {"by": exc.by, "at": exc.at, "changes": form.changed_values(exc.current)}
        # Keep every word typed; the next save (after merging) is based on the newer version.
        data = request.POST.copy()
        data["section_revision"] = editing.section_revision(exc.current, section.slug)
        form = _section_form(section, request, postmortem, data=data)
        form.is_valid()
        return _render_editor(
            request, section, postmortem, form=form, conflict=conflict, status=409
        )
    messages.success(request, f"{section.title} saved.")
    if "_next" in request.POST:
        following = next_section(section)
        if following is None:
            return redirect(postmortem)
        return redirect(_editor_url(postmortem, following))
    return redirect(_editor_url(postmortem, section))


def _find_row(section, postmortem, row_id):
    if section.rows is None:
        raise Http404("This section has no table.")
    return get_object_or_404(section.rows.model, pk=row_id, postmortem=postmortem)


def _after_row_change(request, section, postmortem, message, anchor="rows"):
    if request.htmx:
        return _render_rows(request, section, postmortem)
    messages.success(request, message)
    return redirect(_editor_url(postmortem, section, anchor))


def _row_errors(request, section, postmortem, *, add_form=None, edit_form=None, status=200):
    if request.htmx:
        return _render_rows(
            request, section, postmortem, add_form=add_form, edit_form=edit_form, status=status
        )
    messages.error(request, "Nothing was saved: please correct the fields marked below.")
    return _render_editor(
        request, section, postmortem, add_form=add_form, edit_form=edit_form, status=status
    )


@require_POST
def row_add(request, key, section):
    section, postmortem = _load(request, key, section)
    if section.rows is None:
        raise Http404("This section has no table.")
    form = _row_form(section, postmortem, data=request.POST)
    if not form.is_valid():
        return _row_errors(request, section, postmortem, add_form=form)
    try:
        editing.add_row(postmortem, section.slug, form, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return _after_row_change(request, section, postmortem, f"The {section.rows.noun} was added.")


@require_http_methods(["GET", "POST"])
def row_edit(request, key, section, row_id):
    section, postmortem = _load(request, key, section)
    row = _find_row(section, postmortem, row_id)
    if request.method == "GET":
        if request.htmx:
            return _render_rows(
                request, section, postmortem, edit_form=_row_form(section, postmortem, instance=row)
            )
        return redirect(f"{_editor_url(postmortem, section)}?edit={row.pk}#row-{row.pk}")
    form = _row_form(section, postmortem, data=request.POST, instance=row)
    if not form.is_valid():
        return _row_errors(request, section, postmortem, edit_form=form)
    try:
        editing.update_row(postmortem, section.slug, form, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except editing.EditConflict as exc:
        if exc.current is None:
            form.add_error(
                None,
                f"Someone deleted this {section.rows.noun} meanwhile. Copy your text and add it again.",
            )
        else:
            form.add_error(
                None,
                f"Someone else changed this {section.rows.noun} meanwhile; the table shows their version. "
                "Your text is kept here: merge it and save again.",
            )
            form.data = form.data.copy()
            form.data[form.add_prefix("revision")] = exc.current.revision
            form.conflict_row = exc.current
        return _row_errors(request, section, postmortem, edit_form=form, status=409)
    return _after_row_change(
        request, section, postmortem, f"The {section.rows.noun} was saved.", f"row-{row.pk}"
    )


@require_POST
def row_delete(request, key, section, row_id):
    section, postmortem = _load(request, key, section)
    row = _find_row(section, postmortem, row_id)
    try:
        editing.delete_row(postmortem, section.slug, row, by=request.user)
    except editing.EditRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return _after_row_change(request, section, postmortem, f"The {section.rows.noun} was removed.")
