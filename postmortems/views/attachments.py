"""Attachments: upload and remove on the Supporting step, and the one view that serves a file.

A file is served only to who may read its document (``get_postmortem_for_user``: a restricted
document's files are not found by anyone else), as a download unless it is an image this app
re-encoded, never sniffed by the browser, never cached by a shared cache, and sandboxed should
it be opened on its own.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from postmortems import attachments, permissions, uploads
from postmortems.models import Attachment, Postmortem
from postmortems.values import parse_id
from postmortems.views.documents import get_postmortem_for_user

# The form's other fields (the CSRF token) and the multipart framing, beside the file.
REQUEST_SLACK = 64 * 1024
# A file opened on its own (a new tab) runs nothing and loads nothing.
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Attach a file")


def _editor_url(postmortem) -> str:
    return reverse("postmortems:edit", args=[postmortem.key, attachments.SECTION]) + "#attachments"


def _editable(request, key) -> Postmortem:
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors", "attachments")
    )
    if not permissions.can_edit(request.user, postmortem):
        raise PermissionDenied(permissions.edit_refusal(request.user, postmortem))
    return postmortem


def _page(request, postmortem, form, status=200):
    return render(
        request,
        "postmortems/attachments.html",
        {"postmortem": postmortem, "attachment_form": form},
        status=status,
    )


@csrf_exempt  # checked by _upload, once the upload is bounded (the CSRF check reads the body)
@require_http_methods(["GET", "POST"])
def upload(request, key):
    # Who may attach is known before a byte of the body is read.
    postmortem = _editable(request, key)
    if request.method == "GET":
        return _page(request, postmortem, AttachmentForm())
    limit = attachments.max_bytes()
    declared = parse_id(request.META.get("CONTENT_LENGTH"))
    if declared is not None and declared > limit + REQUEST_SLACK:
        form = AttachmentForm()
        form.errors["file"] = form.error_class(
            [
                f"That is {uploads.megabytes(declared)}; a file may be "
                f"{uploads.megabytes(limit)} at most. Nothing was read: choose a smaller file."
            ]
        )
        return _page(request, postmortem, form, status=413)
    request.upload_handlers.insert(0, uploads.LimitedUpload(request, limit))
    return _upload(request, postmortem)


@csrf_protect
def _upload(request, postmortem):
    form = AttachmentForm(request.POST, request.FILES)
    limited = next(h for h in request.upload_handlers if isinstance(h, uploads.LimitedUpload))
    if limited.too_large:
        form.is_valid()
        form.errors["file"] = form.error_class(
            [
                f"The file is over {uploads.megabytes(limited.limit)}, the most a file may be. "
                "Nothing of it was kept."
            ]
        )
        return _page(request, postmortem, form, status=400)
    if not form.is_valid():
        return _page(request, postmortem, form, status=400)
    try:
        attachment = attachments.attach(postmortem, form.cleaned_data["file"], by=request.user)
    except attachments.AttachmentRefused as refused:
        form.add_error("file", str(refused))
        return _page(request, postmortem, form, status=400)
    messages.success(request, f"{attachment.name} was attached.")
    return redirect(_editor_url(postmortem))


@require_POST
def remove(request, key, attachment_id):
    postmortem = _editable(request, key)
    try:
        removed = attachments.remove(postmortem, attachment_id, by=request.user)
    except attachments.AttachmentRefused as refused:
        messages.error(request, str(refused))
    else:
        if removed is not None:
            messages.success(request, f"{removed.name} was removed.")
        else:
            messages.info(request, "That file had been removed already.")
    return redirect(_editor_url(postmortem))


@require_safe
def download(request, key, attachment_id, name):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.only("pk", "key"))
    attachment = get_object_or_404(Attachment, pk=attachment_id, postmortem=postmortem, name=name)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        stored,
        # Images re-encoded here are shown in the page; anything else is only downloaded.
        as_attachment=not attachment.is_image,
        filename=attachment.name,
        content_type=(
            "text/plain; charset=utf-8"
            if attachment.content_type == Attachment.Kind.TEXT
            else attachment.content_type
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
