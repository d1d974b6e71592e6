"""The blameless-language check: asked as one types in the editor (htmx posts the text box's
text and gets its findings back), and marking a finding intended.

Both find the document through ``get_postmortem_for_user`` (a document the reader may not see
is not found) and ask ``permissions``: the findings are for the authors, the reviewers and
administrators; marks for the authors and administrators, until Final. The check answers with
what it found in the text it was sent, with this document's names and marks only.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import blameless, wording_marks
from postmortems.models import Postmortem
from postmortems.views.documents import get_postmortem_for_user
from postmortems.wording import WordingCheck, check_typed, typed_text


def _check_for(request, key) -> WordingCheck:
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    check = WordingCheck(postmortem, request.user)
    if not check.shown:
        raise PermissionDenied(
            f"Only the authors and reviewers of {postmortem.key} see its wording check."
        )
    return check


@require_POST
def check_text(request, key):
    """The findings of one text box as typed: the fragment that goes beside it."""
    check = _check_for(request, key)
    data = request.POST
    place = typed_text(data.get("bl_section", ""), data.get("bl_field", ""), data.get("bl_row", ""))
    if place is None:
        return HttpResponseBadRequest("Not a text the wording check reads.")
    name = data.get("bl_input", "")
    if name not in (place.field, f"new-{place.field}", f"row-{place.field}"):
        name = place.field
    text = data.get(name, "")
    findings, partial, saved = check_typed(check, place, text[: blameless.MAX_TEXT + 1])
    return render(
        request,
        "postmortems/wording/_box_content.html",
        {
            "postmortem": check.postmortem,
            "blameless": check,
            "findings": findings,
            "partial": partial,
            "saved": saved,
            "back": _editor_back(check.postmortem, place),
        },
    )


def _editor_back(postmortem, place) -> str:
    return reverse("postmortems:edit", args=[postmortem.key, place.section.slug])


def _back(request, postmortem, anchor="") -> str:
    """Where to go after marking: the page it was asked from (this document's page or its
    editor), else the document."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    own = f"/postmortems/{postmortem.key}/"
    if back.startswith(own) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return postmortem.get_absolute_url() + (f"#{anchor}" if anchor else "")


@require_http_methods(["GET", "POST"])
def mark(request, key):
    """Mark a finding intended (with a reason), or withdraw the mark: a page of its own for
    the editor (whose text boxes are in one form), a form under the finding on the document."""
    check = _check_for(request, key)
    postmortem = check.postmortem
    if not check.can_mark:
        raise PermissionDenied(
            f"Only the authors of {postmortem.key} mark its wording intended, until it is Final."
        )
    fingerprint = (request.POST.get("finding") or request.GET.get("finding") or "")[:64]
    finding = check.saved(fingerprint)
    if request.method == "GET":
        return _mark_page(request, check, finding, fingerprint)
    back = _back(request, postmortem, finding.anchor if finding else "")
    try:
        if request.POST.get("withdraw"):
            if wording_marks.withdraw_mark(postmortem, fingerprint, by=request.user):
                messages.success(request, "The mark was withdrawn: the wording is flagged again.")
            else:
                messages.info(request, "That wording was not marked.")
        else:
            wording_marks.mark_intended(
                postmortem, fingerprint, request.POST.get("reason", ""), by=request.user
            )
            messages.success(request, "Marked intended: it is shown with your reason, not counted.")
    except wording_marks.MarkRefused as refused:
        if finding is None:
            messages.error(request, str(refused))
            return redirect(back)
        return _mark_page(request, check, finding, fingerprint, error=str(refused))
    return redirect(back)


def _mark_page(request, check, finding, fingerprint, error=""):
    return render(
        request,
        "postmortems/wording/mark.html",
        {
            "postmortem": check.postmortem,
            "blameless": check,
            "finding": finding,
            "fingerprint": fingerprint,
            "error": error,
            "reason": request.POST.get("reason", ""),
            "back": _back(request, check.postmortem, finding.anchor if finding else ""),
        },
    )
