"""Export (Markdown, JSON, a zip of everything visible) and import from the template's Markdown."""

import tempfile
import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_safe

from postmortems import attachments, uploads
from postmortems.exchange import export, importer
from postmortems.models import Postmortem
from postmortems.values import parse_id
from postmortems.views.documents import get_postmortem_for_user


def private_download(response, filename) -> HttpResponse:
    """A file of documents for one reader: never kept by a browser or a proxy cache."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(body, content_type, filename) -> HttpResponse:
    return private_download(HttpResponse(body, content_type=content_type), filename)


@require_safe
def export_markdown(request, key):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    return _attachment(
        export.postmortem_markdown(postmortem, request.user),
        "text/markdown; charset=utf-8",
        f"{postmortem.key}.md",
    )


@require_safe
def export_json(request, key):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    return _attachment(
        export.dumps(export.postmortem_json(postmortem, request.user)),
        "application/json; charset=utf-8",
        f"{postmortem.key}.json",
    )


# A zip larger than this is built in a temporary file rather than in memory (attachments).
ZIP_IN_MEMORY_BYTES = 8 * 1024 * 1024


@require_safe
def export_zip(request):
    """KEY.md for every postmortem the person may see (restricted ones only if named in them),
    and beside it the document's attached files as KEY/attachments/NAME."""
    buffer = tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY_BYTES)  # noqa: SIM115 — the response closes it
    documents = Postmortem.objects.visible_to(request.user).with_document().order_by("key")
    # The files copied are bounded (the zip is built in one request); the rest are listed.
    room, left_out = settings.POSTMORTEM_ZIP_ATTACHMENTS_BYTES, []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for postmortem in documents.iterator(chunk_size=100):
            archive.writestr(
                f"{postmortem.key}.md", export.postmortem_markdown(postmortem, request.user)
            )
            for attached in postmortem.attachments.all():
                if attached.size > room:
                    left_out.append(f"{postmortem.key}/attachments/{attached.name}")
                    continue
                room -= attached.size
                attachments.write_to_zip(archive, f"{postmortem.key}/attachments/", attached)
        if left_out:
            archive.writestr(
                "attachments-not-included.txt",
                "These files would make the download too large; each is on its document's "
                "Supporting section:\n\n" + "\n".join(left_out) + "\n",
            )
    buffer.seek(0)
    stamp = timezone.now().strftime("%Y-%m-%d")
    return private_download(
        FileResponse(buffer, content_type="application/zip"), f"postmortems-{stamp}.zip"
    )


class ImportForm(forms.Form):
    markdown = forms.CharField(
        label="Paste the Markdown",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace"}),
        help_text="A postmortem written with the template, e.g. a file exported from here.",
    )
    file = forms.FileField(
        label="…or upload a .md file",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".md,.markdown,.txt,text/markdown,text/plain"}
        ),
        help_text="UTF-8 text, at most 2 MB. A file takes precedence over pasted text.",
    )
    key = forms.CharField(
        label="Key",
        required=False,
        max_length=40,
        help_text="Leave empty to use the key in the first line (“# Postmortem: KEY Title”).",
    )
    # The blank template shows an example in every section: all of it, or none of it.
    examples = forms.BooleanField(
        label="Import the template's examples as content",
        required=False,
        initial=False,
        help_text="Only for the blank template: its “Example” blocks (and the example rows "
        "beside its placeholders) become the Draft's content. Left unticked, they are left "
        "out and the Draft has only what you wrote.",
    )

    def clean_markdown(self):
        text = self.cleaned_data["markdown"]
        if len(text.encode()) > importer.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The text is {len(text.encode()) / (1024 * 1024):.1f} MB; the limit is 2 MB."
            )
        return text


# A request to the import may carry the file and the pasted text, each at their limit, and
# the form's few other fields: anything larger is refused before a byte of it is read.
MAX_IMPORT_REQUEST_BYTES = importer.MAX_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 65536


def _megabytes(size) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@csrf_exempt  # checked by _import_view, once the upload is bounded (CSRF reads the body)
def import_view(request):
    if request.method == "POST":
        declared = parse_id(request.META.get("CONTENT_LENGTH"))
        if declared is not None and declared > MAX_IMPORT_REQUEST_BYTES:
            form = ImportForm(data={})
            form.is_valid()
            form.add_error(
                None,
                f"That is {_megabytes(declared)}; a file may be 2 MB at most, and so may the "
                "pasted text. Nothing was read: choose a smaller file.",
            )
            return render(request, "postmortems/import.html", {"form": form}, status=413)
        request.upload_handlers.insert(
            0, uploads.LimitedUpload(request, limit=importer.MAX_UPLOAD_BYTES)
        )
    return _import_view(request)


@csrf_protect
def _import_view(request):
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    limited = next(
        (h for h in request.upload_handlers if isinstance(h, uploads.LimitedUpload)), None
    )
    if request.method == "POST" and limited is not None and limited.too_large:
        form.is_valid()
        form.add_error("file", "The file is over 2 MB; the limit is 2 MB. Nothing of it was read.")
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload is not None:
                text = importer.decode_upload(upload.read(importer.MAX_UPLOAD_BYTES + 1))
            else:
                text = form.cleaned_data["markdown"]
            result = importer.import_markdown(
                text,
                by=request.user,
                key=form.cleaned_data["key"],
                examples=form.cleaned_data["examples"],
            )
        except importer.ImportRefused as exc:
            form.add_error(None, str(exc))
        else:
            count = len(result.problems)
            messages.success(
                request,
                f"{result.postmortem.key} was imported as a Draft."
                + (
                    f" {count} line{'s' if count != 1 else ''} could not be placed: see "
                    "“Not imported” below; they are kept there."
                    if count
                    else " Every line was placed."
                ),
            )
            for notice in result.notices:
                messages.info(request, notice)
            return redirect(result.postmortem)
    return render(request, "postmortems/import.html", {"form": form})
