"""Export (Markdown, JSON, a zip of everything visible) and import from the template's Markdown."""

import io
import zipfile

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from postmortems.exchange import export, importer
from postmortems.models import Postmortem
from postmortems.views.documents import get_postmortem_for_user


def _attachment(body, content_type, filename) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


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


@require_safe
def export_zip(request):
    """KEY.md for every postmortem the person may see (restricted ones only if named in them)."""
    buffer = io.BytesIO()
    documents = Postmortem.objects.visible_to(request.user).with_document().order_by("key")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for postmortem in documents.iterator(chunk_size=100):
            archive.writestr(
                f"{postmortem.key}.md", export.postmortem_markdown(postmortem, request.user)
            )
    stamp = timezone.now().strftime("%Y-%m-%d")
    return _attachment(buffer.getvalue(), "application/zip", f"postmortems-{stamp}.zip")


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

    def clean_markdown(self):
        text = self.cleaned_data["markdown"]
        if len(text.encode()) > importer.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The text is {len(text.encode()) / (1024 * 1024):.1f} MB; the limit is 2 MB."
            )
        return text


def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload is not None:
                if upload.size > importer.MAX_UPLOAD_BYTES:
                    raise importer.ImportRefused(
                        f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is 2 MB."
                    )
                text = importer.decode_upload(upload.read())
            else:
                text = form.cleaned_data["markdown"]
            result = importer.import_markdown(text, by=request.user, key=form.cleaned_data["key"])
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
